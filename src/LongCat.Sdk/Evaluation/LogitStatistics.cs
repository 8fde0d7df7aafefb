namespace LongCat.Sdk.Evaluation;

/// <summary>
/// Statistics of one logits row in double: the negative log-likelihood of a target, and how far a row's distribution is from a
/// baseline row's (the measures of llama.cpp's perplexity tool with --kl-divergence). Legend: V vocabulary.
/// </summary>
internal static class LogitStatistics
{
    /// <summary>log Σ exp(z) over a row [V], in double (shifted by the row's maximum, so no exp overflows).</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        if (double.IsNegativeInfinity(max) || double.IsNaN(max)) return max;
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - max);
        return max + Math.Log(sum);
    }

    /// <summary>The index of the largest logit (the first of equals); NaN rows give the first NaN's index.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best] || float.IsNaN(logits[i]) && !float.IsNaN(logits[best])) best = i;
        return best;
    }

    /// <summary>−log softmax(z)[target]: the row's negative log-likelihood of <paramref name="target"/>, in nats.</summary>
    public static double Nll(ReadOnlySpan<float> logits, int target) => LogSumExp(logits) - logits[target];

    /// <summary>
    /// Compares a row with a baseline row of the same position: P = softmax(<paramref name="baseline"/>), Q = softmax(<paramref name="logits"/>).
    /// KL(P ‖ Q) = Σ_i P_i (log P_i − log Q_i), summed in double; a term with P_i = 0 is 0.
    /// </summary>
    public static RowComparison Compare(ReadOnlySpan<float> baseline, ReadOnlySpan<float> logits, int target)
    {
        if (baseline.Length != logits.Length)
            throw new ArgumentException($"rows of {baseline.Length} and {logits.Length} logits: the models' vocabularies differ", nameof(logits));
        double lseP = LogSumExp(baseline), lseQ = LogSumExp(logits);
        double kl = 0;
        for (int i = 0; i < baseline.Length; i++)
        {
            double logP = baseline[i] - lseP;
            double p = Math.Exp(logP);
            if (p > 0) kl += p * (logP - (logits[i] - lseQ));
        }
        double nllP = lseP - baseline[target], nllQ = lseQ - logits[target];
        return new RowComparison(nllQ, nllP, kl, ArgMax(baseline) == ArgMax(logits), Math.Exp(-nllQ) - Math.Exp(-nllP));
    }
}

/// <summary>One position compared with the baseline.</summary>
/// <param name="Nll">−log Q(target): the compared model's negative log-likelihood of the actual next token.</param>
/// <param name="BaseNll">−log P(target): the baseline's.</param>
/// <param name="Kld">KL(P ‖ Q), nats.</param>
/// <param name="SameTop1">Whether both rows' most likely token is the same.</param>
/// <param name="DeltaP">Q(target) − P(target): the change of the probability of the actual next token.</param>
internal readonly record struct RowComparison(double Nll, double BaseNll, double Kld, bool SameTop1, double DeltaP);
