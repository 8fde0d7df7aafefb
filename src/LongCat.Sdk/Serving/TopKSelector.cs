namespace LongCat.Sdk.Serving;

/// <summary>
/// Partial selection of the K largest logits without sorting the vocabulary: one pass with a size-K min-heap,
/// O(V log K) worst case and O(V) when few values displace the heap's root. A tie goes to the lower id, so K = 1 is argmax.
/// </summary>
internal static class TopKSelector
{
    /// <summary>Writes the K = <paramref name="ids"/>.Length best (id, logit) pairs, in no particular order.</summary>
    public static void Select(ReadOnlySpan<float> logits, Span<int> ids, Span<float> values)
    {
        int k = ids.Length;
        if (k == 0 || k > logits.Length || values.Length != k)
            throw new ArgumentException($"Cannot select {k} of {logits.Length} logits into {values.Length} slots.");

        for (int i = 0; i < k; i++) { ids[i] = i; values[i] = logits[i]; }
        for (int i = k / 2 - 1; i >= 0; i--) SiftDown(ids, values, i);

        // The root is the worst kept entry; a later id with an equal value is worse still, so it must be strictly better.
        for (int i = k; i < logits.Length; i++)
        {
            if (logits[i] <= values[0]) continue;
            ids[0] = i;
            values[0] = logits[i];
            SiftDown(ids, values, 0);
        }
    }

    // a is worse than b: smaller value, or equal value and higher id.
    private static bool Worse(float va, int ia, float vb, int ib) => va < vb || (va == vb && ia > ib);

    private static void SiftDown(Span<int> ids, Span<float> values, int i)
    {
        int n = ids.Length;
        while (true)
        {
            int worst = i, left = 2 * i + 1, right = left + 1;
            if (left < n && Worse(values[left], ids[left], values[worst], ids[worst])) worst = left;
            if (right < n && Worse(values[right], ids[right], values[worst], ids[worst])) worst = right;
            if (worst == i) return;
            (ids[i], ids[worst]) = (ids[worst], ids[i]);
            (values[i], values[worst]) = (values[worst], values[i]);
            i = worst;
        }
    }
}
