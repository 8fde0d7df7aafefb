using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The CPU's F32 FMA peak with all cores (issue 17: prefill is reported as a fraction of it, measured in the same run): each
/// thread runs sixteen independent FMA chains of the widest vector (enough to cover the FMA latency on two ports), no memory.
/// </summary>
internal static class FmaPeak
{
    /// <summary>All-core GFLOP/s (an FMA counts two), the median of <paramref name="rounds"/> after a warm-up.</summary>
    public static double Measure(int rounds = 5)
    {
        const long iterations = 20_000_000;
        int threads = Environment.ProcessorCount;
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        Chains(1_000_000);
        var figures = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(iterations));
            figures.Add(2.0 * 16 * lanes * iterations * threads / sw.Elapsed.TotalSeconds / 1e9);
        }
        return figures.Order().ElementAt(figures.Count / 2);
    }

    /// <summary>At least <paramref name="flops"/> FLOPs of the peak's FMA chains spread over all cores (a benchmark baseline).</summary>
    public static void Run(long flops)
    {
        int threads = Environment.ProcessorCount, lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        long iterations = Math.Max(1, flops / (2L * 16 * lanes * threads));
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(iterations));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var c = Vector512.Create(1e-7f);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
            for (long i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c); a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
                a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
                a12 = Vector512.FusedMultiplyAdd(a12, m, c); a13 = Vector512.FusedMultiplyAdd(a13, m, c); a14 = Vector512.FusedMultiplyAdd(a14, m, c); a15 = Vector512.FusedMultiplyAdd(a15, m, c);
            }
            return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
        }
        var n = Vector256.Create(0.999999f);
        var d = Vector256.Create(1e-7f);
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        Vector256<float> b8 = default, b9 = default, b10 = default, b11 = default, b12 = default, b13 = default, b14 = default, b15 = default;
        for (long i = 0; i < iterations; i++)
        {
            b0 = Vector256.FusedMultiplyAdd(b0, n, d); b1 = Vector256.FusedMultiplyAdd(b1, n, d); b2 = Vector256.FusedMultiplyAdd(b2, n, d); b3 = Vector256.FusedMultiplyAdd(b3, n, d);
            b4 = Vector256.FusedMultiplyAdd(b4, n, d); b5 = Vector256.FusedMultiplyAdd(b5, n, d); b6 = Vector256.FusedMultiplyAdd(b6, n, d); b7 = Vector256.FusedMultiplyAdd(b7, n, d);
            b8 = Vector256.FusedMultiplyAdd(b8, n, d); b9 = Vector256.FusedMultiplyAdd(b9, n, d); b10 = Vector256.FusedMultiplyAdd(b10, n, d); b11 = Vector256.FusedMultiplyAdd(b11, n, d);
            b12 = Vector256.FusedMultiplyAdd(b12, n, d); b13 = Vector256.FusedMultiplyAdd(b13, n, d); b14 = Vector256.FusedMultiplyAdd(b14, n, d); b15 = Vector256.FusedMultiplyAdd(b15, n, d);
        }
        return Vector256.Sum(((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)) + ((b8 + b9) + (b10 + b11)) + ((b12 + b13) + (b14 + b15)));
    }
}
