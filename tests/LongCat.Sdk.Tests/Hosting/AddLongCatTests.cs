using LongCat.Sdk.AI;
using LongCat.Sdk.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Tests.Hosting;

/// <summary>services.AddLongCat on the tiny fixture (token-id generation: the fixture has no tokenizer).</summary>
[TestClass]
public sealed class AddLongCatTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 8, IgnoreEos = true };

    [TestMethod]
    public void Resolve_EngineAndChatClient_OneSharedEngine()
    {
        using var provider = TestServices.Build(s => s.AddLongCat(o => o.ModelPath = Fixtures.Dir("tiny-a")));

        var engine = provider.GetRequiredService<LongCatEngine>();
        var client = provider.GetRequiredService<IChatClient>();

        Assert.AreSame(engine, provider.GetRequiredService<LongCatEngine>());
        Assert.AreSame(engine, client.GetService<LongCatEngine>());
        Assert.AreSame(provider.GetRequiredService<LongCatChatClient>(), client);
        Assert.AreEqual("tiny-a", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [TestMethod]
    public async Task DisposeContainer_DisposesTheEngine()
    {
        LongCatEngine engine;
        await using (var provider = TestServices.Build(s => s.AddLongCat(o => o.ModelPath = Fixtures.Dir("tiny-a"))))
            engine = provider.GetRequiredService<LongCatEngine>();

        Assert.ThrowsExactly<ObjectDisposedException>(() => engine.GenerateAsync([1, 2, 3], Greedy));
    }

    [TestMethod]
    public async Task ConcurrentCallers_OnTheRegisteredEngine_EachGetTheSameAsAlone()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        using var provider = TestServices.Build(s => s.AddLongCat(o => { o.ModelPath = Fixtures.Dir("tiny-a"); o.Engine = new LongCatOptions { KvBlockSize = 4, MaxBatchTokens = 32 }; }));

        // Six threads resolve the engine and generate at once: one load, and every answer is its golden greedy continuation.
        var runs = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            var engine = provider.GetRequiredService<LongCatEngine>();
            var tokens = new List<int>();
            await foreach (var u in engine.GenerateAsync(golden.Ints($"prompt_p{i % 3}"), Greedy with { MaxTokens = 16 })) tokens.AddRange(u.TokenIds);
            return (engine, tokens);
        })).ToArray();
        var results = await Task.WhenAll(runs);

        Assert.AreEqual(1, results.Select(r => r.engine).Distinct().Count(), "one engine for all callers");
        for (int i = 0; i < results.Length; i++) CollectionAssert.AreEqual(golden.Ints($"greedy_p{i % 3}"), results[i].tokens, $"caller {i}");
    }

    [TestMethod]
    public async Task Keyed_TwoModels_AreSeparateEnginesAndClients()
    {
        using var provider = TestServices.Build(s => s.AddKeyedLongCat("flash", o => o.ModelPath = Fixtures.Dir("tiny-a")), s => s.AddKeyedLongCat("lite", o => o.ModelPath = Fixtures.Dir("tiny-lite-a")));

        var flash = provider.GetRequiredKeyedService<IChatClient>("flash");
        var lite = provider.GetRequiredKeyedService<IChatClient>("lite");

        Assert.IsNull(flash.GetService<LongCatEngine>(), "resolving a client loads nothing");
        Assert.AreEqual("tiny-a", (await flash.GetService<LongCatEngineProvider>()!.GetEngineAsync()).ModelId);
        Assert.AreEqual("tiny-lite-a", (await lite.GetService<LongCatEngineProvider>()!.GetEngineAsync()).ModelId);
        Assert.AreSame(provider.GetRequiredKeyedService<LongCatEngine>("lite"), lite.GetService<LongCatEngine>());
        Assert.IsNull(provider.GetService<LongCatEngine>(), "keyed registrations add no default engine");
    }

    [TestMethod]
    public void Validation_MissingModelPath_FailsWithAClearMessage()
    {
        using var provider = TestServices.Build(s => s.AddLongCat(_ => { }));

        var e = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredService<LongCatEngine>());

        StringAssert.Contains(e.Message, "AddLongCat: ModelPath is not set");
    }

    [TestMethod]
    public void Validation_FolderWithoutConfig_AndBadSettings_AreAllReported()
    {
        string empty = Directory.CreateTempSubdirectory("longcat-di-").FullName;
        try
        {
            using var provider = TestServices.Build(s => s.AddKeyedLongCat("m", o =>
            {
                o.ModelPath = empty;
                o.Engine = new LongCatOptions { KvBlockSize = 0 };
                o.Generation = new GenerationOptions { TopP = 2 };
            }));

            var e = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredKeyedService<IChatClient>("m"));

            Assert.AreEqual(3, e.Failures.Count(), string.Join(" | ", e.Failures));
            StringAssert.Contains(e.Message, "AddKeyedLongCat(\"m\")");
            StringAssert.Contains(e.Message, "has no config.json");
            StringAssert.Contains(e.Message, "Engine.KvBlockSize");
            StringAssert.Contains(e.Message, "Generation.TopP");
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [TestMethod]
    public void Validation_RunsAtStartupThroughTheStartupValidator()
    {
        using var provider = TestServices.Build(s => s.AddLongCat(o => o.ModelPath = "no/such/folder"));

        var e = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        StringAssert.Contains(e.Message, "'no/such/folder' does not exist");
    }
}
