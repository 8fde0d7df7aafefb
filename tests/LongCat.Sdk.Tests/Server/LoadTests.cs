using System.Globalization;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// The endpoint under the load of the benchmarks' <c>serve-load</c> (docs/PERFORMANCE.md), bounded for CI: 64 concurrent
/// streaming clients and 500 requests, with fewer tokens each. Every request must complete without error and get all its tokens;
/// nothing is timed (the benchmark measures).
/// </summary>
[TestClass]
public sealed class LoadTests
{
    private const int Clients = 64;
    private const int Requests = 500;
    private const int MaxTokens = 8;
    private const string Completions200 = "longcat_requests_total{endpoint=\"completions\",status=\"200\"}";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task SixtyFourStreamingClients_FiveHundredRequests_AllCompleteWithEveryToken()
    {
        var engine = TestModels.RequireDemo(await TestModels.SharedDemoAsync());
        await using var server = await ServerHost.StartAsync(engine, o => o.ApiKeys.Add(ServerHost.Key));
        var before = await server.MetricsAsync();

        var run = await StreamingLoad.OverHttpAsync(server.BaseAddress, ServerHost.Key, StreamingLoad.Requests(Requests, MaxTokens), Clients);

        TestContext.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Requests} requests by {Clients} clients in {run.Elapsed.TotalSeconds:F1} s, {run.TokensPerSecond:F0} tokens/s"));
        var errors = run.Errors.ToList();
        Assert.AreEqual(0, errors.Count, $"{errors.Count} of {Requests} requests failed:\n{string.Join("\n", errors.Take(10))}");
        var incomplete = run.Results.Select((r, i) => (r.Tokens, i)).Where(r => r.Tokens != MaxTokens).ToList();
        Assert.AreEqual(0, incomplete.Count, $"requests without their {MaxTokens} tokens: {string.Join(", ", incomplete.Take(10).Select(r => $"#{r.i}: {r.Tokens}"))}");
        await ServerHost.EventuallyAsync(async () =>
        {
            var m = await server.MetricsAsync();
            return m["longcat_requests_in_flight"] == 0 && m["longcat_kv_blocks_used"] == 0;
        }, "every request ended and every KV block came back");
        var after = await server.MetricsAsync();
        Assert.AreEqual(Requests, after[Completions200] - before.GetValueOrDefault(Completions200), "the server answered each request once, with 200");
        Assert.AreEqual(Requests * MaxTokens, after["longcat_completion_tokens_total"] - before["longcat_completion_tokens_total"]);
    }
}
