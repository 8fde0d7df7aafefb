using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Decode and prefill of lite-mini (Copied) unquantized, Q8 and Q4 in one process, round by round so the machine's drift hits
/// all alike: per round and model, a read of the bytes that model reads per token (all cores, median of 5), N decoded tokens,
/// and a prefill of P tokens in a fresh session. Prints each round and the medians: tokens/s, the fraction of the same-round
/// read bandwidth (read time / decode time per token) and prefill time against the unquantized model's in the same round.
/// A fast look; <see cref="QuantizedDecodeBenchmarks"/> is the BenchmarkDotNet measurement.
/// </summary>
internal static class QuickQuant
{
    public static void Run(int tokens, int rounds, int prefillTokens, bool profile = false)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        var presets = new[] { WeightQuantization.None, WeightQuantization.Q8, WeightQuantization.Q4 };
        var models = new List<(WeightQuantization Preset, LongCatModel Model, long Bytes, ReadBandwidth Read)>();
        foreach (var preset in presets)
        {
            var model = LongCatModel.Load(dir, new ModelOptions { Residency = WeightResidency.Copied, Quantization = preset });
            var trace = new ForwardTrace();
            using (var probe = model.CreateSession()) probe.Prefill([5], trace: trace);
            long bytes = DecodeCost.BytesPerToken(dir, model.Config, trace, preset);
            models.Add((preset, model, bytes, new ReadBandwidth(bytes, 1L << 30)));
            Console.WriteLine($"{preset,-4}: {bytes / 1e9:F3} GB of weights per token");
        }
        Console.WriteLine($"kernels: Q8 {QuantKernels.Best(DType.Q8)}, Q4 {QuantKernels.Best(DType.Q4)}; {Environment.ProcessorCount} threads; {tokens} tokens per round, prefill {prefillTokens}; load {File.ReadAllText("/proc/loadavg").Trim()}");

        var prompt = Enumerable.Range(100, prefillTokens).ToArray();
        var results = models.ToDictionary(m => m.Preset, _ => new List<(double TokS, double Fraction, double ReadGBs, double PrefillMs)>());
        for (int round = -1; round < rounds; round++)                          // round -1: warm-up, not reported
        {
            foreach (var (preset, model, bytes, read) in models)
            {
                var readTimes = new double[5];
                for (int i = 0; i < readTimes.Length; i++)
                {
                    var rs = Stopwatch.StartNew();
                    read.Run();
                    readTimes[i] = rs.Elapsed.TotalSeconds;
                }
                double readTime = readTimes.Order().ElementAt(2);
                using var session = model.CreateSession();
                var logits = session.Prefill(prompt.AsSpan(0, 16));
                for (int i = 0; i < 4; i++) logits = session.Decode(ArgMax(logits));
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < tokens; i++) logits = session.Decode(ArgMax(logits));
                double perToken = sw.Elapsed.TotalSeconds / tokens;
                using var fresh = model.CreateSession();
                sw.Restart();
                fresh.Prefill(prompt);
                double prefillMs = sw.Elapsed.TotalMilliseconds;
                if (round < 0) continue;
                results[preset].Add((1 / perToken, readTime / perToken, bytes / readTime / 1e9, prefillMs));
                Console.WriteLine($"round {round} {preset,-4}: decode {1 / perToken,7:F1} tok/s, {bytes / perToken / 1e9,5:F1} GB/s = {readTime / perToken:F2} of the read's " +
                                  $"{bytes / readTime / 1e9:F1} GB/s; prefill {prefillTokens} tokens {prefillMs,7:F1} ms");
            }
        }
        Console.WriteLine("medians:");
        foreach (var (preset, _, bytes, _) in models)
        {
            var r = results[preset];
            var prefillRatio = Enumerable.Range(0, r.Count).Select(i => r[i].PrefillMs / results[WeightQuantization.None][i].PrefillMs);
            Console.WriteLine($"{preset,-4}: {bytes / 1e9:F3} GB/token, decode {Median(r.Select(x => x.TokS)),7:F1} tok/s, fraction of read bandwidth {Median(r.Select(x => x.Fraction)):F2} " +
                              $"(read {Median(r.Select(x => x.ReadGBs)):F1} GB/s); prefill {Median(r.Select(x => x.PrefillMs)),7:F1} ms, " +
                              $"prefill time / unquantized's {Median(prefillRatio):F2}");
        }
        foreach (var m in models)
        {
            m.Model.Dispose();
            m.Read.Dispose();
        }
        if (!profile) return;
        foreach (var preset in presets)
        {
            // Where a decoded token goes, op by op (ProfilingBackend synchronizes around each op).
            var prof = new ProfilingBackend(new CpuBackend(WeightResidency.Copied));
            using (var pm = LongCatModel.Load(dir, new ModelOptions { Backend = prof, Quantization = preset }))
            {
                using var ps = pm.CreateSession();
                var pl = ps.Prefill(prompt.AsSpan(0, 16));
                for (int i = 0; i < 8; i++) pl = ps.Decode(ArgMax(pl));
                prof.Reset();
                for (int i = 0; i < tokens; i++) pl = ps.Decode(ArgMax(pl));
                Console.WriteLine($"{preset}, per decoded token:");
                foreach (var (op, ms, calls) in prof.Report(tokens)) Console.WriteLine($"    {op,-22} {ms,7:F3} ms/tok  {calls,4} calls/tok");
            }
            prof.Dispose();
        }
    }

    private static double Median(IEnumerable<double> v)
    {
        var a = v.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    private static int ArgMax(float[] v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);
}
