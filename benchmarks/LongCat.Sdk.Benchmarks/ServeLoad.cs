using System.Globalization;
using LongCat.Sdk.Tests;
using LongCat.Sdk.Tests.Server;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Issue 21: <c>clients</c> concurrent streaming clients send <c>requests</c> requests of <c>max_tokens</c> tokens each (text
/// prompts, temperature 1, end of turn ignored) to the OpenAI endpoint over loopback HTTP, then the same requests at the same
/// concurrency go to the engine in-process (<see cref="LongCatEngine.GenerateAsync(string, GenerationOptions?, CancellationToken)"/>).
/// The endpoint is Kestrel in this process over the same engine (the load tests' host), so the ratio is the cost of HTTP, JSON
/// and server-sent events on both ends, not of a second copy of the model. Time to first token is the client's: from sending a
/// request to its first token (queueing behind the engine's batch included). A run has 2 minutes; any failed request, or a run
/// past its 2 minutes, makes the exit code 1.
/// </summary>
internal static class ServeLoad
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static int Run(int clients, int requests, int maxTokens, int rounds)
    {
        string model = TestModels.DemoModel() ?? throw new InvalidOperationException("serve-load needs the demo model (models/longcat-demo, or LONGCAT_DEMO_MODEL)");
        Console.WriteLine($"serve-load, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Path.GetFileName(model)}, " +
                          $"{clients} clients, {requests} requests x {maxTokens} tokens, {rounds} round(s)");
        using var engine = LongCatEngine.LoadAsync(model).GetAwaiter().GetResult();
        var server = ServerHost.StartAsync(engine, o => o.MaxConcurrentRequests = Math.Max(clients, 1)).GetAwaiter().GetResult();
        try
        {
            var all = StreamingLoad.Requests(requests, maxTokens);
            var warmUp = StreamingLoad.Requests(2 * clients, Math.Min(maxTokens, 8));
            if (Measure(engine, "warm-up http", () => StreamingLoad.OverHttpAsync(server.BaseAddress, null, warmUp, clients)) is null ||
                Measure(engine, "warm-up in-process", () => StreamingLoad.InProcessAsync(engine, warmUp, clients)) is null) return 1;
            var ratios = new List<(double FirstP50, double FirstP99, double Throughput)>();
            var remotes = new List<(Spread First, double TokensPerSecond)>();
            var locals = new List<(Spread First, double TokensPerSecond)>();
            for (int r = 0; r < rounds; r++)
            {
                var remote = Measure(engine, $"round {r + 1} http", () => StreamingLoad.OverHttpAsync(server.BaseAddress, null, all, clients));
                var local = Measure(engine, $"round {r + 1} in-process", () => StreamingLoad.InProcessAsync(engine, all, clients));
                if (remote is null || local is null) return 1;
                remotes.Add(remote.Value);
                locals.Add(local.Value);
                ratios.Add((remote.Value.First.Median / local.Value.First.Median, remote.Value.First.P99 / local.Value.First.P99,
                    remote.Value.TokensPerSecond / local.Value.TokensPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {r + 1} http / in-process: time to first token p50 {ratios[^1].FirstP50:F2}x, p99 {ratios[^1].FirstP99:F2}x; tokens/s {ratios[^1].Throughput:F2}x"));
            }
            if (rounds > 1)
            {
                static double Median(IEnumerable<double> v) => Spread.Of([.. v]).Median;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"median of {rounds} rounds, http / in-process: time to first token p50 {Median(ratios.Select(x => x.FirstP50)):F2}x, " +
                    $"p99 {Median(ratios.Select(x => x.FirstP99)):F2}x; tokens/s {Median(ratios.Select(x => x.Throughput)):F2}x"));
                // Other jobs on the machine only slow a round down: each side's fastest round is the nearest to its own cost.
                var (bestRemote, bestLocal) = (remotes.MaxBy(x => x.TokensPerSecond), locals.MaxBy(x => x.TokensPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"fastest round of each: http {bestRemote.TokensPerSecond:F0} tokens/s, p50 {bestRemote.First.Median:F0} ms, p99 {bestRemote.First.P99:F0} ms; " +
                    $"in-process {bestLocal.TokensPerSecond:F0} tokens/s, p50 {bestLocal.First.Median:F0} ms, p99 {bestLocal.First.P99:F0} ms; " +
                    $"http / in-process: p50 {bestRemote.First.Median / bestLocal.First.Median:F2}x, p99 {bestRemote.First.P99 / bestLocal.First.P99:F2}x, " +
                    $"tokens/s {bestRemote.TokensPerSecond / bestLocal.TokensPerSecond:F2}x"));
            }
            return 0;
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>One load run, reported; null when a request failed or the run passed its 2 minutes.</summary>
    private static (Spread First, double TokensPerSecond)? Measure(LongCatEngine engine, string name, Func<Task<LoadRun>> run)
    {
        var before = engine.Statistics;
        var task = run();
        if (!task.Wait(Limit))
        {
            Console.WriteLine($"{name}: FAILED: not done within {Limit.TotalMinutes} minutes");
            return null;
        }
        var result = task.Result;
        var after = engine.Statistics;
        var errors = result.Errors.ToList();
        var first = Spread.Of([.. result.Results.Select(x => x.FirstToken.TotalMilliseconds)]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-20} {result.Results.Count} requests in {result.Elapsed.TotalSeconds,5:F1} s, {result.TokensPerSecond,7:F0} tokens/s, " +
            $"time to first token p50 {first.Median,6:F0} ms, p99 {first.P99,6:F0} ms, {errors.Count} errors; engine: {after.Steps - before.Steps} steps, " +
            $"{after.Preemptions - before.Preemptions} preemptions"));
        foreach (string e in errors.Take(5)) Console.WriteLine($"  {e}");
        return errors.Count == 0 ? (first, result.TokensPerSecond) : null;
    }
}
