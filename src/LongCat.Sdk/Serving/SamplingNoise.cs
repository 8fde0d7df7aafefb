using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The randomness of a seeded request, indexed instead of consumed: the draw for token index n of a sequence is keyed by
/// outputs 2n and 2n+1 of the request's PCG32 stream (reached by jump-ahead), and each vocabulary id v gets its own uniform
/// U(n, v) from a keyed integer hash. So what a draw sees depends only on (seed, n, v): not on how many draws came before, on
/// batching, on preemption or on speculative drafts.
/// </summary>
/// <remarks>
/// <para>A draw is an exponential race: token v wins with score w_v / E_v, E_v = −ln U(n, v) ~ Exp(1), which picks v with
/// probability w_v / Σw exactly (the Gumbel-max trick in another form). A drafter that races its own weights q_v against the
/// same E_v agrees with the target as often as such a coupling can without seeing p (at least (1 − TV)/(1 + TV); Daliri et al.
/// 2024, drafter-invariant speculative decoding), and the target's token never depends on the draft.</para>
/// <para>U has 24 random bits: ((h &gt;&gt; 8) + ½)·2⁻²⁴, in (0, 1). The hash is two rounds of a 32-bit multiply–xorshift mixer
/// (Wellons' lowbias32 constants), each keyed by one key word; integer-exact, so its vector and scalar forms agree bit for bit.</para>
/// </remarks>
internal static class SamplingNoise
{
    private const uint M1 = 0x7feb352d, M2 = 0x846ca68b;
    private const float Scale = 1f / (1 << 24);

    /// <summary>The key of draw <paramref name="index"/> of the stream seeded with <paramref name="seed"/>.</summary>
    public static (uint K0, uint K1) Key(ulong seed, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var rng = new Pcg32(seed);
        rng.Advance(2 * (ulong)index);
        return (rng.NextUInt32(), rng.NextUInt32());
    }

    /// <summary>The hash behind U(n, v) (the scalar reference of <see cref="Exponentials"/>).</summary>
    public static uint Hash(uint k0, uint k1, uint id) => Mix(Mix(id ^ k0) ^ k1);

    /// <summary>U(n, v) in (0, 1) for the key of draw n.</summary>
    public static float Uniform(uint k0, uint k1, int id) => ((Hash(k0, k1, (uint)id) >> 8) + 0.5f) * Scale;

    /// <summary>e[i] = −ln U(n, ids[i]) for the key (k0, k1) of draw n.</summary>
    public static void Exponentials(uint k0, uint k1, ReadOnlySpan<int> ids, Span<float> e)
    {
        if (e.Length < ids.Length) throw new ArgumentException($"e has {e.Length} elements for {ids.Length} ids.", nameof(e));
        int n = ids.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a = Vector512.Create(k0); var b = Vector512.Create(k1);
            for (; i <= n - Vector512<int>.Count; i += Vector512<int>.Count)
            {
                var x = Mix(Mix(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(ids), (nuint)i).AsUInt32() ^ a) ^ b);
                ((Vector512.ConvertToSingle((x >> 8).AsInt32()) + Vector512.Create(0.5f)) * Scale).StoreUnsafe(ref MemoryMarshal.GetReference(e), (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(k0); var b = Vector256.Create(k1);
            for (; i <= n - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                var x = Mix(Mix(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(ids), (nuint)i).AsUInt32() ^ a) ^ b);
                ((Vector256.ConvertToSingle((x >> 8).AsInt32()) + Vector256.Create(0.5f)) * Scale).StoreUnsafe(ref MemoryMarshal.GetReference(e), (nuint)i);
            }
        }
        for (; i < n; i++) e[i] = Uniform(k0, k1, ids[i]);
        var u = e[..n];
        TensorPrimitives.Log(u, u);
        TensorPrimitives.Negate(u, u);
    }

    private static uint Mix(uint x)
    {
        x ^= x >> 16; x *= M1;
        x ^= x >> 15; x *= M2;
        return x ^ (x >> 16);
    }

    private static Vector512<uint> Mix(Vector512<uint> x)
    {
        x ^= x >> 16; x *= M1;
        x ^= x >> 15; x *= M2;
        return x ^ (x >> 16);
    }

    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= x >> 16; x *= M1;
        x ^= x >> 15; x *= M2;
        return x ^ (x >> 16);
    }
}
