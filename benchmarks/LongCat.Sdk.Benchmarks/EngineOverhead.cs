using System.Diagnostics;
using System.Numerics.Tensors;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// What the serving core costs a single stream: greedy decode through <see cref="LongCatEngine.GenerateAsync(IReadOnlyList{int}, GenerationOptions?, CancellationToken)"/>
/// (scheduler, plan, sampler, output pipeline, channel, async enumeration; no speculation) against <see cref="TokenSession.Decode"/>
/// on the same checkpoint (lite-mini), in alternating rounds of the same run, after untimed rounds that settle the JIT; and the
/// engine's figure as a fraction of an all-core read of one token's weight bytes timed in the same round (issue 17's measure).
/// </summary>
internal static class EngineOverhead
{
    public static void Run(int tokens, int rounds)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        using var model = LongCatModel.Load(dir, new ModelOptions { Residency = WeightResidency.Copied });
        using var engine = LongCatEngine.LoadAsync(dir, new LongCatOptions { Residency = WeightResidency.Copied, Speculative = SpeculativeOptions.None })
            .GetAwaiter().GetResult();
        int[] prompt = [.. Enumerable.Range(100, 16)];
        var options = new GenerationOptions { Temperature = 0, MaxTokens = tokens, IgnoreEos = true };

        for (int i = 0; i < 4; i++)                                  // tier-0 code is never timed: 4 × tokens calls of each path first
        {
            Session(model, prompt, tokens);
            Engine(engine, prompt, options);
        }
        Thread.Sleep(1000);                                          // let the tier-1 compiles in the background finish

        // The same-run baseline: an all-core read of one token's weight bytes, timed in every round beside both paths.
        var trace = new ForwardTrace();
        using (var probe = model.CreateSession()) probe.Prefill([5], trace: trace);
        long bytes = DecodeCost.BytesPerToken(dir, model.Config, trace);
        using var read = new ReadBandwidth(bytes, 1L << 30);
        for (int i = 0; i < 40; i++) read.Run();                     // past tier 0 (the read loop is not AggressiveOptimization)

        var session = new List<double>();
        var served = new List<double>();
        var ratios = new List<double>();
        var fractions = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double a = Session(model, prompt, tokens), b = Engine(engine, prompt, options), readGBps = ReadGBps(read, bytes);
            session.Add(a);
            served.Add(b);
            ratios.Add(b / a);
            fractions.Add(b * bytes / 1e9 / readGBps);
            Console.WriteLine($"round {r}: TokenSession.Decode {a,7:F1} tok/s   engine {b,7:F1} tok/s   ratio {b / a:F3}   read {readGBps:F1} GB/s: " +
                              $"engine {b * bytes / 1e9 / readGBps:F2} of it");
        }
        Console.WriteLine($"median: TokenSession.Decode {Median(session):F1} tok/s, engine GenerateAsync {Median(served):F1} tok/s; " +
                          $"engine / session: median of round ratios {Median(ratios):F3}, ratio of medians {Median(served) / Median(session):F3}");
        Console.WriteLine($"engine decode, {bytes / 1e9:F3} GB of weights per token: median {Median(fractions):F2} of the same round's read bandwidth " +
                          $"(rounds {fractions.Min():F2}-{fractions.Max():F2})");
    }

    // Tokens/s over the decode steps after the prompt (tokens − 1 steps: the first token comes from the prefill).
    private static double Session(LongCatModel model, int[] prompt, int tokens)
    {
        using var s = model.CreateSession();
        var logits = s.Prefill(prompt);
        long start = Stopwatch.GetTimestamp();
        for (int i = 1; i < tokens; i++) logits = s.Decode(TensorPrimitives.IndexOfMax(logits));
        return (tokens - 1) / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // The same for the engine, timed where a caller sees the tokens: from the first update to the last.
    private static double Engine(LongCatEngine engine, int[] prompt, GenerationOptions options)
    {
        long first = 0;
        int count = 0;
        var stream = engine.GenerateAsync(prompt, options);
        Task.Run(async () =>
        {
            await foreach (var u in stream)
            {
                if (count == 0) first = Stopwatch.GetTimestamp();
                count += u.TokenIds.Count;
            }
        }).GetAwaiter().GetResult();
        if (count != options.MaxTokens) throw new InvalidOperationException($"the engine produced {count} tokens, not {options.MaxTokens}");
        return (count - 1) / Stopwatch.GetElapsedTime(first).TotalSeconds;
    }

    // The median of seven all-core reads of one token's bytes, in GB/s.
    private static double ReadGBps(ReadBandwidth read, long bytes)
    {
        var times = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            long start = Stopwatch.GetTimestamp();
            read.Run();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return bytes / Median(times) / 1e9;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
