using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>
/// Batch invariance on the demo model: a request's tokens, greedy or seeded-sampled, are the same whether it runs alone, among 30
/// concurrent random requests, or in an engine whose KV cache is so small that sequences are preempted and recomputed; and the
/// same with speculation off or with 1, 2 or 3 draft tokens (the reference for every case is the request alone, without drafts).
/// </summary>
[TestClass]
public sealed class BatchInvarianceTests
{
    private static readonly (string Prompt, bool Chat, GenerationOptions Options)[] Probes =
    [
        ("In the beginning God created the heaven and the earth.", false, new() { Temperature = 0, MaxTokens = 40, IgnoreEos = true }),
        ("Who are you?", true, new() { Temperature = 0, MaxTokens = 40, IgnoreEos = true, RepetitionPenalty = 1.2f }),
        ("The LORD is my shepherd", false, new() { Temperature = 0.8f, TopP = 0.95f, Seed = 4244, MaxTokens = 40, IgnoreEos = true }),
        ("And God said", false, new() { Temperature = 1f, Seed = 7, MaxTokens = 40, IgnoreEos = true, PresencePenalty = 0.5f }),
        ("Continue: Blessed are the meek", true, new() { Temperature = 0.7f, TopK = 20, MinP = 0.02f, Seed = 99, MaxTokens = 40, IgnoreEos = true }),
        ("Hello!", true, new() { Temperature = 1.3f, Seed = 12345, MaxTokens = 40, IgnoreEos = true, FrequencyPenalty = 0.3f }),
    ];

    private static List<int>[]? _reference;

    [ClassInitialize]
    public static async Task Reference(TestContext _)
    {
        var engine = await TestModels.SharedDemoAsync();
        if (engine is null) return;                 // no demo model: the tests say so (ReferenceTokens)
        _reference = new List<int>[Probes.Length];
        for (int i = 0; i < Probes.Length; i++) _reference[i] = await Run(engine, i, draftTokens: 0);
    }

    private static List<int>[] ReferenceTokens => _reference ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    private static async Task<List<int>> Run(LongCatEngine engine, int probe, int draftTokens)
    {
        var (prompt, chat, options) = Probes[probe];
        options = options with { DraftTokens = draftTokens };
        var stream = chat ? engine.ChatAsync([LongCatMessage.User(prompt)], options) : engine.GenerateAsync(prompt, options);
        var tokens = new List<int>();
        await foreach (var u in stream) tokens.AddRange(u.TokenIds);
        return tokens;
    }

    // Requests of every kind around the probes: greedy and sampled, seeded or not, chats with tools, stop sequences, drafts.
    private static async Task Noise(LongCatEngine engine, int count, int seed, bool tools = true)
    {
        var random = new Random(seed);
        string[] texts = ["And the earth was without form", "Hello!", "What time is it?", "Thou shalt", "Let there be light", "Amen."];
        var tasks = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            var options = new GenerationOptions
            {
                Temperature = random.Next(3) == 0 ? 0 : (float)(0.5 + random.NextDouble()),
                TopP = random.Next(2) == 0 ? 1f : 0.9f,
                Seed = random.Next(2) == 0 ? null : random.Next(),
                MaxTokens = random.Next(1, 48),
                DraftTokens = random.Next(0, 4),
                StopSequences = random.Next(4) == 0 ? ["\n"] : [],
                Tools = tools && random.Next(4) == 0 ? [ToolDefinition.Create("clock", "The time.", "{}")] : null,
            };
            string text = texts[random.Next(texts.Length)];
            bool chat = random.Next(2) == 0 || options.Tools is not null;
            tasks.Add(Task.Run(async () =>
            {
                var stream = chat ? engine.ChatAsync([LongCatMessage.User(text)], options) : engine.GenerateAsync(text, options);
                await foreach (var _ in stream) { }
            }));
        }
        await Task.WhenAll(tasks);
    }

    private static void AssertAllEqualReference(IReadOnlyList<List<int>> actual, string scenario)
    {
        for (int i = 0; i < Probes.Length; i++)
        {
            Assert.AreEqual(40, ReferenceTokens[i].Count, $"probe {i} reference runs to its limit");
            CollectionAssert.AreEqual(ReferenceTokens[i], actual[i], $"probe {i} ({Probes[i].Prompt}), {scenario}");
        }
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task Alone_SameTokensWithAnyDraftCount(int draftTokens)
    {
        var engine = TestModels.RequireDemo(await TestModels.SharedDemoAsync());
        var actual = new List<List<int>>();
        for (int i = 0; i < Probes.Length; i++) actual.Add(await Run(engine, i, draftTokens));
        AssertAllEqualReference(actual, $"alone, k = {draftTokens}");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task AmongThirtyConcurrentRandomRequests_SameTokens(int draftTokens)
    {
        var engine = TestModels.RequireDemo(await TestModels.SharedDemoAsync());
        var noise = Noise(engine, 30, seed: 30 + draftTokens);
        var actual = await Task.WhenAll(Enumerable.Range(0, Probes.Length).Select(i => Task.Run(() => Run(engine, i, draftTokens))));
        await noise;
        AssertAllEqualReference(actual, $"among 30 others, k = {draftTokens}");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task UnderPreemption_SameTokens(int draftTokens)
    {
        // 14 blocks of 8 tokens: one probe needs up to 8, so two or three sequences outgrow the cache and are preempted.
        await using var engine = TestModels.RequireDemo(await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = 8, KvCacheBlocks = 14 }));
        var before = engine.Statistics;
        var noise = Noise(engine, 6, seed: 60 + draftTokens, tools: false);     // a tool description alone would not fit
        var actual = await Task.WhenAll(Enumerable.Range(0, Probes.Length).Select(i => Task.Run(() => Run(engine, i, draftTokens))));
        await noise;
        AssertAllEqualReference(actual, $"preempted, k = {draftTokens}");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
        Assert.IsTrue(engine.Statistics.Preemptions > before.Preemptions, "sequences were preempted");
    }
}
