using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// The CPU backend against the independent reference's golden outputs, on every fixture folder (tests/fixtures, the bundled
/// models with goldens, and LONGCAT_GOLDEN_DIRS), every prompt and every greedy step. Rows exist only where the golden file has
/// something to check.
/// </summary>
[TestClass]
public sealed class GoldenTests : GoldenChecks
{
    public static IEnumerable<object[]> Prompts => Fixtures.Prompts();
    public static IEnumerable<object[]> Dirs => Fixtures.Dirs();
    public static IEnumerable<object[]> MtpPrompts => Fixtures.PromptsWith("mtp_logits");
    public static IEnumerable<object[]> NgramPrompts => Fixtures.PromptsWith("ngram_hash_ids");

    /// <summary>Quantized weights (the int4 fixtures) against F32 activations: the goldens are of the dequantized weights, so they
    /// check the format exactly; what int8 activations add is bounded in QuantizationAccuracyTests.</summary>
    private protected override ModelOptions Options(int? kvBlockSize = null) => new() { KvBlockSize = kvBlockSize ?? 64, Int8Activations = false };

    protected override string BackendName => "cpu";

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) => DisplayName(m, args);

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_LogitsAtEveryPosition_MatchReference(string dir, int prompt) => CheckLogitsAtEveryPosition(dir, prompt);

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_GreedyContinuationThroughKvCache_MatchesReference(string dir, int prompt) => CheckGreedyContinuation(dir, prompt);

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_RouterSelectionsAndWeights_MatchReference(string dir) => CheckRouter(dir);

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_ResidualStream_MatchesReference(string dir) => CheckResidualStream(dir);

    [TestMethod]
    [DynamicData(nameof(MtpPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_MtpDraftLogits_MatchReference(string dir, int prompt) => CheckMtpDraftLogits(dir, prompt);

    [TestMethod]
    [DynamicData(nameof(MtpPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_MtpIncremental_MatchesFullMtpForward(string dir, int prompt) => CheckMtpIncremental(dir, prompt);

    [TestMethod]
    [DynamicData(nameof(NgramPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_NgramHashesAndEmbedding_MatchReference(string dir, int prompt) => CheckNgramHashesAndEmbedding(dir, prompt);

    /// <summary>The rows above are generated from the golden files; this keeps a fixture with an MTP head (or N-gram tables) from
    /// losing its goldens unnoticed.</summary>
    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_FixtureWithAnMtpHeadOrNgramTables_HasTheirGoldens(string dir)
    {
        var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
        using var golden = new Golden(dir);
        Assert.AreEqual(config.HasMtp && golden.MtpTolerance is not null, golden.Has("mtp_logits_p0"), "MTP goldens where the model has an MTP head");
        Assert.AreEqual(config.Architecture == LongCatArchitecture.FlashNgram, golden.Has("ngram_hash_ids_p0"), "N-gram goldens for Flash-Lite");
    }
}
