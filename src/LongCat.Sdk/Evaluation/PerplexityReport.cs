namespace LongCat.Sdk.Evaluation;

/// <summary>
/// What <see cref="PerplexityEvaluator"/> measured, position by position: element i of each array is target token i + 1 of the
/// evaluated sequence (every token but the first is scored, once). The comparison arrays are null without a baseline model.
/// </summary>
/// <param name="Context">Tokens per window.</param>
/// <param name="Windows">Forwards run (per model).</param>
/// <param name="Nll">−log Q(token): the evaluated model's negative log-likelihood of each scored token, nats.</param>
/// <param name="BaseNll">The baseline model's.</param>
/// <param name="Kld">KL(P_baseline ‖ Q) at each scored position, nats.</param>
/// <param name="SameTop1">Whether the two models' most likely tokens agree at each scored position.</param>
/// <param name="DeltaP">Q(token) − P_baseline(token) at each scored position.</param>
internal sealed record PerplexityReport(int Context, int Windows, double[] Nll, double[]? BaseNll, double[]? Kld, bool[]? SameTop1, double[]? DeltaP)
{
    /// <summary>Scored tokens.</summary>
    public int Tokens => Nll.Length;

    /// <summary>exp(mean NLL): the evaluated model's perplexity.</summary>
    public double Perplexity => Math.Exp(Nll.Average());

    /// <summary>The baseline's perplexity, or null without one.</summary>
    public double? BasePerplexity => BaseNll is null ? null : Math.Exp(BaseNll.Average());

    /// <summary>PPL / PPL_baseline = exp(mean(NLL − NLL_baseline)), or null without a baseline.</summary>
    public double? PerplexityRatio => BaseNll is null ? null : Math.Exp(Nll.Zip(BaseNll, (q, p) => q - p).Average());

    /// <summary>Mean KL(P_baseline ‖ Q) over the scored positions, or null without a baseline.</summary>
    public double? MeanKld => Kld?.Average();

    /// <summary>The largest KL divergence of a position, or null without a baseline.</summary>
    public double? MaxKld => Kld?.Max();

    /// <summary>Fraction of positions where both models' most likely token is the same (llama.cpp's "Same top p"), or null.</summary>
    public double? Top1Agreement => SameTop1 is null ? null : (double)SameTop1.Count(s => s) / SameTop1.Length;

    /// <summary>√mean((Q(token) − P(token))²), or null without a baseline.</summary>
    public double? RmsDeltaP => DeltaP is null ? null : Math.Sqrt(DeltaP.Average(d => d * d));

    /// <summary>The <paramref name="percentile"/>-th percentile (0-100, nearest rank) of the positions' KL divergences, or null.</summary>
    public double? KldPercentile(double percentile)
    {
        if (Kld is null) return null;
        ArgumentOutOfRangeException.ThrowIfNegative(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var sorted = Kld.Order().ToArray();
        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
