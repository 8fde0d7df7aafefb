using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Thinking;

/// <summary>
/// The 2601 format end to end on the thinking demo model (a real checkpoint trained to reason in <c>&lt;longcat_think&gt;</c> and
/// call tools in XML), on the engine: reasoning and answer arrive apart; a thinking budget ends the reasoning at its length; Heavy
/// Thinking shares its prompt's KV blocks across paths and summarizes. Through IChatClient and Semantic Kernel (reasoning, XML
/// calls typed and invoked), in-process and remote, it is ChatClientContractTests'. What the model wrote goes to the test output.
/// </summary>
[TestClass]
public sealed class ThinkingDemoModelTests
{
    private static LongCatEngine? _engine;
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 160 };

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        // Blocks of 16 tokens: the Heavy Thinking test's prompt fills whole blocks the paths can share.
        if (TestModels.ThinkingDemoModel() is { } dir) _engine = await LongCatEngine.LoadAsync(dir, new LongCatOptions { KvBlockSize = 16 });
    }

    [ClassCleanup]
    public static async Task Unload()
    {
        if (_engine is not null) await _engine.DisposeAsync();
    }

    private static LongCatEngine Engine => _engine ?? throw new AssertInconclusiveException("models/longcat-thinking-demo is not in this checkout.");

    private static async Task<(string Reasoning, string Text, List<int> Ids, List<GenerationUpdate> Updates)> Chat(string question, GenerationOptions options)
    {
        var updates = new List<GenerationUpdate>();
        await foreach (var u in Engine.ChatAsync([LongCatMessage.User(question)], options)) updates.Add(u);
        return (string.Concat(updates.Select(u => u.Reasoning)), string.Concat(updates.Select(u => u.Text)), [.. updates.SelectMany(u => u.TokenIds)], updates);
    }

    [TestMethod]
    public async Task ChatAsync_ReasoningThenAnswer_ArriveApart()
    {
        var (reasoning, text, _, updates) = await Chat("Who are you?", Greedy);
        TestContext.WriteLine($"reasoning: '{reasoning}'\nanswer: '{text}'");

        Assert.AreEqual(FinishReason.Stop, updates[^1].FinishReason, text);
        Assert.IsGreaterThan(0, reasoning.Length);
        Assert.IsGreaterThan(0, text.Length);
        Assert.IsFalse(reasoning.Contains("longcat_", StringComparison.Ordinal) || text.Contains("longcat_", StringComparison.Ordinal), "no tag reaches either stream");
        int firstReasoning = updates.FindIndex(u => u.Reasoning.Length > 0), firstText = updates.FindIndex(u => u.Text.Length > 0);
        Assert.IsLessThan(firstText, firstReasoning, "the reasoning streams first");
        Assert.IsTrue(updates.Skip(firstText + 1).All(u => u.Reasoning.Length == 0), "no reasoning after the answer began");
        var usage = updates[^1].Usage!;
        Assert.IsTrue(usage.ReasoningTokens > 0 && usage.ReasoningTokens < usage.CompletionTokens, $"{usage.ReasoningTokens} of {usage.CompletionTokens}");
    }

    [TestMethod]
    public async Task ThinkingBudget16_TheReasoningEndsAt16TokensAndTheAnswerFollows()
    {
        var tokenizer = Engine.Tokenizer!;
        var (reasoning, text, ids, updates) = await Chat("Continue: In the beginning God", Greedy with { ThinkingBudget = 16 });
        TestContext.WriteLine($"reasoning: '{reasoning}'\nanswer: '{text}'");

        Assert.AreEqual(16, updates[^1].Usage!.ReasoningTokens);
        Assert.AreEqual(tokenizer.TokenToId("</longcat_think>"), ids[16], "the end tag follows the 16 reasoning tokens");
        CollectionAssert.AreEqual(tokenizer.Encode("\n", parseSpecialTokens: false), ids.GetRange(15, 1), "the budget's last token is the forced line break");
        Assert.IsGreaterThan(0, reasoning.Length);
        Assert.IsGreaterThan(0, text.Trim().Length, "an answer follows the forced end of the reasoning");
        Assert.IsFalse(text.Contains("longcat_", StringComparison.Ordinal), "no think tag in the answer, even where the model had more to think");
        var (unbounded, _, _, _) = await Chat("Continue: In the beginning God", Greedy);
        Assert.IsGreaterThan(reasoning.Length, unbounded.Length, "without the budget the model reasons longer");
    }

    [TestMethod]
    public async Task ThinkingBudget_SpeculativeAndPlainGreedy_TheSameTokens()
    {
        var (_, _, speculative, _) = await Chat("Continue: In the beginning God", Greedy with { ThinkingBudget = 16, DraftTokens = 1 });
        var (_, _, plain, _) = await Chat("Continue: In the beginning God", Greedy with { ThinkingBudget = 16, DraftTokens = 0 });

        CollectionAssert.AreEqual(plain, speculative);
    }

    [TestMethod]
    [DataRow(40)]
    [DataRow(64)]
    public async Task RequiredToolCall_WithFewMaxTokens_TheReasoningEndsInTimeForACompleteCall(int maxTokens)
    {
        // The reasoning is free, but must leave the required call's shortest form its tokens: without that the model reasoned
        // into the call's share and the call was cut at max_tokens (finish Length, a truncated body).
        var reminder = ToolDefinition.Create("Reminder-Create", "Create a reminder.",
            """{"type": "object", "properties": {"minutes": {"type": "integer"}, "message": {"type": "string"}}, "required": ["minutes", "message"]}""");
        var (reasoning, text, ids, updates) = await Chat("Remind me to pray in 15 minutes.",
            Greedy with { MaxTokens = maxTokens, Tools = [reminder], ToolChoice = ToolChoice.Required("Reminder-Create") });
        var last = updates[^1];
        TestContext.WriteLine($"{ids.Count} tokens, reasoning '{reasoning}', text '{text}', finish {last.FinishReason}");

        Assert.AreEqual(FinishReason.ToolCalls, last.FinishReason, "the call completed before max_tokens");
        var calls = updates.SelectMany(u => u.ToolCalls ?? []).ToList();
        Assert.AreEqual(1, calls.Count, $"finish {last.FinishReason}, malformed: {string.Join(" | ", updates.SelectMany(u => u.MalformedToolCalls ?? []))}");
        Assert.AreEqual("Reminder-Create", calls[0].Name);
        using var arguments = System.Text.Json.JsonDocument.Parse(calls[0].ArgumentsJson);
        Assert.AreEqual(System.Text.Json.JsonValueKind.Number, arguments.RootElement.GetProperty("minutes").ValueKind);
        Assert.AreEqual(System.Text.Json.JsonValueKind.String, arguments.RootElement.GetProperty("message").ValueKind);
    }

    [TestMethod]
    public async Task EnableThinkingFalse_AnAnswerWithoutReasoning()
    {
        var (reasoning, text, _, updates) = await Chat("Who are you?", Greedy with { EnableThinking = false });
        TestContext.WriteLine($"answer: '{text}'");

        Assert.AreEqual("", reasoning);
        Assert.AreEqual(0, updates[^1].Usage!.ReasoningTokens);
        Assert.IsGreaterThan(0, text.Length);
        Assert.IsFalse(text.Contains("longcat_", StringComparison.Ordinal), text);
    }

    [TestMethod]
    public async Task HeavyThinking_FourPaths_ShareThePromptsBlocksAndSummarize()
    {
        var before = Engine.Statistics;
        LongCatMessage[] conversation =
        [
            LongCatMessage.System("You are LongCat thinking demo. Think before you answer, then answer in one sentence."),
            LongCatMessage.User("What is 12 plus 30?"),
        ];
        int promptTokens = Engine.TokenizeChat(conversation).Count;
        var updates = new List<GenerationUpdate>();
        await foreach (var u in Engine.ChatAsync(conversation, Greedy with { Seed = 7, HeavyThinking = new HeavyThinkingOptions(4) { PathMaxTokens = 120 } }))
            updates.Add(u);

        var paths = updates.Where(u => u.Path is not null).GroupBy(u => u.Path!.Index).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (index, p) in paths)
            TestContext.WriteLine($"path {index}: '{string.Concat(p.Select(u => u.Path!.Text))}' ({p[^1].Path!.Usage?.CompletionTokens} tokens)");
        string summary = string.Concat(updates.Select(u => u.Text));
        TestContext.WriteLine($"summary reasoning: '{string.Concat(updates.Select(u => u.Reasoning))}'\nsummary: '{summary}'");

        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3 }, paths.Keys.ToArray());
        Assert.IsTrue(paths.Values.All(p => p[^1].Path!.FinishReason is FinishReason.Stop or FinishReason.Length), "every path finished");
        int shared = promptTokens / Engine.Options.KvBlockSize * Engine.Options.KvBlockSize;
        Assert.IsGreaterThan(0, shared, "the prompt fills at least one block");
        Assert.IsGreaterThanOrEqualTo(3L * shared, Engine.Statistics.PrefixCacheHitTokens - before.PrefixCacheHitTokens,
            "paths 2-4 start from path 1's prompt blocks");
        Assert.IsNotNull(updates[^1].FinishReason);
        Assert.AreNotEqual(FinishReason.Cancelled, updates[^1].FinishReason);
        Assert.IsGreaterThan(0, summary.Length, "the summary is the answer");
        Assert.IsTrue(updates.TakeWhile(u => u.Path is not null).Count() >= paths.Values.Sum(p => p.Count), "the summary streams after the paths");
    }

    [TestMethod]
    public async Task HeavyThinking_APathsTokens_AreThoseOfTheSameRequestAlone()
    {
        // Batch invariance: path 2, decoded beside three others, writes what its options write alone (seed + 2).
        var heavy = new HeavyThinkingOptions(3) { PathMaxTokens = 48 };
        var options = Greedy with { Seed = 11, MaxTokens = 8, HeavyThinking = heavy };
        var paths = new List<int>();
        await foreach (var u in Engine.ChatAsync([LongCatMessage.User("Who are you?")], options))
            if (u.Path?.Index == 2) paths.AddRange(u.TokenIds);

        var alone = Greedy with { Seed = 13, Temperature = heavy.Temperature, TopP = heavy.TopP, MaxTokens = 48 };
        var (_, _, ids, _) = await Chat("Who are you?", alone);

        CollectionAssert.AreEqual(ids, paths);
    }

    [TestMethod]
    public async Task HeavyThinking_Cancelled_EndsEveryPath()
    {
        using var cts = new CancellationTokenSource();
        var updates = new List<GenerationUpdate>();
        int free = Engine.FreeKvBlocks;
        await foreach (var u in Engine.ChatAsync([LongCatMessage.User("Who are you?")],
                           Greedy with { MaxTokens = 400, HeavyThinking = new HeavyThinkingOptions(4) }, cts.Token))
        {
            updates.Add(u);
            if (updates.Count(x => x.Path is not null) == 12) cts.Cancel();
        }

        Assert.AreEqual(FinishReason.Cancelled, updates[^1].FinishReason);
        Assert.IsFalse(updates.Any(u => u.Text.Length > 0), "no summary after a cancel");
        for (int i = 0; i < 100 && Engine.FreeKvBlocks < free; i++) await Task.Delay(10);
        Assert.AreEqual(free, Engine.FreeKvBlocks, "every path gave its blocks back");
    }

    [TestMethod]
    public void HeavyThinking_BadOptions_ThrowAtTheCall()
    {
        var engine = Engine;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => engine.ChatAsync([LongCatMessage.User("q")], Greedy with { HeavyThinking = new HeavyThinkingOptions(1) }));
        Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([LongCatMessage.System("s")], Greedy with { HeavyThinking = new HeavyThinkingOptions(2) }));
        Assert.ThrowsExactly<ArgumentException>(() => engine.ChatAsync([LongCatMessage.User("q")],
            Greedy with { HeavyThinking = new HeavyThinkingOptions(2), Tools = [ToolDefinition.Create("f", "d", "{}")] }));
    }
}
