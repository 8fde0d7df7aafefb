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
    /// <param name="mode">"model": a <see cref="TokenSession"/> on the model; "engine": <see cref="LongCatEngine.GenerateAsync(IReadOnlyList{int}, GenerationOptions?, CancellationToken)"/>,
    /// greedy, plain (speculation off), each token timed as it arrives; "engine-warm": the same with <see cref="LongCatOptions.WarmUp"/>.</param>
    public static void Run(int tokens, WeightQuantization preset, string mode = "model")
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        var process = Stopwatch.StartNew();
        var load = Stopwatch.StartNew();
        var times = new double[tokens];
        LongCatModel model;
        LongCatEngine? engine = null;
        (long Methods, TimeSpan Time) jitBefore = default, jitAfter = default;
        if (mode == "model")
        {
            model = LongCatModel.Load(dir, new ModelOptions { Residency = WeightResidency.Copied, Quantization = preset });
            load.Stop();
            using var session = model.CreateSession();
            var logits = session.Prefill(Enumerable.Range(100, 16).ToArray());
            for (int i = 0; i < tokens; i++)
            {
                var sw = Stopwatch.StartNew();
                logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
                times[i] = sw.Elapsed.TotalSeconds;
            }
        }
        else if (mode is "engine" or "engine-warm")
        {
            engine = LongCatEngine.LoadAsync(dir, new LongCatOptions
            {
                Device = ComputeDevice.Cpu, Residency = WeightResidency.Copied, Quantization = preset,
                Speculative = new SpeculativeOptions { DraftTokens = 0 }, WarmUp = mode == "engine-warm",
            }).GetAwaiter().GetResult();
            load.Stop();
            model = engine.Model;
            jitBefore = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
            var clock = Stopwatch.StartNew();
            int n = 0;
            double last = 0;
            var stream = engine.GenerateAsync(Enumerable.Range(100, 16).ToArray(), new GenerationOptions { MaxTokens = tokens + 1, IgnoreEos = true });
            var updates = stream.GetAsyncEnumerator();
            while (updates.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                // Token 0 comes from the prefill; decoded token i is timed from the arrival of the token before it.
                double now = clock.Elapsed.TotalSeconds;
                foreach (int _ in updates.Current.TokenIds)
                {
                    if (n > 0 && n <= tokens) times[n - 1] = (now - last) / updates.Current.TokenIds.Count;
                    n++;
                }
                last = now;
            }
            updates.DisposeAsync().AsTask().GetAwaiter().GetResult();
            jitAfter = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
        }
        else throw new ArgumentException($"fresh-decode: unknown mode '{mode}' (model, engine, engine-warm)");
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
        Console.WriteLine($"fresh process, {preset}, {mode}: load {load.Elapsed.TotalSeconds:F2} s; {tokens} tokens decoded {firstTokens:F2} s after start; " +
                          $"read {bytes / readTime / 1e9:F1} GB/s; tiered compilation {(Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") == "0" ? "off" : "on")}");
        if (engine is not null)
            Console.WriteLine($"  the JIT during the timed tokens: {jitAfter.Methods - jitBefore.Methods} methods, {(jitAfter.Time - jitBefore.Time).TotalMilliseconds:F0} ms " +
                              $"(before them: {jitBefore.Methods} methods, {jitBefore.Time.TotalMilliseconds:F0} ms)");
        for (int start = 0; start < tokens; start = start == 0 ? 1 : start * 2)
        {
            int end = Math.Min(tokens, start == 0 ? 1 : start * 2);
            double t = times[start..end].Sum() / (end - start);
            Console.WriteLine($"  tokens {start + 1,4}-{end,-4}: {1 / t,7:F1} tok/s, {readTime / t:F2} of the read");
        }
        if (engine is not null) engine.Dispose();
        else model.Dispose();
    }
}
