using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// A grammar constraint that allows every text (any bytes, ending anywhere) changes no token of the demo model's output: greedy
/// and seeded, with and without MTP speculation. The whole path runs (the mask each step, drafts checked, accept and rollback),
/// so a mask that lost a token, a rollback that left a state behind or a draft checked against the wrong state would show.
/// </summary>
[TestClass]
public sealed class AllowEverythingConstraintTests
{
    private static LongCatEngine? _engine;

    [ClassInitialize]
    public static async Task Load(TestContext _) => _engine = await TestModels.SharedDemoAsync();

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    private static JsonSchemaConstraint AllowEverything(LongCatEngine engine)
    {
        var builder = new GrammarBuilder();
        builder.Define(builder.NewRule("anything"), GrammarExpr.Star(GrammarExpr.Bytes(ByteSet.All)));
        var vocabulary = TokenVocabulary.FromTokenizer(engine.Tokenizer!);
        return new JsonSchemaConstraint(new TokenMaskCache(builder.Build(), vocabulary), engine.EosTokenIds);
    }

    [TestMethod]
    [DataRow(0f, 0)]
    [DataRow(0f, 2)]
    [DataRow(0.9f, 0)]
    [DataRow(0.9f, 2)]
    public async Task AllowEverything_SameTokensAsUnconstrained(float temperature, int draftTokens)
    {
        var engine = Engine;
        var vocabulary = TokenVocabulary.FromTokenizer(engine.Tokenizer!);
        foreach (string prompt in new[] { "In the beginning God created", "And the LORD said unto Moses,", "Blessed is the man" })
        {
            var ids = engine.Tokenizer!.Encode(prompt);
            var options = new GenerationOptions { Temperature = temperature, Seed = 12, MaxTokens = 96, DraftTokens = draftTokens };

            var plain = await Tokens(engine.GenerateAsync(ids, options));
            var constrained = await Tokens(engine.GenerateAsync(ids, options, AllowEverything(engine)));

            Assert.IsTrue(plain.All(vocabulary.IsText), "the unconstrained output holds only text tokens (else the comparison is moot)");
            CollectionAssert.AreEqual(plain, constrained, $"T={temperature} drafts={draftTokens} prompt '{prompt}'");
        }
    }

    private static async Task<List<int>> Tokens(IAsyncEnumerable<GenerationUpdate> stream)
    {
        var tokens = new List<int>();
        await foreach (var u in stream) tokens.AddRange(u.TokenIds);
        return tokens;
    }
}

/// <summary>A constraint under which no token can continue ends the generation with <see cref="FinishReason.NoAllowedToken"/>.</summary>
[TestClass]
public sealed class NoAllowedTokenTests
{
    /// <summary>Allows every token for <paramref name="free"/> tokens, then none.</summary>
    private sealed class Dead(int free) : LongCat.Sdk.Serving.TokenConstraint
    {
        private int _accepted;
        public override bool IsComplete => false;
        public override IReadOnlyList<int> ForcedTokens() => [];
        public override bool FillNextTokenBitmask(Span<uint> bitmask)
        {
            if (_accepted < free) return false;
            bitmask.Clear();
            return true;
        }
        public override void Accept(int token) => _accepted++;
        public override void Rollback(int tokens) => _accepted -= tokens;
    }

    [TestMethod]
    [DataRow(0, 0f)]
    [DataRow(3, 0f)]
    [DataRow(3, 1f)]
    public async Task NoTokenAllowed_EndsWithNoAllowedToken_AfterTheFreeTokens(int free, float temperature)
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var options = new GenerationOptions { Temperature = temperature, Seed = 1, MaxTokens = 32, IgnoreEos = true };
        var tokens = new List<int>();
        GenerationUpdate? last = null;

        await foreach (var u in engine.GenerateAsync([1, 2, 3], options, new Dead(free))) { tokens.AddRange(u.TokenIds); last = u; }

        Assert.AreEqual(FinishReason.NoAllowedToken, last!.FinishReason);
        Assert.HasCount(free, tokens);
    }
}
