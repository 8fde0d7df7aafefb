using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// What a user's fresh process sees (issue 17, "the JIT out of the user's way"): lite-mini's load time, then each of the first
/// N decoded tokens timed one by one, reported per window of tokens as tokens/s and as a fraction of an all-core read of the
/// bytes a token reads (the read measured right after, in the same process). Run it in a new process each time (it times
/// tier-0 code on purpose); compare `DOTNET_TieredCompilation=0` (everything optimized before its first call) as the bound.
/// </summary>
internal static class FreshDecode
{
    public static void Run(int tokens, WeightQuantization preset)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        var process = Stopwatch.StartNew();
        var load = Stopwatch.StartNew();
        using var model = LongCatModel.Load(dir, new ModelOptions { Residency = WeightResidency.Copied, Quantization = preset });
        load.Stop();
        using var session = model.CreateSession();
        var logits = session.Prefill(Enumerable.Range(100, 16).ToArray());
        var times = new double[tokens];
        for (int i = 0; i < tokens; i++)
        {
            var sw = Stopwatch.StartNew();
            logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
            times[i] = sw.Elapsed.TotalSeconds;
        }
        double firstTokens = process.Elapsed.TotalSeconds;
        var trace = new ForwardTrace();
        using (var probe = model.CreateSession()) probe.Prefill([5], trace: trace);
        long bytes = DecodeCost.BytesPerToken(dir, model.Config, trace, preset);
        using var read = new ReadBandwidth(bytes, 1L << 30);
        for (int i = 0; i < 3; i++) read.Run();
        var reads = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            var rs = Stopwatch.StartNew();
            read.Run();
            reads.Add(rs.Elapsed.TotalSeconds);
        }
        double readTime = reads.Order().ElementAt(3);
        Console.WriteLine($"fresh process, {preset}: load {load.Elapsed.TotalSeconds:F2} s; {tokens} tokens decoded {firstTokens:F2} s after start; " +
                          $"read {bytes / readTime / 1e9:F1} GB/s; tiered compilation {(Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") == "0" ? "off" : "on")}");
        for (int start = 0; start < tokens; start = start == 0 ? 1 : start * 2)
        {
            int end = Math.Min(tokens, start == 0 ? 1 : start * 2);
            double t = times[start..end].Sum() / (end - start);
            Console.WriteLine($"  tokens {start + 1,4}-{end,-4}: {1 / t,7:F1} tok/s, {readTime / t:F2} of the read");
        }
    }
}
