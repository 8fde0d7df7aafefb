using System.Numerics;

namespace LongCat.Sdk.Structured;

/// <summary>A set of byte values: 256 bits.</summary>
internal readonly record struct ByteSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public static ByteSet Empty => default;
    public static ByteSet All => new(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);

    public static ByteSet Of(byte b) => Range(b, b);

    /// <summary>The bytes lo..hi, both included (empty when lo &gt; hi).</summary>
    public static ByteSet Range(int lo, int hi)
    {
        ulong w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        for (int b = Math.Max(lo, 0); b <= Math.Min(hi, 255); b++)
        {
            ulong bit = 1UL << (b & 63);
            switch (b >> 6)
            {
                case 0: w0 |= bit; break;
                case 1: w1 |= bit; break;
                case 2: w2 |= bit; break;
                default: w3 |= bit; break;
            }
        }
        return new(w0, w1, w2, w3);
    }

    public bool Contains(byte b) => ((b >> 6) switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 } & (1UL << (b & 63))) != 0;
    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;
    public int Count => BitOperations.PopCount(W0) + BitOperations.PopCount(W1) + BitOperations.PopCount(W2) + BitOperations.PopCount(W3);

    public ByteSet Union(ByteSet o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);
    public ByteSet Intersect(ByteSet o) => new(W0 & o.W0, W1 & o.W1, W2 & o.W2, W3 & o.W3);
    public ByteSet Except(ByteSet o) => new(W0 & ~o.W0, W1 & ~o.W1, W2 & ~o.W2, W3 & ~o.W3);

    /// <summary>The bytes in ascending order.</summary>
    public IEnumerable<byte> Bytes()
    {
        for (int b = 0; b < 256; b++)
            if (Contains((byte)b)) yield return (byte)b;
    }
}
