using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>A quick look at decode speed for both weight residencies (the BenchmarkDotNet classes are the measurement of record).</summary>
internal static class QuickDecode
{
    /// <remarks>
    /// Each residency decodes as many warm-up tokens as it times first (the kernels run optimised from their first call, but the
    /// forward's own code tiers up over the first ~64 tokens: four warm-up tokens made whichever ran first look slower).
    /// <paramref name="copiedFirst"/> swaps the order, so alternating processes show what order alone does.
    /// </remarks>
    public static void Run(int tokens, bool profile = false, bool copiedFirst = false)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        var order = copiedFirst ? new[] { WeightResidency.Copied, WeightResidency.Mapped } : new[] { WeightResidency.Mapped, WeightResidency.Copied };
        foreach (var residency in order)
        {
            var load = Stopwatch.StartNew();
            using var model = LongCatModel.Load(dir, new ModelOptions { Residency = residency });
            load.Stop();
            using var session = model.CreateSession();
            var prompt = Enumerable.Range(100, 16).ToArray();
            var logits = session.Prefill(prompt);
            var trace = new ForwardTrace();
            long bytes;
            {
                using var probe = model.CreateSession();
                probe.Prefill([5], trace: trace);
                bytes = DecodeCost.BytesPerToken(dir, model.Config, trace);
            }
            for (int i = 0; i < Math.Max(4, tokens); i++) logits = session.Decode(ArgMax(logits));   // warm-up
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++) logits = session.Decode(ArgMax(logits));
            sw.Stop();
            double perToken = sw.Elapsed.TotalSeconds / tokens;
            if (profile)
            {
                var prof = new ProfilingBackend(new LongCat.Sdk.Compute.Cpu.CpuBackend(residency));
                using var pm = LongCatModel.Load(dir, new ModelOptions { Backend = prof });
                using var ps = pm.CreateSession();
                var pl = ps.Prefill(prompt);
                prof.Reset();
                for (int i = 0; i < tokens; i++) pl = ps.Decode(ArgMax(pl));
                foreach (var (op, ms, calls) in prof.Report(tokens)) Console.WriteLine($"    {op,-22} {ms,7:F3} ms/tok  {calls,4} calls/tok");
                prof.Dispose();
            }
            Console.WriteLine($"{residency,-7} load {load.Elapsed.TotalSeconds,5:F2} s  decode {1 / perToken,6:F2} tok/s  {perToken * 1e3,6:F1} ms/tok  " +
                              $"{bytes / 1e9:F3} GB/tok  {bytes / perToken / 1e9:F2} GB/s");
        }
    }

    private static int ArgMax(float[] v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);
}
