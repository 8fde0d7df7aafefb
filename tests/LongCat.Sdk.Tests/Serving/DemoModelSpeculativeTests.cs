using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>
/// Speculative decoding on the bundled demo model, whose MTP head is trained (the fixtures' heads are random, so there the
/// drafts are almost all rejected): greedy output equals plain greedy output token for token over generations that cross many small
/// KV blocks, with drafts really accepted, and every block is back in the pool afterwards.
/// </summary>
[TestClass]
public sealed class DemoModelSpeculativeTests
{
    private static LongCatEngine? _engine;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        _engine = await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = 4 });
    }

    [ClassCleanup]
    public static void Unload() => _engine?.Dispose();

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    private static async Task<(List<int> Tokens, GenerationUsage Usage)> Run(IReadOnlyList<int> prompt, int draftTokens, int maxTokens = 160,
        bool ignoreEos = true)
    {
        var tokens = new List<int>();
        GenerationUsage? usage = null;
        var options = new GenerationOptions { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = ignoreEos, DraftTokens = draftTokens };
        await foreach (var u in Engine.GenerateAsync(prompt, options))
        {
            tokens.AddRange(u.TokenIds);
            usage = u.Usage ?? usage;
        }
        return (tokens, usage!);
    }

    [TestMethod]
    [DataRow(1, false)]
    [DataRow(2, false)]
    [DataRow(1, true)]
    [DataRow(2, true)]
    public async Task Greedy_Speculative_EqualsPlainGreedy_WithDraftsAccepted(int draftTokens, bool chat)
    {
        Assert.IsNull(Engine.SpeculationFallbackReason, "the demo model has an MTP head");
        IReadOnlyList<int> prompt = chat
            ? Engine.TokenizeChat([LongCatMessage.User("Continue: And God said, Let there be light")])
            : Engine.Tokenizer!.Encode("In the beginning God created the heaven and the earth. And the earth was");

        var start = Engine.Statistics;
        var plain = await Run(prompt, 0);
        var before = Engine.Statistics;
        var spec = await Run(prompt, draftTokens);
        var after = Engine.Statistics;

        CollectionAssert.AreEqual(plain.Tokens, spec.Tokens, $"k = {draftTokens}, chat = {chat}");
        Assert.AreEqual(spec.Usage.VerifySteps, after.VerifySteps - before.VerifySteps, "engine-wide verify steps");
        Assert.AreEqual(spec.Usage.AcceptedDraftTokens, after.AcceptedDraftTokens - before.AcceptedDraftTokens, "engine-wide accepted drafts");
        Assert.AreEqual(160, spec.Tokens.Count, "crosses forty 4-token blocks");
        Assert.IsTrue(spec.Usage.AcceptedDraftTokens > 0, $"accepted {spec.Usage.AcceptedDraftTokens} of {spec.Usage.DraftedTokens} drafts");
        // Step accounting: plain decoding takes a step per token; a verify step emits its accepted drafts plus one token.
        Assert.AreEqual((160, 0, 1.0), (plain.Usage.DecodeSteps, plain.Usage.VerifySteps, plain.Usage.TokensPerStep));
        // Only the last step can end inside its accepted drafts (at the token limit), leaving up to k of them unemitted.
        int stepsAndAccepted = spec.Usage.DecodeSteps + spec.Usage.AcceptedDraftTokens;
        Assert.IsTrue(stepsAndAccepted >= 160 && stepsAndAccepted <= 160 + draftTokens, $"{spec.Usage.DecodeSteps} steps + {spec.Usage.AcceptedDraftTokens} accepted");
        Assert.AreEqual(spec.Usage.DecodeSteps - 1, spec.Usage.VerifySteps, "every step after the prompt's verifies drafts");
        Assert.AreEqual((double)spec.Usage.AcceptedDraftTokens / spec.Usage.VerifySteps, spec.Usage.MeanAcceptedLength, 1e-12);
        Assert.AreEqual(160.0 / spec.Usage.DecodeSteps, spec.Usage.TokensPerStep, 1e-12);
        Assert.AreEqual(Engine.TotalKvBlocks, Engine.FreeKvBlocks, "every block back in the pool");
        // Step timing: the prompt's step is not a decode step; plain decode never verifies nor drafts; with MTP every decode step verifies.
        Assert.AreEqual((159L, 0L, TimeSpan.Zero), (before.DecodeForwards - start.DecodeForwards, before.VerifyForwards - start.VerifyForwards, before.DraftTime - start.DraftTime));
        Assert.IsTrue(before.DecodeForwardTime > start.DecodeForwardTime);
        Assert.AreEqual(((long)spec.Usage.VerifySteps, (long)spec.Usage.VerifySteps), (after.DecodeForwards - before.DecodeForwards, after.VerifyForwards - before.VerifyForwards));
        Assert.AreEqual((after.DecodeForwardTime - before.DecodeForwardTime).TotalMicroseconds, (after.VerifyForwardTime - before.VerifyForwardTime).TotalMicroseconds,
            0.2, "the same steps (each total is rounded to 100 ns)");
        Assert.IsTrue(after.DraftTime > before.DraftTime, "the head ran");
        Assert.IsTrue(after.DecodeStepTime - before.DecodeStepTime >= after.DecodeForwardTime - before.DecodeForwardTime, "a step holds its forward");
    }

    /// <summary>
    /// A step can accept drafts past the token that ends the request (end of turn, or the token limit): the cache then holds rows
    /// beyond the emitted tokens, and the finished sequence's full blocks go to the prefix cache. Chat turns end with
    /// &lt;/longcat_s&gt;, so every limit from 1 to 24 tokens ends some run inside an accepted draft.
    /// </summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task Greedy_Speculative_EndingInsideAcceptedDrafts_EqualsPlain_AndTheEngineGoesOn(int draftTokens)
    {
        string[] questions = ["Who are you?", "Hello!", "Continue: In the beginning God"];
        foreach (string q in questions)
        {
            var prompt = Engine.TokenizeChat([LongCatMessage.User(q)]);
            for (int max = 1; max <= 24; max++)
            {
                var plain = await Run(prompt, 0, max, ignoreEos: false);
                var spec = await Run(prompt, draftTokens, max, ignoreEos: false);
                CollectionAssert.AreEqual(plain.Tokens, spec.Tokens, $"'{q}', max {max}, k = {draftTokens}");
            }
        }
        Assert.AreEqual(Engine.TotalKvBlocks, Engine.FreeKvBlocks, "every block back in the pool");
    }

    /// <summary>
    /// The same, where the accepted draft past the end is the first row of a new KV block: the finished sequence then has more
    /// cached rows than tokens, and only the blocks its tokens fill may go to the prefix cache (this threw in the prefix cache and
    /// failed the request). Each block size puts a block boundary just past the plain run's last token.
    /// </summary>
    [TestMethod]
    [DataRow("Who are you?", 1)]
    [DataRow("Who are you?", 2)]
    [DataRow("Hello!", 1)]
    [DataRow("Hello!", 2)]
    public async Task Greedy_Speculative_DraftsPastTheEndFillANewBlock_FinishesCleanly(string question, int draftTokens)
    {
        LongCatMessage[] chat = [LongCatMessage.System("You are a helpful assistant."), LongCatMessage.User(question)];
        var prompt = Engine.TokenizeChat(chat);
        var plain = await Run(prompt, 0, 64, ignoreEos: false);
        int total = prompt.Count + plain.Tokens.Count;
        for (int blockSize = total + 1; blockSize <= total + draftTokens; blockSize++)
        {
            await using var engine = TestModels.RequireDemo(await TestModels.LoadDemoAsync(new LongCatOptions { KvBlockSize = blockSize }));
            var options = new GenerationOptions { Temperature = 0, MaxTokens = 64, DraftTokens = draftTokens };
            var tokens = new List<int>();
            await foreach (var u in engine.GenerateAsync(prompt, options)) tokens.AddRange(u.TokenIds);

            CollectionAssert.AreEqual(plain.Tokens, tokens, $"block size {blockSize}");
            Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks, $"block size {blockSize}");
        }
    }
}
