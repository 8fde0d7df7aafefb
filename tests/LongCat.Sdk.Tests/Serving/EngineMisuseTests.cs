using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>
/// What an outside caller can do to the engine that once broke it: each test reproduces one reported defect (see issue 14) and
/// checks that the caller gets a typed error or a clean end, and that the engine goes on serving others with every block free.
/// </summary>
[TestClass]
public sealed class EngineMisuseTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 12, IgnoreEos = true };

    [TestMethod]
    public async Task Stream_EnumeratedTwice_SecondThrows_AndTheEngineServesOthers()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 });
        var stream = engine.GenerateAsync([1, 5, 9], Greedy);
        var first = await Streams.Collect(stream);

        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => Streams.Collect(stream));

        Assert.AreEqual(12, first.Tokens.Count);
        Assert.AreEqual(FinishReason.Length, first.Last.FinishReason);
        var next = await Streams.Collect(engine.GenerateAsync([1, 5, 9], Greedy));
        CollectionAssert.AreEqual(first.Tokens, next.Tokens, "the engine is unharmed");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task Stream_TwoEnumeratorsAtOnce_TheSecondThrows_TheFirstCompletes()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 });
        var stream = engine.GenerateAsync([1, 5, 9], Greedy);
        await using var a = stream.GetAsyncEnumerator();
        Assert.IsTrue(await a.MoveNextAsync());

        Assert.ThrowsExactly<InvalidOperationException>(() => stream.GetAsyncEnumerator());

        var last = a.Current;
        int tokens = last.TokenIds.Count;
        while (await a.MoveNextAsync())
        {
            last = a.Current;
            tokens += last.TokenIds.Count;
        }
        Assert.AreEqual(12, tokens);
        Assert.AreEqual(FinishReason.Length, last.FinishReason);
        await a.DisposeAsync();
        var (again, _) = await Streams.Collect(engine.GenerateAsync([1, 5, 9], Greedy));
        Assert.AreEqual(12, again.Count);
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    private static GenerationOptions RequiredAny => new()
    {
        Temperature = 1f, Seed = 3, MaxTokens = 24, ToolChoice = ToolChoice.Required(),
        Tools = [ToolDefinition.Create("get_time", "Time.", "{}"), ToolDefinition.Create("get_weather", "Weather.", "{}"), ToolDefinition.Create("add", "Add.", "{}")],
    };

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(3)]
    public async Task Chat_RequiredToolCancelled_EndsAsCancelled_NeverThrows(int updatesBeforeCancel)
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        using var cts = new CancellationTokenSource();
        if (updatesBeforeCancel == 0) cts.Cancel();
        var updates = new List<GenerationUpdate>();

        await foreach (var u in engine.ChatAsync([LongCatMessage.User("Hi")], RequiredAny with { IgnoreEos = true, MaxTokens = 500 }, cts.Token))
        {
            updates.Add(u);
            if (updates.Count == updatesBeforeCancel) cts.Cancel();
        }

        Assert.AreEqual(FinishReason.Cancelled, updates[^1].FinishReason);
        Assert.IsNotNull(updates[^1].Usage);
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task ChatClient_RequireAnyCancelled_ThrowsOperationCanceled()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var client = engine.AsIChatClient(new GenerationOptions { Temperature = 1f, Seed = 3, MaxTokens = 500 });
        var tools = RequiredAny.Tools!.Select(t => (AITool)AIFunctionFactory.Create(() => "ok", t.Name, t.Description)).ToList();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync("Hi", new ChatOptions { Tools = tools, ToolMode = ChatToolMode.RequireAny }, cts.Token)) { }
        });
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task Chat_RequiredToolWithBadArguments_ThrowsAtTheCall()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);

        var empty = Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([], RequiredAny));
        StringAssert.Contains(empty.Message, "messages");
        var nullTool = Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([LongCatMessage.User("Hi")], RequiredAny with { Tools = [RequiredAny.Tools![0], null!] }));
        Assert.AreEqual("Tools", nullTool.ParamName);
        StringAssert.Contains(nullTool.Message, "Tools[1]");
        var nullMessage = Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([null!], RequiredAny));
        StringAssert.Contains(nullMessage.Message, "messages[0]");
    }

    [TestMethod]
    public async Task Options_NullListsAndDuplicateTools_ThrowNamingTheOption()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);

        Assert.AreEqual("StopSequences", Assert.ThrowsExactly<ArgumentNullException>(() => engine.GenerateAsync("Hi", Greedy with { StopSequences = null! })).ParamName);
        Assert.AreEqual("StopTokenIds", Assert.ThrowsExactly<ArgumentNullException>(() => engine.GenerateAsync("Hi", Greedy with { StopTokenIds = null! })).ParamName);
        Assert.AreEqual("ToolChoice", Assert.ThrowsExactly<ArgumentNullException>(() => engine.ChatAsync([LongCatMessage.User("Hi")], Greedy with { ToolChoice = null! })).ParamName);
        Assert.AreEqual("StopTokenIds", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => engine.GenerateAsync("Hi", Greedy with { StopTokenIds = [1 << 20] })).ParamName);
        var twice = Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([LongCatMessage.User("Hi")],
            Greedy with { Tools = [ToolDefinition.Create("f", "F.", "{}"), ToolDefinition.Create("f", "Also f.", "{}")] }));
        Assert.AreEqual("Tools", twice.ParamName);
        Assert.AreEqual("StopSequences", Assert.ThrowsExactly<ArgumentException>(() => engine.GenerateAsync("Hi", Greedy with { StopSequences = ["a", ""] })).ParamName);
    }

    /// <summary>The reported case: 36 seeded sampled requests at once on an engine with a few KV blocks (here 12 of 8 tokens, so
    /// sequences are preempted as they grow), no prefix caching and MTP
    /// drafts; some differed from the same request alone (one at its 33rd token), because how many random draws a request took
    /// depended on what happened to its drafts.</summary>
    [TestMethod]
    public async Task Seeded_UnderKvPressureWithDrafts_EachEqualsTheRequestAlone()
    {
        string[] prompts = ["The LORD is my shepherd", "And God said", "In the beginning", "Blessed are the poor in spirit"];
        var requests = Enumerable.Range(0, 36).Select(i => (Prompt: prompts[i % prompts.Length], Options: new GenerationOptions
        {
            Temperature = 0.8f, TopP = 0.95f, Seed = 4244 + i, MaxTokens = 40, IgnoreEos = true,
        })).ToArray();
        var alone = new List<List<int>>();
        var quiet = TestModels.RequireDemo(await TestModels.SharedDemoAsync());
        foreach (var (prompt, options) in requests) alone.Add((await Streams.Collect(quiet.GenerateAsync(prompt, options))).Tokens);
        await using var engine = TestModels.RequireDemo(await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = 8, KvCacheBlocks = 12, PrefixCaching = false }));

        var crowded = await Task.WhenAll(requests.Select(r => Task.Run(() => Streams.Collect(engine.GenerateAsync(r.Prompt, r.Options)))));

        for (int i = 0; i < requests.Length; i++) CollectionAssert.AreEqual(alone[i], crowded[i].Tokens, $"request {i}");
        Assert.IsTrue(crowded.Sum(c => c.Last.Usage!.DraftedTokens) > 0, "drafts were verified");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task FreeKvBlocksAndStatistics_ReadFromAnotherThreadWhileRequestsRun_NeverThrow()
    {
        await using var engine = TestModels.RequireDemo(await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = 4, KvCacheBlocks = 96 }));
        using var done = new CancellationTokenSource();
        long reads = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                int free = engine.FreeKvBlocks;
                var stats = engine.Statistics;
                Assert.IsTrue(free >= 0 && free <= engine.TotalKvBlocks && stats.Steps >= 0);
                reads++;
            }
        });
        // Shared prefixes fill the prefix cache, whose entries the reads once walked while the loop changed them.
        var requests = Enumerable.Range(0, 24).Select(i => Task.Run(() => Streams.Collect(engine.GenerateAsync($"And God said, Let there be {i % 3}",
            Greedy with { MaxTokens = 16 + i % 5 })))).ToList();
        await Task.WhenAll(requests);
        done.Cancel();
        await reader;

        Assert.IsTrue(reads > 100, $"{reads} reads");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }
}
