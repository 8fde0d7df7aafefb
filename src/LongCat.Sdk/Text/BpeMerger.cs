namespace LongCat.Sdk.Text;

/// <summary>
/// Applies BPE merges to one pre-token's symbols (initially one token per byte): repeatedly merges the adjacent pair with the
/// lowest merge rank, the leftmost on ties, until no adjacent pair has a merge. Two algorithms with identical results:
/// <see cref="MergeByScan"/> keeps each pair's rank in an array and scans it (O(n²) compares, O(n) lookups; fastest for the
/// short words that are almost all of real text) and <see cref="MergeByHeap"/> follows the Rust crate's priority queue
/// (O(n log n); used for long words).
/// </summary>
internal static class BpeMerger
{
    /// <summary>Words longer than this use the heap.</summary>
    public const int ScanLimit = 128;

    /// <summary>Merges in place; returns the number of symbols left at the start of <paramref name="symbols"/>.</summary>
    public static int Merge(Span<int> symbols, Dictionary<long, long> merges) =>
        symbols.Length <= ScanLimit ? MergeByScan(symbols, merges) : MergeByHeap(symbols, merges);

    /// <summary>Key of the merge table: the two token ids.</summary>
    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Value of the merge table: the merge's rank and the merged token's id.</summary>
    public static long MergeValue(int rank, int mergedId) => ((long)rank << 32) | (uint)mergedId;

    public static int MergeByScan(Span<int> symbols, Dictionary<long, long> merges)
    {
        int n = symbols.Length;
        if (n < 2) return n;
        // rank[i]: the merge of (symbols[i], symbols[i + 1]) as (rank << 32 | merged id), long.MaxValue when none.
        Span<long> rank = n <= 256 ? stackalloc long[n] : new long[n];
        for (int i = 0; i < n - 1; i++) rank[i] = Lookup(symbols[i], symbols[i + 1], merges);
        rank[n - 1] = long.MaxValue;
        while (n > 1)
        {
            int best = 0;
            for (int i = 1; i < n - 1; i++) if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks
            if (rank[best] == long.MaxValue) break;
            symbols[best] = (int)(rank[best] & 0xFFFFFFFF);
            symbols[(best + 2)..n].CopyTo(symbols[(best + 1)..]);              // symbols[best + 1] is gone
            rank[(best + 2)..n].CopyTo(rank[(best + 1)..]);
            n--;
            rank[n - 1] = long.MaxValue;
            if (best > 0) rank[best - 1] = Lookup(symbols[best - 1], symbols[best], merges);
            if (best < n - 1) rank[best] = Lookup(symbols[best], symbols[best + 1], merges);
        }
        return n;
    }

    public static int MergeByHeap(Span<int> symbols, Dictionary<long, long> merges)
    {
        int n = symbols.Length;
        if (n < 2) return n;
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; alive[i] = true; }
        // Priority (rank << 32 | position): the lowest rank first, then the leftmost; the element is the merged id.
        var queue = new PriorityQueue<(int Pos, int MergedId), long>(n);
        for (int i = 0; i < n - 1; i++) Push(queue, i, symbols[i], symbols[i + 1], merges);
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            // A stale entry: the pair at pos changed since it was queued.
            if (!merges.TryGetValue(PairKey(symbols[pos], symbols[right]), out long m) || (int)(m & 0xFFFFFFFF) != top.MergedId) continue;
            symbols[pos] = top.MergedId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) Push(queue, prev[pos], symbols[prev[pos]], symbols[pos], merges);
            if (next[pos] >= 0) Push(queue, pos, symbols[pos], symbols[next[pos]], merges);
        }
        int count = 0;
        for (int i = 0; i < n; i++) if (alive[i]) symbols[count++] = symbols[i];
        return count;
    }

    private static long Lookup(int left, int right, Dictionary<long, long> merges) =>
        merges.TryGetValue(PairKey(left, right), out long m) ? m : long.MaxValue;

    private static void Push(PriorityQueue<(int, int), long> queue, int pos, int left, int right, Dictionary<long, long> merges)
    {
        if (merges.TryGetValue(PairKey(left, right), out long m))
            queue.Enqueue((pos, (int)(m & 0xFFFFFFFF)), (m & ~0xFFFFFFFFL) | (uint)pos);
    }
}
