using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>
/// Speculative decoding on the bundled demo model, whose MTP head is trained (the fixtures' heads are random, so there the
/// drafts are almost all rejected): greedy output equals plain greedy output token for token over generations that cross many
/// KV blocks, with drafts really accepted, and every block is back in the pool afterwards.
/// </summary>
[TestClass]
public sealed class DemoModelSpeculativeTests
{
    private static LongCatEngine? _engine;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        if (TestModels.DemoModel() is { } dir) _engine = await LongCatEngine.LoadAsync(dir, new LongCatOptions { KvBlockSize = 16 });
    }

    [ClassCleanup]
    public static void Unload() => _engine?.Dispose();

    private static LongCatEngine Engine => _engine ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    private static async Task<(List<int> Tokens, GenerationUsage Usage)> Run(IReadOnlyList<int> prompt, int draftTokens)
    {
        var tokens = new List<int>();
        GenerationUsage? usage = null;
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 160, IgnoreEos = true, DraftTokens = draftTokens };
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
            ? Engine.TokenizeChat([ChatMessage.User("Continue: And God said, Let there be light")])
            : Engine.Tokenizer!.Encode("In the beginning God created the heaven and the earth. And the earth was");

        var plain = await Run(prompt, 0);
        var spec = await Run(prompt, draftTokens);

        CollectionAssert.AreEqual(plain.Tokens, spec.Tokens, $"k = {draftTokens}, chat = {chat}");
        Assert.AreEqual(160, spec.Tokens.Count, "crosses ten 16-token blocks");
        Assert.IsTrue(spec.Usage.AcceptedDraftTokens > 0, $"accepted {spec.Usage.AcceptedDraftTokens} of {spec.Usage.DraftedTokens} drafts");
        Assert.AreEqual(Engine.TotalKvBlocks, Engine.FreeKvBlocks, "every block back in the pool");
    }
}
