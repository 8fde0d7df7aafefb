using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The BF16 product T × W with W streamed from memory (a ring of matrices larger than the caches), T = 1..16: where the product
/// of a batched decode step stops being bound by the weights' read. Prints GB/s of weights and GFLOP/s per T (medians).
/// </summary>
internal static unsafe class RowsSweep
{
    public static void Run(int rows, int cols, int runs, int[]? tokenCounts = null, bool cached = false)
    {
        using var backend = new CpuBackend();
        int count = (int)Math.Max(4, 512L * 1024 * 1024 / ((long)rows * cols * 2));
        var weights = new CpuTensor[count];
        var storage = new nint[count];
        var rng = new Random(1);
        if (cached) Console.WriteLine($"one weight, in cache; the all-core FMA peak: {FmaPeak.Measure():F1} GFLOP/s");
        for (int m = 0; m < count; m++)
        {
            if (cached && m > 0)
            {
                weights[m] = weights[0];
                continue;
            }
            var p = (ushort*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)rows * cols * 2), 4096);
            for (long i = 0; i < (long)rows * cols; i++) p[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5));
            storage[m] = (nint)p;
            weights[m] = new CpuTensor(DType.BF16, [rows, cols], (byte*)p, owned: false, "bench.weight");
        }
        try
        {
            foreach (int t in tokenCounts ?? [1, 1, 2, 4, 8, 16, 1])
            {
                using var x = backend.Allocate(DType.F32, t, cols);
                using var y = backend.Allocate(DType.F32, t, rows);
                backend.Upload<float>(x, Enumerable.Range(0, t * cols).Select(i => (float)Math.Sin(i)).ToArray());
                var times = new List<double>();
                for (int r = 0; r < runs + 1; r++)
                {
                    var sw = Stopwatch.StartNew();
                    for (int m = 0; m < count; m++) backend.MatMul(x, weights[m], y);
                    if (r > 0) times.Add(sw.Elapsed.TotalMilliseconds / count);
                }
                double ms = Spread.Of(times).Median;
                Console.WriteLine($"{t,3} x [{rows}, {cols}]  {ms * 1e3,8:F1} us   {rows * (double)cols * 2 / ms / 1e6,6:F1} GB/s   {2.0 * t * rows * cols / ms / 1e6,7:F1} GFLOP/s");
            }
        }
        finally
        {
            foreach (var p in storage) System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)p);   // null (a cached sweep's copies) is a no-op
        }
    }
}
