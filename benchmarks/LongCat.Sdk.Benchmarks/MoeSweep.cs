using System.Diagnostics;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The routed experts of a decode step at lite-mini's shape (64 real + 32 identity experts, top-12, [256, 1024] experts, 8
/// layers of distinct experts so the weights stream from memory), T = 1..16 tokens with random routing: GB/s of the distinct
/// experts' bytes, against a dense BF16 product of one row over the same bytes (medians).
/// </summary>
internal static unsafe class MoeSweep
{
    public static void Run(int runs, bool tiny = false)
    {
        int layers = 8, real = tiny ? 8 : 64, identity = tiny ? 4 : 32, k = tiny ? 3 : 12, hidden = tiny ? 256 : 1024, ffn = tiny ? 128 : 256;
        if (tiny) runs *= 200;
        using var backend = new CpuBackend();
        var rng = new Random(1);
        var owned = new List<nint>();
        CpuTensor Matrix(int rows, int cols)
        {
            var p = (ushort*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)rows * cols * 2), 4096);
            for (long i = 0; i < (long)rows * cols; i++) p[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5) * 0.05f);
            owned.Add((nint)p);
            return new CpuTensor(DType.BF16, [rows, cols], (byte*)p, owned: false, "bench.expert");
        }
        var experts = Enumerable.Range(0, layers).Select(_ => new ExpertWeights(
            Enumerable.Range(0, real).Select(_ => (DeviceTensor)Matrix(ffn, hidden)).ToArray(),
            Enumerable.Range(0, real).Select(_ => (DeviceTensor)Matrix(ffn, hidden)).ToArray(),
            Enumerable.Range(0, real).Select(_ => (DeviceTensor)Matrix(hidden, ffn)).ToArray())).ToArray();
        try
        {
            foreach (int t in tiny ? new[] { 1, 4, 1, 4 } : new[] { 1, 1, 2, 4, 8, 16 })
            {
                using var x = backend.Allocate(DType.F32, t, hidden);
                using var y = backend.Allocate(DType.F32, t, hidden);
                using var ids = backend.Allocate(DType.I32, t, k);
                using var wts = backend.Allocate(DType.F32, t, k);
                backend.Upload<float>(x, Enumerable.Range(0, t * hidden).Select(i => (float)Math.Sin(i)).ToArray());
                backend.Upload<float>(wts, Enumerable.Range(0, t * k).Select(i => 0.1f).ToArray());
                var times = new List<double>(); long distinct = 0;
                for (int r = 0; r < runs + 1; r++)
                {
                    double ms = 0; long touched = 0;
                    foreach (var layer in experts)
                    {
                        var choice = new int[t * k];
                        for (int i = 0; i < t; i++)
                        {
                            var picked = Enumerable.Range(0, real + identity).OrderBy(_ => rng.Next()).Take(k).ToArray();
                            picked.CopyTo(choice, i * k);
                        }
                        touched += choice.Where(e => e < real).Distinct().Count();
                        backend.Upload<int>(ids, choice);
                        var sw = Stopwatch.StartNew();
                        backend.MoeExperts(x, ids, wts, layer, y);
                        ms += sw.Elapsed.TotalMilliseconds;
                    }
                    if (r > 0) { times.Add(ms); distinct += touched; }
                }
                double median = Spread.Of(times).Median, bytes = distinct / (double)runs * 3.0 * ffn * hidden * 2;
                Console.WriteLine($"{t,3} tokens: {distinct / (double)runs / layers,5:F1} experts/layer  {median / layers * 1e3,8:F1} us/layer  {bytes / median / 1e6,6:F1} GB/s");
            }
        }
        finally
        {
            foreach (var p in owned) System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)p);
        }
    }
}
