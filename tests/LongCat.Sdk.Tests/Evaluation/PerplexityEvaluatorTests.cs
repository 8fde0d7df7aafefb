using System.Buffers.Binary;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Evaluation;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Evaluation;

/// <summary>
/// <see cref="PerplexityEvaluator"/> (issue 16): the demo model's perplexity on its held-out text against NLLs computed from plain
/// forwards, and the comparison statistics against a second copy of a model and against copies whose lm_head is scaled (P and Q
/// are then softmax(z) and softmax(a·z) of the same logits z, so the expected KL follows from the baseline's logits alone).
/// </summary>
[TestClass]
public sealed class PerplexityEvaluatorTests
{
    private static readonly ModelOptions Small = new() { KvCacheBlocks = 16, LoadMtp = false };

    [TestMethod]
    public void Evaluate_DemoModelOnHeldOutText_IsFiniteAndMatchesPlainForwardsAtThreePositions()
    {
        string dir = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var tokens = Tokenizer.FromFile(Path.Combine(dir, "tokenizer.json")).Encode(File.ReadAllText(Path.Combine(dir, "heldout.txt")), parseSpecialTokens: false)[..600];
        using var model = LongCatModel.Load(dir, Small);

        // Windows of 256 strided by 128: [0, 256) scores targets 1-255, [128, 384) 256-383, [256, 512) 384-511, [344, 600) 512-599.
        var report = PerplexityEvaluator.Evaluate(model, tokens, context: 256);

        Assert.AreEqual(599, report.Tokens);
        Assert.AreEqual(4, report.Windows);
        Assert.IsTrue(double.IsFinite(report.Perplexity));
        Assert.IsTrue(report.Perplexity is > 10 and < 200, $"perplexity {report.Perplexity}: the model was trained on this kind of text (uniform would be 4096)");
        Assert.AreEqual(Math.Exp(report.Nll.Average()), report.Perplexity, 1e-9);
        Assert.IsNull(report.PerplexityRatio);
        Assert.IsNull(report.MeanKld);
        foreach (var (target, contextStart) in new[] { (5, 0), (300, 128), (590, 344) })
        {
            using var session = model.CreateSession();
            var logits = session.Prefill(tokens.AsSpan(contextStart, target - contextStart));      // the next-token row after the context
            double nll = Math.Log(logits.Sum(z => Math.Exp(z))) - logits[tokens[target]];
            Assert.AreEqual(nll, report.Nll[target - 1], 1e-3, $"NLL of token {target} with context from {contextStart}");
        }
    }

    [TestMethod]
    public void Evaluate_AgainstASecondCopyOnTheSameBackend_KlIsZeroAndTop1AgreesEverywhere()
    {
        // One backend for both, as `longcat perplexity --quantize` loads them: their forwards alternate on it.
        var tokens = RandomTokens(90, 512, seed: 3);
        using var backend = new CpuBackend();
        using var model = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small with { Backend = backend });
        using var copy = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small with { Backend = backend });

        var report = PerplexityEvaluator.Evaluate(model, tokens, context: 32, baseline: copy);

        Assert.AreEqual(0.0, report.MeanKld!.Value, 1e-12);
        Assert.AreEqual(0.0, report.MaxKld!.Value, 1e-12);
        Assert.AreEqual(1.0, report.Top1Agreement);
        Assert.AreEqual(1.0, report.PerplexityRatio!.Value, 1e-12);
        Assert.AreEqual(report.Perplexity, report.BasePerplexity!.Value, 1e-9);
    }

    [TestMethod]
    public void Evaluate_LmHeadDoubled_KlAndNllMatchTheTemperatureFormula()
    {
        // ×2 is exact in BF16, so the copy's logits are exactly 2z: Q = softmax(2z), P = softmax(z).
        var tokens = RandomTokens(90, 512, seed: 4);
        using var copyDir = PerturbedCopy("tiny-a", WeightNames.LmHead, w => 2 * w);
        using var model = LongCatModel.Load(copyDir.Path, Small);
        using var baseline = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small);

        var report = PerplexityEvaluator.Evaluate(model, tokens, context: 32, baseline: baseline);

        Assert.IsTrue(report.MeanKld > 1e-4, $"mean KL {report.MeanKld}");
        Assert.AreEqual(1.0, report.Top1Agreement, "scaling by 2 keeps every argmax");
        foreach (var (target, contextStart) in new[] { (3, 0), (40, 16), (89, 58) })
        {
            using var session = baseline.CreateSession();
            var z = session.Prefill(tokens.AsSpan(contextStart, target - contextStart)).Select(v => (double)v).ToArray();
            double lseP = Math.Log(z.Sum(Math.Exp)), lseQ = Math.Log(z.Sum(v => Math.Exp(2 * v)));
            double kl = z.Sum(v => Math.Exp(v - lseP) * ((v - lseP) - (2 * v - lseQ)));
            int i = target - 1;
            Assert.AreEqual(kl, report.Kld![i], 1e-4 + 1e-3 * kl, $"KL at token {target}");
            Assert.AreEqual(lseP - z[tokens[target]], report.BaseNll![i], 1e-3, $"baseline NLL at token {target}");
            Assert.AreEqual(lseQ - 2 * z[tokens[target]], report.Nll[i], 2e-3, $"NLL at token {target}");
        }
        Assert.AreEqual(Math.Exp(report.Nll.Zip(report.BaseNll!, (q, p) => q - p).Average()), report.PerplexityRatio!.Value, 1e-9);
    }

    [TestMethod]
    public void Evaluate_LmHeadNegated_Top1NeverAgrees()
    {
        // −z turns every argmax into an argmin.
        var tokens = RandomTokens(60, 512, seed: 5);
        using var copyDir = PerturbedCopy("tiny-a", WeightNames.LmHead, w => -w);
        using var model = LongCatModel.Load(copyDir.Path, Small);
        using var baseline = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small);

        var report = PerplexityEvaluator.Evaluate(model, tokens, context: 32, baseline: baseline);

        Assert.AreEqual(0.0, report.Top1Agreement);
        Assert.IsTrue(report.KldPercentile(99) >= report.MeanKld && report.MaxKld >= report.KldPercentile(99));
        Assert.IsTrue(report.MeanKld > 0.01, $"mean KL {report.MeanKld}");
        Assert.IsTrue(report.RmsDeltaP > 0, $"RMS delta p {report.RmsDeltaP}");
    }

    [TestMethod]
    public void Evaluate_SameInstanceAsBaseline_Throws()
    {
        using var model = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small);

        var e = Assert.ThrowsExactly<ArgumentException>(() => PerplexityEvaluator.Evaluate(model, [1, 2, 3], 8, baseline: model));

        Assert.AreEqual("baseline", e.ParamName);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4097)]
    public void Evaluate_ContextOutOfRange_ThrowsNamingIt(int context)
    {
        using var model = LongCatModel.Load(Fixtures.Dir("tiny-a"), Small);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PerplexityEvaluator.Evaluate(model, [1, 2, 3], context));

        Assert.AreEqual("context", e.ParamName);
    }

    private static int[] RandomTokens(int count, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(4, vocab)).ToArray();
    }

    /// <summary>A copy of a fixture with <paramref name="change"/> applied to every value of one F32/BF16/F16 tensor.</summary>
    internal static TempDir PerturbedCopy(string fixture, string tensor, Func<float, float> change)
    {
        var dir = TempDir.CopyOfFixture(fixture);
        TensorInfo info;
        using (var index = CheckpointIndex.Open(dir.Path)) info = index.Get(tensor).Info;
        string shard = dir.File(Path.GetFileName(info.File));
        var bytes = File.ReadAllBytes(shard);
        var data = bytes.AsSpan(checked((int)(8 + BinaryPrimitives.ReadInt64LittleEndian(bytes) + info.Offset)), checked((int)info.Length));
        int size = info.DType.SizeOf();
        for (int i = 0; i < data.Length; i += size)
        {
            var v = data.Slice(i, size);
            switch (info.DType)
            {
                case DType.F32: BinaryPrimitives.WriteSingleLittleEndian(v, change(BinaryPrimitives.ReadSingleLittleEndian(v))); break;
                case DType.F16: BinaryPrimitives.WriteHalfLittleEndian(v, (Half)change((float)BinaryPrimitives.ReadHalfLittleEndian(v))); break;
                case DType.BF16:
                    float f = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(v) << 16);
                    BinaryPrimitives.WriteUInt16LittleEndian(v, (ushort)(BitConverter.SingleToInt32Bits(change(f)) >>> 16));    // exact for ×2 and negation
                    break;
                default: throw new AssertInconclusiveException($"{tensor} is {info.DType}");
            }
        }
        File.WriteAllBytes(shard, bytes);
        return dir;
    }
}
