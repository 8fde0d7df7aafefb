using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Model;

/// <summary>
/// Rotary frequencies for the interleaved RoPE of LONGCAT.md §3.3, with YaRN (§3.4) when rope_scaling is set:
/// the per-pair inverse frequencies, the factor on cos/sin, and the multiplier on the softmax scale.
/// </summary>
internal sealed record RopeTable(float[] InvFreq, float AttentionFactor, float SoftmaxScaleMultiplier)
{
    /// <summary>Builds the table for <paramref name="dim"/> rotary dims.</summary>
    public static RopeTable Create(int dim, double theta, RopeScaling? scaling)
    {
        int half = dim / 2;
        var invExtra = new double[half];
        for (int i = 0; i < half; i++) invExtra[i] = 1.0 / Math.Pow(theta, 2.0 * i / dim);
        if (scaling is null) return new RopeTable(invExtra.Select(v => (float)v).ToArray(), 1f, 1f);

        double factor = scaling.Factor;
        // corr(r): the dimension whose wavelength completes r rotations over the original context.
        double Corr(double rotations) => dim * Math.Log(scaling.OriginalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(Corr(scaling.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(Corr(scaling.BetaSlow)), dim - 1);
        if (low == high) high += 0.001;
        var inv = new float[half];
        for (int j = 0; j < half; j++)
        {
            double ramp = Math.Clamp((j - low) / (high - low), 0, 1);
            double extra = 1 - ramp;                                   // 1: keep the original frequency; 0: interpolate
            inv[j] = (float)(invExtra[j] / factor * (1 - extra) + invExtra[j] * extra);
        }
        double attention = scaling.AttentionFactor
            ?? (scaling.Mscale is { } m && scaling.MscaleAllDim is { } ma && m != 0 && ma != 0
                ? GetMscale(factor, m) / GetMscale(factor, ma)
                : GetMscale(factor, 1));
        double softmax = scaling.MscaleAllDim is { } all && all != 0 ? Math.Pow(GetMscale(factor, all), 2) : 1;
        return new RopeTable(inv, (float)attention, (float)softmax);
    }

    /// <summary>YaRN's mscale: 1 for s ≤ 1, else 0.1·m·ln(s) + 1.</summary>
    public static double GetMscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;
}
