using LongCat.Sdk.Evaluation;

namespace LongCat.Sdk.Tests.Evaluation;

/// <summary>The per-position statistics of the perplexity tool on hand-made distributions with known values (issue 16).</summary>
[TestClass]
public sealed class LogitStatisticsTests
{
    // Logits of P = [1/2, 1/4, 1/4] and Q = [1/4, 1/2, 1/4], each shifted (softmax ignores a constant).
    private static readonly float[] P = [MathF.Log(0.5f) + 3, MathF.Log(0.25f) + 3, MathF.Log(0.25f) + 3];
    private static readonly float[] Q = [MathF.Log(0.25f) - 1, MathF.Log(0.5f) - 1, MathF.Log(0.25f) - 1];

    [TestMethod]
    public void Compare_KnownDistributions_GivesTheirKlDivergence()
    {
        // KL(P || Q) = 1/2 ln((1/2)/(1/4)) + 1/4 ln((1/4)/(1/2)) + 1/4 ln 1 = (1/2 − 1/4) ln 2
        var c = LogitStatistics.Compare(P, Q, target: 1);

        Assert.AreEqual(0.25 * Math.Log(2), c.Kld, 1e-6);
        Assert.AreEqual(Math.Log(2), c.Nll, 1e-6, "−ln Q(1) = −ln 1/2");
        Assert.AreEqual(Math.Log(4), c.BaseNll, 1e-6, "−ln P(1) = −ln 1/4");
        Assert.AreEqual(0.25, c.DeltaP, 1e-6, "Q(1) − P(1)");
        Assert.IsFalse(c.SameTop1, "P's top token is 0, Q's is 1");
    }

    [TestMethod]
    public void Compare_KlIsAsymmetric_TheBaselineWeighsTheTerms()
    {
        // KL(Q || P) = 1/4 ln(1/2) + 1/2 ln 2 = 1/4 ln 2 here too; a three-way case tells the directions apart.
        float[] a = [MathF.Log(0.7f), MathF.Log(0.2f), MathF.Log(0.1f)], b = [MathF.Log(0.1f), MathF.Log(0.3f), MathF.Log(0.6f)];
        double ab = 0.7 * Math.Log(0.7 / 0.1) + 0.2 * Math.Log(0.2 / 0.3) + 0.1 * Math.Log(0.1 / 0.6);
        double ba = 0.1 * Math.Log(0.1 / 0.7) + 0.3 * Math.Log(0.3 / 0.2) + 0.6 * Math.Log(0.6 / 0.1);

        Assert.AreEqual(ab, LogitStatistics.Compare(a, b, 0).Kld, 1e-6);
        Assert.AreEqual(ba, LogitStatistics.Compare(b, a, 0).Kld, 1e-6);
    }

    [TestMethod]
    public void Compare_SameRow_IsZeroAndAgrees()
    {
        var c = LogitStatistics.Compare(P, P, target: 2);

        Assert.AreEqual(0.0, c.Kld);
        Assert.AreEqual(c.BaseNll, c.Nll);
        Assert.AreEqual(0.0, c.DeltaP);
        Assert.IsTrue(c.SameTop1);
    }

    [TestMethod]
    public void Compare_RowsOfDifferentLengths_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => LogitStatistics.Compare(P, [1f, 2f], 0));
    }

    [TestMethod]
    public void LogSumExp_LargeLogits_DoesNotOverflow()
    {
        Assert.AreEqual(1000 + Math.Log(2), LogitStatistics.LogSumExp([1000f, 1000f]), 1e-9);
        Assert.AreEqual(-1000 + Math.Log(3), LogitStatistics.LogSumExp([-1000f, -1000f, -1000f]), 1e-9);
    }

    [TestMethod]
    public void Nll_IsMinusLogSoftmaxOfTheTarget()
    {
        Assert.AreEqual(Math.Log(4), LogitStatistics.Nll(P, 2), 1e-6);
    }

    [TestMethod]
    public void ArgMax_Ties_TakeTheFirst()
    {
        Assert.AreEqual(1, LogitStatistics.ArgMax([0f, 2f, 2f, -1f]));
    }
}
