using LongCat.Sdk.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Tests.Hosting;

/// <summary>Registration as Microsoft.Extensions.AI providers do it (issue 15): a ChatClientBuilder, options from configuration,
/// the container's logging, no thread blocked on a model load, and an asynchronous dispose.</summary>
[TestClass]
public sealed class HostingEdgeTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 6, IgnoreEos = true };

    [TestMethod]
    public async Task AddLongCat_ReturnsTheRegistrationsBuilder_MiddlewareWrapsTheClient()
    {
        var services = new ServiceCollection();
        services.AddLongCat(o => { o.ModelPath = TestModels.TinyWithTokenizer; o.Generation = Greedy; }).UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        Assert.IsNotNull(client.GetService<FunctionInvokingChatClient>(), "the middleware added at registration");
        Assert.AreSame(provider.GetRequiredService<LongCatChatClient>(), client.GetService<LongCatChatClient>());
        Assert.AreEqual(6L, (await client.GetResponseAsync("Hello")).Usage!.OutputTokenCount);
    }

    [TestMethod]
    public async Task AddLongCat_FromConfiguration_BindsEngineSpeculationAndGenerationSettings()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LongCat:ModelPath"] = Fixtures.Dir("tiny-a"),
            ["LongCat:Engine:KvBlockSize"] = "4",
            ["LongCat:Engine:KvCacheBlocks"] = "40",
            ["LongCat:Engine:Speculative:DraftTokens"] = "2",
            ["LongCat:Generation:Temperature"] = "0",
            ["LongCat:Generation:MaxTokens"] = "5",
            ["LongCat:Generation:StopSequences:0"] = "END",
        }).Build();
        var services = new ServiceCollection();
        services.AddLongCat(configuration.GetSection("LongCat"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<LongCat.Sdk.Hosting.LongCatServiceOptions>>().CurrentValue;
        var engine = await provider.GetRequiredService<LongCatEngineProvider>().GetEngineAsync();

        Assert.AreEqual(4, engine.Options.KvBlockSize);
        Assert.AreEqual(40, engine.TotalKvBlocks);
        Assert.AreEqual(2, engine.Options.Speculative.DraftTokens);
        Assert.AreEqual(0f, options.Generation.Temperature);
        Assert.AreEqual(5, options.Generation.MaxTokens);
        CollectionAssert.AreEqual(new[] { "END" }, options.Generation.StopSequences.ToArray());
        Assert.AreEqual(LongCatOptions.DefaultKvCacheMemory, engine.Options.KvCacheMemory, "unset settings keep their one default");
    }

    [TestMethod]
    public async Task AddLongCat_EngineLogsThroughTheContainersLoggerFactory()
    {
        var log = new ListLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(log);
        services.AddLongCat(o => o.ModelPath = Fixtures.Dir("tiny-lite-a"));     // no MTP head: the fallback is logged
        await using var provider = services.BuildServiceProvider();

        var engine = await provider.GetRequiredService<LongCatEngineProvider>().GetEngineAsync();

        Assert.IsTrue(log.Messages.Contains(engine.SpeculationFallbackReason), string.Join("\n", log.Messages));
    }

    [TestMethod]
    public async Task ResolvingTheChatClient_LoadsNothing_TheFirstRequestLoadsWithoutBlocking()
    {
        var services = new ServiceCollection();
        services.AddLongCat(o => { o.ModelPath = TestModels.TinyWithTokenizer; o.Generation = Greedy; });
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        var engines = provider.GetRequiredService<LongCatEngineProvider>();
        Assert.IsFalse(engines.IsLoaded, "resolving the client loads nothing");

        var response = await client.GetResponseAsync("Hello");

        Assert.IsTrue(engines.IsLoaded);
        Assert.AreEqual(6L, response.Usage!.OutputTokenCount);
    }

    [TestMethod]
    public async Task EngineDisposeAsync_WhileARequestRuns_EndsItCancelled()
    {
        var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        var updates = new List<GenerationUpdate>();
        var reading = Task.Run(async () =>
        {
            await foreach (var u in engine.GenerateAsync([1, 5, 9], Greedy with { MaxTokens = 100_000 })) updates.Add(u);
        });
        for (int i = 0; i < 10_000 && updates.Count < 3; i++) await Task.Delay(1);

        await engine.DisposeAsync();
        await reading;

        Assert.AreEqual(FinishReason.Cancelled, updates[^1].FinishReason);
        Assert.ThrowsExactly<ObjectDisposedException>(() => engine.GenerateAsync([1, 2], Greedy));
    }
}
