using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Evaluation;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;
using LongCat.Sdk.Tests.Compute;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Quantization;

/// <summary>
/// What quantization costs in accuracy (issue 16), pinned: the demo model on its held-out text (models/longcat-demo/heldout.txt,
/// every token scored in windows of 512 strided by 256, as <c>longcat perplexity</c> does) against the same weights in BF16, and
/// tiny-a with FP8 experts quantized further to 8 and 4 bits against the FP8 model. docs/QUANTIZATION.md has the table.
/// </summary>
[TestClass]
public sealed class QuantizationAccuracyTests
{
    private static readonly ModelOptions Options = new() { KvCacheBlocks = 16, LoadMtp = false };

    public TestContext TestContext { get; set; } = null!;

    private static PerplexityReport Compare(string dir, IReadOnlyList<int> tokens, int context, WeightQuantization preset)
    {
        using var backend = new CpuBackend();
        using var baseline = LongCatModel.Load(dir, Options with { Backend = backend });
        using var quantized = LongCatModel.Load(dir, Options with { Backend = backend, Quantization = preset });
        return PerplexityEvaluator.Evaluate(quantized, tokens, context, baseline);
    }

    private void Report(string what, PerplexityReport r) =>
        TestContext.WriteLine($"{what}: ppl {r.Perplexity:F3} (base {r.BasePerplexity:F3}), ratio {r.PerplexityRatio:F4}, mean KL {r.MeanKld:E2}, " +
                              $"top-1 {r.Top1Agreement:P2} over {r.Tokens} tokens");

    [TestMethod]
    [DataRow(WeightQuantization.Q8, 1.01, 0.97)]
    [DataRow(WeightQuantization.Q4Experts, 1.05, 0.0)]
    [DataRow(WeightQuantization.Q4, 1.10, 0.0)]
    public void DemoModel_HeldOutText_PerplexityRatioAndTop1AgreementWithinBounds(WeightQuantization preset, double maxRatio, double minTop1)
    {
        // Arrange
        string dir = TestModels.DemoModel()!;
        var tokens = Tokenizer.FromFile(Path.Combine(dir, "tokenizer.json")).Encode(File.ReadAllText(Path.Combine(dir, "heldout.txt")), parseSpecialTokens: false);

        // Act
        var report = Compare(dir, tokens, context: 512, preset);
        Report($"demo {preset}", report);

        // Assert: the bounds (q8: ratio ≤ 1.01 and top-1 ≥ 97%; q4-experts: ratio ≤ 1.05; q4 reported, bounded loosely),
        // and the quantized weights did change something.
        Assert.IsTrue(report.PerplexityRatio <= maxRatio, $"{preset}: perplexity ratio {report.PerplexityRatio}");
        Assert.IsTrue(report.Top1Agreement >= minTop1, $"{preset}: top-1 agreement {report.Top1Agreement}");
        Assert.IsTrue(report.MeanKld > 0, $"{preset}: KL 0 means nothing was quantized");
    }

    [TestMethod]
    [DataRow(WeightQuantization.Q8, 0.95, 0.005)]
    [DataRow(WeightQuantization.Q4, 0.85, 0.2)]
    public void Fp8Experts_QuantizedFurther_AgreeWithTheFp8Model(WeightQuantization preset, double minTop1, double maxKl)
    {
        // Arrange: tiny-a with layer 0's experts in block FP8 (and random text: tiny-a's weights are random too). Its logits are
        // sharp (lm_head scaled ×6) and its Gaussian weights have no structure, so 4 bits (and int8 activations) cost it far more
        // than a trained model.
        using var fp8Dir = new TempDir();
        using var f32Dir = new TempDir();
        Fp8CheckpointTests.WriteFp8AndDequantizedCopies(fp8Dir, f32Dir);
        var random = new Random(16);
        var tokens = Enumerable.Range(0, 400).Select(_ => random.Next(4, 512)).ToArray();

        // Act
        var report = Compare(fp8Dir.Path, tokens, context: 64, preset);
        Report($"tiny-a FP8 experts -> {preset}", report);

        // Assert
        Assert.IsTrue(report.Top1Agreement >= minTop1, $"{preset}: top-1 agreement {report.Top1Agreement}");
        Assert.IsTrue(report.MeanKld > 0 && report.MeanKld < maxKl, $"{preset}: mean KL {report.MeanKld}");
    }

    [TestMethod]
    [DataRow("tiny-a-autoround-int4")]
    [DataRow("tiny-a-autoround-int4-asym")]
    public void GptqFixture_Int8Activations_AgreeWithTheExactProducts(string fixture)
    {
        // Arrange: the int4 fixture computed two ways on one backend each: int8 activations (the default) and F32 activations
        // against the dequantized weights (what its goldens check).
        var random = new Random(17);
        var tokens = Enumerable.Range(0, 300).Select(_ => random.Next(4, 512)).ToArray();
        using var fast = LongCatModel.Load(Fixtures.Dir(fixture), Options);
        using var exact = LongCatModel.Load(Fixtures.Dir(fixture), Options with { Int8Activations = false });

        // Act
        var report = PerplexityEvaluator.Evaluate(fast, tokens, context: 64, exact);
        Report($"{fixture} int8 activations vs exact", report);

        // Assert
        Assert.IsTrue(report.MeanKld is > 0 and < 0.01, $"mean KL {report.MeanKld}");
        Assert.IsTrue(report.Top1Agreement >= 0.95, $"top-1 agreement {report.Top1Agreement}");
    }
}
