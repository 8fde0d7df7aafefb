using System.Diagnostics;
using LongCat.Sdk;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// A quick look at many-row speed (a fast sanity run, not a benchmark): a prompt of T tokens prefilled on lite-mini (Copied) in
/// a fresh session, and the BF16 product alone, T rows × W [2048, 1024] (the dense MLP's gate) with all cores. Medians of N runs.
/// </summary>
internal static unsafe class QuickPrefill
{
    public static void Run(int tokens, int runs, bool profile = false, WeightQuantization quantization = WeightQuantization.None)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        if (profile)
        {
            // Where a prefill goes, op by op (ProfilingBackend synchronizes around each op).
            var prof = new ProfilingBackend(new CpuBackend(WeightResidency.Copied));
            using (var pm = LongCatModel.Load(dir, new ModelOptions { Backend = prof, Quantization = quantization }))
            {
                var p = Enumerable.Range(100, tokens).ToArray();
                for (int i = 0; i < 3; i++) { using var s = pm.CreateSession(); s.Prefill(p); }
                prof.Reset();
                for (int i = 0; i < runs; i++) { using var s = pm.CreateSession(); s.Prefill(p); }
                Console.WriteLine($"prefill of {tokens} tokens, per prefill:");
                foreach (var (op, ms, calls) in prof.Report(runs)) Console.WriteLine($"    {op,-22} {ms,8:F2} ms  {calls,4} calls");
            }
            prof.Dispose();
            return;
        }
        using (var model = LongCatModel.Load(dir, new ModelOptions { Residency = WeightResidency.Copied, Quantization = quantization }))
        {
            var prompt = Enumerable.Range(100, tokens).ToArray();
            double ms = Median(runs + 1, () =>
            {
                using var session = model.CreateSession();
                var sw = Stopwatch.StartNew();
                session.Prefill(prompt);
                return sw.Elapsed.TotalMilliseconds;
            });
            // FLOPs of a prompt token: two per weight it multiplies (the BF16 bytes a decoded token reads, two per weight) less the
            // output head (a prefill takes logits at its last position only); the attention over the prompt left out (small at
            // these lengths): a lower bound of the work done.
            var trace = new ForwardTrace();
            using (var probe = model.CreateSession()) probe.Prefill([5], trace: trace);
            double flopsPerToken = DecodeCost.BytesPerToken(dir, model.Config, trace) - 2.0 * model.Config.VocabSize * model.Config.HiddenSize;
            double peak = FmaPeak.Measure();
            double gflops = flopsPerToken * tokens / ms / 1e6;
            Console.WriteLine($"prefill {tokens} tokens      median {ms,8:F2} ms  {tokens / ms * 1e3,8:F0} tok/s   ({runs} runs); " +
                              $"{gflops:F1} GFLOP/s of weight products = {gflops / peak:F3} of the all-core F32 FMA peak, {peak:F0} GFLOP/s (same run)");
        }

        using var backend = new CpuBackend();
        // The dense MLP's gate over the prompt, then an expert's gate and down over the ~16 rows a 128-token prompt routes to it.
        foreach (var (rows, cols, t) in new[] { (2048, 1024, 1), (2048, 1024, tokens), (256, 1024, 16), (1024, 256, 16) })
            Product(backend, rows, cols, t, runs);
    }

    /// <summary>The BF16 product T × [rows, cols], all cores, weights in cache after the first run.</summary>
    private static void Product(CpuBackend backend, int rows, int cols, int t, int runs)
    {
        var storage = (ushort*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rows * cols * 2), 4096);
        try
        {
            var rng = new Random(1);
            for (int i = 0; i < rows * cols; i++) storage[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5));
            var w = new CpuTensor(DType.BF16, [rows, cols], (byte*)storage, owned: false, "bench.weight");
            using var x = backend.Allocate(DType.F32, t, cols);
            using var y = backend.Allocate(DType.F32, t, rows);
            backend.Upload<float>(x, Enumerable.Range(0, t * cols).Select(i => (float)Math.Sin(i)).ToArray());
            int reps = Math.Max(1, (int)(512L * 2048 * 1024 / ((long)t * rows * cols)));
            double ms = Median(runs + 1, () =>
            {
                var sw = Stopwatch.StartNew();
                for (int k = 0; k < reps; k++) backend.MatMul(x, w, y);
                return sw.Elapsed.TotalMilliseconds / reps;
            });
            Console.WriteLine($"matmul {t,3} x [{rows}, {cols}]  median {ms,8:F3} ms  {2.0 * t * rows * cols / ms / 1e6,8:F1} GFLOP/s");
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(storage);
        }
    }

    /// <summary>The median of <paramref name="count"/> - 1 timings after one warm-up.</summary>
    private static double Median(int count, Func<double> run)
    {
        run();
        var times = Enumerable.Range(1, count - 1).Select(_ => run()).Order().ToArray();
        return times[times.Length / 2];
    }
}
