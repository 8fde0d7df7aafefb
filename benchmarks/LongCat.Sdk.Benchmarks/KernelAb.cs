using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The BF16 kernels before batch invariance (legacy copies below) against the current ones in the same process, interleaved
/// run by run so that the VM's drifting bandwidth and neighbours hit both alike; one thread; medians and the median of the
/// paired new/old ratios (the figure to quote: each pair ran seconds apart under the same conditions).
/// </summary>
internal static unsafe class KernelAb
{
    public static void Run(int rounds)
    {
        Prefill(rounds, 2048, 1024, 64);
        Prefill(rounds, 2048, 1024, 13);
        Prefill(rounds, 256, 4096, 64);
        Decode(rounds, 8192, 8192);
        Decode(rounds, 256, 8192);
    }

    /// <summary>T rows × W [rows, cols]: the old path (x as is, DotBf16x4 in fours, DotBf16 for a leftover row) against the new
    /// (x permuted once, then DotBf16RowN in fours), the permutation included in the new time.</summary>
    private static void Prefill(int rounds, int rows, int cols, int tokens)
    {
        var w = Bf16(rows, cols);
        var x = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * cols * 4), 64);
        var xp = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * cols * 4), 64);
        var y = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * rows * 4), 64);
        for (int i = 0; i < tokens * cols; i++) x[i] = MathF.Sin(i);
        float* res = stackalloc float[4];
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        double Old()
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < rows; r++)
            {
                ushort* row = w + (long)r * cols;
                for (int t = 0; t < tokens; t += 4)
                {
                    int n = Math.Min(4, tokens - t);
                    if (n == 1) res[0] = SimdKernels.DotBf16(row, x + (long)t * cols, cols);
                    else LegacyDotBf16x4(row, x + (long)t * cols, x + (long)(t + 1) * cols, x + (long)(t + Math.Min(2, n - 1)) * cols, x + (long)(t + n - 1) * cols, cols, res);
                    for (int k = 0; k < n; k++) y[(long)(t + k) * rows + r] = res[k];
                }
            }
            return sw.Elapsed.TotalMilliseconds;
        }
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        double New()
        {
            var sw = Stopwatch.StartNew();
            for (int t = 0; t < tokens; t++) SimdKernels.PermuteEvenOdd(x + (long)t * cols, xp + (long)t * cols, cols);
            for (int r = 0; r < rows; r++)
            {
                ushort* row = w + (long)r * cols;
                for (int t = 0; t < tokens; t += 4)
                {
                    int n = Math.Min(4, tokens - t);
                    SimdKernels.DotBf16RowN(row, xp + (long)t * cols, cols, n, cols, res);
                    for (int k = 0; k < n; k++) y[(long)(t + k) * rows + r] = res[k];
                }
            }
            return sw.Elapsed.TotalMilliseconds;
        }
        Report($"prefill {tokens,2} x [{rows}, {cols}]", rounds, Old, New, 2.0 * tokens * rows * cols / 1e6, "GFLOP/s");
        NativeMemory.AlignedFree(w); NativeMemory.AlignedFree(x); NativeMemory.AlignedFree(xp); NativeMemory.AlignedFree(y);
    }

    /// <summary>One x × W [rows, cols] four rows at a time: the legacy DotBf16Rows4 against the current one.</summary>
    private static void Decode(int rounds, int rows, int cols)
    {
        var w = Bf16(rows, cols);
        var xp = (float*)NativeMemory.AlignedAlloc((nuint)(cols * 4), 64);
        for (int i = 0; i < cols; i++) xp[i] = MathF.Sin(i);
        float* res = stackalloc float[4];
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        double Old()
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < rows; r += 4) LegacyDotBf16Rows4(w + (long)r * cols, cols, xp, cols, res);
            return sw.Elapsed.TotalMilliseconds;
        }
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        double New()
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < rows; r += 4) SimdKernels.DotBf16Rows4(w + (long)r * cols, cols, xp, cols, res);
            return sw.Elapsed.TotalMilliseconds;
        }
        Report($"decode rows4 [{rows}, {cols}]", rounds, Old, New, rows * (double)cols * 2 / 1e6, "GB/s");
        NativeMemory.AlignedFree(w); NativeMemory.AlignedFree(xp);
    }

    private static void Report(string what, int rounds, Func<double> old, Func<double> current, double unitsPerMs, string unit)
    {
        // A second of both first, so that the kernels they call are at their final tier (tiered JIT, PGO) before timing.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1000) { old(); current(); }
        var o = new double[rounds]; var n = new double[rounds]; var ratio = new double[rounds];
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which goes first so neither always runs on the other's warm caches.
            if (i % 2 == 0) { o[i] = old(); n[i] = current(); } else { n[i] = current(); o[i] = old(); }
            ratio[i] = n[i] / o[i];
        }
        double mo = Median(o), mn = Median(n);
        Console.WriteLine($"{what,-28} old {mo,8:F3} ms ({unitsPerMs / mo,6:F1} {unit})  new {mn,8:F3} ms ({unitsPerMs / mn,6:F1} {unit})  " +
                          $"new/old median of {rounds} paired ratios {Median(ratio):F3} (fastest runs: old {o.Min():F3}, new {n.Min():F3} ms)");
    }

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s[s.Length / 2];
    }

    private static ushort* Bf16(int rows, int cols)
    {
        var w = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * cols * 2), 4096);
        var rng = new Random(1);
        for (long i = 0; i < (long)rows * cols; i++) w[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5));
        return w;
    }

    // The kernels as they were before batch invariance (commit ea30453), verbatim.

    private static void LegacyDotBf16x4(ushort* w, float* x0, float* x1, float* x2, float* x3, int n, float* result)
    {
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                var r = Vector512.Load(w + i);
                var lo = Vector512.ShiftLeft(Vector512.WidenLower(r), 16).AsSingle();
                var hi = Vector512.ShiftLeft(Vector512.WidenUpper(r), 16).AsSingle();
                a0 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x0 + i + 16), Vector512.FusedMultiplyAdd(lo, Vector512.Load(x0 + i), a0));
                a1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x1 + i + 16), Vector512.FusedMultiplyAdd(lo, Vector512.Load(x1 + i), a1));
                a2 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x2 + i + 16), Vector512.FusedMultiplyAdd(lo, Vector512.Load(x2 + i), a2));
                a3 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x3 + i + 16), Vector512.FusedMultiplyAdd(lo, Vector512.Load(x3 + i), a3));
            }
            s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 16; i += 16)
            {
                var r = Vector256.Load(w + i);
                var lo = Vector256.ShiftLeft(Vector256.WidenLower(r), 16).AsSingle();
                var hi = Vector256.ShiftLeft(Vector256.WidenUpper(r), 16).AsSingle();
                a0 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x0 + i + 8), Vector256.FusedMultiplyAdd(lo, Vector256.Load(x0 + i), a0));
                a1 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x1 + i + 8), Vector256.FusedMultiplyAdd(lo, Vector256.Load(x1 + i), a1));
                a2 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x2 + i + 8), Vector256.FusedMultiplyAdd(lo, Vector256.Load(x2 + i), a2));
                a3 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x3 + i + 8), Vector256.FusedMultiplyAdd(lo, Vector256.Load(x3 + i), a3));
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float v = WeightFormats.Bf16ToFloat(w[i]);
            s0 += v * x0[i]; s1 += v * x1[i]; s2 += v * x2[i]; s3 += v * x3[i];
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }

    private static void LegacyDotBf16Rows4(ushort* w, long stride, float* xp, int n, float* result)
    {
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        ushort* w0 = w, w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride;
        if (Vector512.IsHardwareAccelerated)
        {
            var mask = Vector512.Create(0xFFFF0000u);
            // Separate even/odd accumulators: no FMA waits on another inside an iteration.
            Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
            for (; i <= n - 32; i += 32)
            {
                var xe = Vector512.Load(xp + i);
                var xo = Vector512.Load(xp + i + 16);
                var r0 = Vector512.Load((uint*)(w0 + i));
                var r1 = Vector512.Load((uint*)(w1 + i));
                var r2 = Vector512.Load((uint*)(w2 + i));
                var r3 = Vector512.Load((uint*)(w3 + i));
                e0 = Vector512.FusedMultiplyAdd((r0 << 16).AsSingle(), xe, e0);
                o0 = Vector512.FusedMultiplyAdd((r0 & mask).AsSingle(), xo, o0);
                e1 = Vector512.FusedMultiplyAdd((r1 << 16).AsSingle(), xe, e1);
                o1 = Vector512.FusedMultiplyAdd((r1 & mask).AsSingle(), xo, o1);
                e2 = Vector512.FusedMultiplyAdd((r2 << 16).AsSingle(), xe, e2);
                o2 = Vector512.FusedMultiplyAdd((r2 & mask).AsSingle(), xo, o2);
                e3 = Vector512.FusedMultiplyAdd((r3 << 16).AsSingle(), xe, e3);
                o3 = Vector512.FusedMultiplyAdd((r3 & mask).AsSingle(), xo, o3);
            }
            s0 = Vector512.Sum(e0 + o0); s1 = Vector512.Sum(e1 + o1); s2 = Vector512.Sum(e2 + o2); s3 = Vector512.Sum(e3 + o3);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(0xFFFF0000u);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 16; i += 16)
            {
                var xe = Vector256.Load(xp + i);
                var xo = Vector256.Load(xp + i + 8);
                var r0 = Vector256.Load((uint*)(w0 + i));
                var r1 = Vector256.Load((uint*)(w1 + i));
                var r2 = Vector256.Load((uint*)(w2 + i));
                var r3 = Vector256.Load((uint*)(w3 + i));
                a0 = Vector256.FusedMultiplyAdd((r0 & mask).AsSingle(), xo, Vector256.FusedMultiplyAdd((r0 << 16).AsSingle(), xe, a0));
                a1 = Vector256.FusedMultiplyAdd((r1 & mask).AsSingle(), xo, Vector256.FusedMultiplyAdd((r1 << 16).AsSingle(), xe, a1));
                a2 = Vector256.FusedMultiplyAdd((r2 & mask).AsSingle(), xo, Vector256.FusedMultiplyAdd((r2 << 16).AsSingle(), xe, a2));
                a3 = Vector256.FusedMultiplyAdd((r3 & mask).AsSingle(), xo, Vector256.FusedMultiplyAdd((r3 << 16).AsSingle(), xe, a3));
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = xp[i];   // the tail is not permuted
            s0 += WeightFormats.Bf16ToFloat(w0[i]) * xi; s1 += WeightFormats.Bf16ToFloat(w1[i]) * xi;
            s2 += WeightFormats.Bf16ToFloat(w2[i]) * xi; s3 += WeightFormats.Bf16ToFloat(w3[i]) * xi;
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }

}
