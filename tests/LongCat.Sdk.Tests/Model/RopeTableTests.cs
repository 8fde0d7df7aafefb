using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// Rotary tables against LONGCAT.md §3.3–3.4: plain RoPE inverse frequencies, and YaRN's blend, attention factor and softmax-scale
/// multiplier with Flash-Lite's parameters (factor 10, mscale = mscale_all_dim = 1, beta 32/1, original context 32768, 64 rope dims).
/// </summary>
[TestClass]
public sealed class RopeTableTests
{
    private const int Dim = 64;
    private const double Factor = 10;
    private const double OriginalMax = 32768;

    private static readonly RopeScaling LiteYarn = new(Factor, OriginalMax, BetaFast: 32, BetaSlow: 1, Mscale: 1, MscaleAllDim: 1, AttentionFactor: null);

    /// <summary>corr(r) of §3.4: the dimension whose wavelength makes r rotations over the original context.</summary>
    private static double Corr(double rotations, double theta) => Dim * Math.Log(OriginalMax / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));

    private static void AssertRelative(double expected, double actual, double tolerance, string what) =>
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");

    [TestMethod]
    [DataRow(5e6)]
    [DataRow(1e7)]
    public void Yarn_LiteParameters_SoftmaxMultiplierIsMscaleSquared(double theta)
    {
        // Act
        var table = RopeTable.Create(Dim, theta, LiteYarn);

        // Assert: §3.4 worked numbers.
        Assert.AreEqual(1.513536, table.SoftmaxScaleMultiplier, 1e-6);
        Assert.AreEqual(0.1092301, Math.Pow(192, -0.5) * table.SoftmaxScaleMultiplier, 1e-7);
        Assert.AreEqual(1.0, table.AttentionFactor, 1e-7);
    }

    [TestMethod]
    public void GetMscale_WorkedValuesAndNoScaling()
    {
        Assert.AreEqual(1.2302585, RopeTable.GetMscale(10, 1), 1e-7);
        Assert.AreEqual(1 + 0.05 * Math.Log(10), RopeTable.GetMscale(10, 0.5), 1e-12);
        Assert.AreEqual(1.0, RopeTable.GetMscale(1, 1));
        Assert.AreEqual(1.0, RopeTable.GetMscale(0.5, 3));
    }

    [TestMethod]
    [DataRow(5e6, 10, 18)]
    [DataRow(1e7, 10, 17)]
    public void Yarn_InvFreq_KeepsHighFrequenciesDividesLowOnesAndRampsBetween(double theta, int pinnedLow, int pinnedHigh)
    {
        // Arrange: the boundaries from §3.4's formula, computed here and pinned by hand.
        double low = Math.Max(Math.Floor(Corr(32, theta)), 0);
        double high = Math.Min(Math.Ceiling(Corr(1, theta)), Dim - 1);
        Assert.AreEqual(pinnedLow, low, "low");
        Assert.AreEqual(pinnedHigh, high, "high");

        // Act
        var table = RopeTable.Create(Dim, theta, LiteYarn);

        // Assert
        Assert.AreEqual(Dim / 2, table.InvFreq.Length);
        for (int j = 0; j < Dim / 2; j++)
        {
            double original = 1 / Math.Pow(theta, 2.0 * j / Dim);
            double interpolated = original / Factor;
            if (j <= low)
                AssertRelative(original, table.InvFreq[j], 1e-6, $"dim pair {j} (≤ low {low}) keeps the original frequency");
            else if (j >= high)
                AssertRelative(interpolated, table.InvFreq[j], 1e-6, $"dim pair {j} (≥ high {high}) is divided by the factor");
            else
            {
                double ramp = (j - low) / (high - low);
                AssertRelative(original * (1 - ramp) + interpolated * ramp, table.InvFreq[j], 1e-6, $"dim pair {j} on the ramp");
                Assert.IsTrue(table.InvFreq[j] < original && table.InvFreq[j] > interpolated, $"dim pair {j} lies strictly between");
            }
        }
    }

    [TestMethod]
    public void Yarn_WithoutMscales_AttentionFactorIsMscaleOfFactorAndSoftmaxUnscaled()
    {
        // HF: attention_factor = get_mscale(factor) when mscale/mscale_all_dim are not both given; no mscale_all_dim → no softmax change.
        var scaling = LiteYarn with { Mscale = null, MscaleAllDim = null };

        var table = RopeTable.Create(Dim, 5e6, scaling);

        Assert.AreEqual(1.2302585, table.AttentionFactor, 1e-6);
        Assert.AreEqual(1.0, table.SoftmaxScaleMultiplier, 1e-7);
    }

    [TestMethod]
    public void Yarn_DifferentMscales_AttentionFactorIsTheirRatio()
    {
        var scaling = LiteYarn with { Mscale = 1, MscaleAllDim = 0.5 };

        var table = RopeTable.Create(Dim, 5e6, scaling);

        double m1 = 1 + 0.1 * Math.Log(10), mHalf = 1 + 0.05 * Math.Log(10);
        Assert.AreEqual(m1 / mHalf, table.AttentionFactor, 1e-6);
        Assert.AreEqual(mHalf * mHalf, table.SoftmaxScaleMultiplier, 1e-6);
    }

    [TestMethod]
    public void Yarn_ExplicitAttentionFactor_WinsOverMscales()
    {
        var scaling = LiteYarn with { AttentionFactor = 0.75 };

        var table = RopeTable.Create(Dim, 5e6, scaling);

        Assert.AreEqual(0.75, table.AttentionFactor, 1e-7);
        Assert.AreEqual(1.513536, table.SoftmaxScaleMultiplier, 1e-6);
    }

    [TestMethod]
    [DataRow(64, 1e7)]
    [DataRow(64, 5e6)]
    [DataRow(8, 1e4)]
    public void PlainRope_InvFreqIsThetaPowerAndFactorsAreOne(int dim, double theta)
    {
        // Act
        var table = RopeTable.Create(dim, theta, null);

        // Assert
        Assert.AreEqual(dim / 2, table.InvFreq.Length);
        for (int i = 0; i < dim / 2; i++)
            AssertRelative(Math.Pow(theta, -2.0 * i / dim), table.InvFreq[i], 1e-7, $"inv_freq[{i}]");
        Assert.AreEqual(1f, table.AttentionFactor);
        Assert.AreEqual(1f, table.SoftmaxScaleMultiplier);
    }

    [TestMethod]
    public void Model_TinyFixture_UsesPlainRopeOverQkRopeHeadDim()
    {
        // tiny-a: qk_rope_head_dim 8, rope_theta 1e4, no rope_scaling: inv_freq = 1e4^(-2i/8) = 1, 0.1, 0.01, 0.001.
        using var model = LongCatModel.Load(Fixtures.Dir("tiny-a"), new ModelOptions { Residency = LongCat.Sdk.Compute.WeightResidency.Mapped, KvCacheBlocks = 1 });

        var inv = model.Rope.InvFreq;

        Assert.AreEqual(4, inv.Length);
        for (int i = 0; i < 4; i++) AssertRelative(Math.Pow(10, -i), inv[i], 1e-6, $"inv_freq[{i}]");
        Assert.AreEqual(1f, model.Rope.SoftmaxScaleMultiplier);
    }
}
