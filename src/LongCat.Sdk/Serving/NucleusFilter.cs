namespace LongCat.Sdk.Serving;

/// <summary>
/// Top-p without sorting the candidates: a histogram of probability mass over buckets of the weights' float bits finds
/// the one bucket where the nucleus ends; only that bucket is sorted. O(n) plus a sort of one bucket (a bucket spans a
/// factor of 2^(1/16) in weight). The result is exactly that of a full sort by (weight descending, id ascending).
/// </summary>
/// <remarks>Buffers are reused across calls; nothing is allocated once they have grown.</remarks>
internal sealed class NucleusFilter
{
    // A weight in [0, 1] has float bits <= 0x3F800000; shifting out 19 bits keeps the exponent and 4 mantissa bits.
    private const int Shift = 19;
    private const int Buckets = (0x3F800000 >> Shift) + 1;

    private readonly double[] _bucketMass = new double[Buckets];
    private ulong[] _keys = [];

    /// <summary>
    /// Keeps, among ids/weights[0..n] (ids ascending, weights in [0, 1]), every token whose mass ranked above it is below
    /// <paramref name="mass"/>; compacts the survivors to the front in id order and returns their count.
    /// </summary>
    public int Apply(Span<int> ids, Span<float> weights, int n, double mass)
    {
        Array.Clear(_bucketMass);
        for (int i = 0; i < n; i++) _bucketMass[Bucket(weights[i])] += weights[i];

        // The boundary bucket: the mass of all higher buckets is below the target, with it the target is reached.
        int boundary = -1;
        double above = 0;
        for (int b = Buckets - 1; b >= 0; b--)
        {
            if (above + _bucketMass[b] >= mass) { boundary = b; break; }
            above += _bucketMass[b];
        }
        if (boundary < 0) return n; // rounding: the whole mass falls short of the target, keep everything

        // Rank the boundary bucket exactly; the last kept key marks the cut.
        int members = 0;
        for (int i = 0; i < n; i++)
        {
            if (Bucket(weights[i]) != boundary) continue;
            if (members == _keys.Length) Array.Resize(ref _keys, Math.Max(64, members * 2));
            _keys[members++] = Key(weights[i], ids[i]);
        }
        Array.Sort(_keys, 0, members);
        ulong lastKept = 0;
        for (int k = 0; k < members && above < mass; k++)
        {
            lastKept = _keys[k];
            above += BitConverter.UInt32BitsToSingle(~(uint)(_keys[k] >> 32));
        }

        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            int b = Bucket(weights[i]);
            if (b < boundary || (b == boundary && Key(weights[i], ids[i]) > lastKept)) continue;
            ids[kept] = ids[i];
            weights[kept] = weights[i];
            kept++;
        }
        return kept;
    }

    private static int Bucket(float weight) => (int)(BitConverter.SingleToUInt32Bits(weight) >> Shift);

    // Ascending key order = weight descending, then id ascending (weights are >= 0, so their bits order like their values).
    private static ulong Key(float weight, int id) => ((ulong)~BitConverter.SingleToUInt32Bits(weight) << 32) | (uint)id;
}
