using System.Diagnostics;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Issue 20: Heavy Thinking's parallel stage against one path, in the same run, on the thinking demo model. Each round decodes
/// (a) one path alone and (b) Heavy Thinking with <c>paths</c> paths, every path with the same sampling (temperature 1, top-p
/// 0.95, no speculation, end of turn ignored so each writes exactly <c>tokens</c> tokens). Decode throughput counts tokens
/// after a path's first (the prefill is not decode): (a) its tokens / the time from its first to its last; (b) the paths'
/// tokens after the moment all have their first / the time from that moment to the last path's end. Warm-up rounds of both
/// run first until one path's speed has settled (never tier-0 code); rounds alternate the two; the report gives each round's
/// ratio and the median.
/// </summary>
internal static class HeavyThinkingBench
{
    public static void Run(string? model, int paths, int tokens, int rounds)
    {
        model ??= Path.Combine(FindRoot(), "models", "longcat-thinking-demo");
        Console.WriteLine($"heavy-thinking, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Path.GetFileName(model)}, {paths} paths x {tokens} tokens");
        using var engine = LongCatEngine.LoadAsync(model, new LongCatOptions { Speculative = SpeculativeOptions.None }).GetAwaiter().GetResult();
        LongCatMessage[] conversation = [LongCatMessage.User("What is 12 plus 30?")];
        var single = new GenerationOptions { Temperature = 1f, TopP = 0.95f, MaxTokens = tokens, IgnoreEos = true, DraftTokens = 0 };
        var heavy = single with { MaxTokens = 4, HeavyThinking = new HeavyThinkingOptions(paths) { PathMaxTokens = tokens } };

        // Warm-up until the JIT has settled: two rounds were not enough (a path's 128 tokens take ~60 ms, and one path's speed
        // still rose from 1,130 to 1,860 tokens/s over the next five rounds while methods tiered up). At least five seconds, then
        // until two one-path figures in a row agree within 3% (at most 100 rounds).
        var warm = Stopwatch.StartNew();
        double previous = 0;
        for (int w = 0; w < 100; w++)
        {
            double now = One(engine, conversation, single with { Seed = 100 + w });
            Heavy(engine, conversation, heavy with { Seed = 200 + w });
            if (warm.Elapsed.TotalSeconds >= 5 && Math.Abs(now - previous) <= 0.03 * now) break;
            previous = now;
        }
        Console.WriteLine($"warm-up: {warm.Elapsed.TotalSeconds:F1} s");
        var ratios = new List<double>();
        var singles = new List<double>();
        var aggregates = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double one = One(engine, conversation, single with { Seed = r });
            double all = Heavy(engine, conversation, heavy with { Seed = 1000 + r });
            singles.Add(one);
            aggregates.Add(all);
            ratios.Add(all / one);
            Console.WriteLine($"round {r + 1}: one path {one:F1} tokens/s, {paths} paths {all:F1} tokens/s together: {all / one:F2}x");
        }
        Console.WriteLine($"median: one path {Median(singles):F1} tokens/s, {paths} paths {Median(aggregates):F1} tokens/s, ratio {Median(ratios):F2}x  [target >= 2]");
    }

    private static double One(LongCatEngine engine, LongCatMessage[] conversation, GenerationOptions options)
    {
        var clock = Stopwatch.StartNew();
        double first = -1, last = 0;
        int n = 0;
        foreach (var u in Sync(engine.ChatAsync(conversation, options)))
        {
            if (u.TokenIds.Count == 0) continue;
            n += u.TokenIds.Count;
            last = clock.Elapsed.TotalSeconds;
            if (first < 0) { first = last; n = 0; }
        }
        return n / (last - first);
    }

    private static double Heavy(LongCatEngine engine, LongCatMessage[] conversation, GenerationOptions options)
    {
        var clock = Stopwatch.StartNew();
        int paths = options.HeavyThinking!.Paths;
        var firstAt = new double[paths];
        var counts = new int[paths];
        Array.Fill(firstAt, -1);
        var stamps = new List<(int Path, double At)>();
        foreach (var u in Sync(engine.ChatAsync(conversation, options)))
        {
            if (u.Path is not { } p || u.TokenIds.Count == 0) continue;
            double at = clock.Elapsed.TotalSeconds;
            if (firstAt[p.Index] < 0) firstAt[p.Index] = at;
            for (int i = 0; i < u.TokenIds.Count; i++) stamps.Add((p.Index, at));
        }
        double allStarted = firstAt.Max();
        var after = stamps.Where(s => s.At > allStarted).ToList();
        return after.Count / (after.Max(s => s.At) - allStarted);
    }

    private static IEnumerable<GenerationUpdate> Sync(IAsyncEnumerable<GenerationUpdate> stream)
    {
        var e = stream.GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) yield return e.Current;
        }
        finally
        {
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LongCat.Sdk.sln"))) return d.FullName;
        throw new InvalidOperationException("run from the repository (LongCat.Sdk.sln not found above the benchmark)");
    }
}
