namespace LongCat.Sdk;

/// <summary>
/// The format a model's linear weights are converted to at load (<see cref="LongCatOptions.Quantization"/>): fewer bytes to
/// read per decoded token, at some loss of accuracy (<c>longcat perplexity --quantize</c> measures it). RMS norms, the router
/// (classifier and correction bias) and the embedding and N-gram tables stay as the checkpoint stores them.
/// </summary>
public enum WeightQuantization
{
    /// <summary>Weights as the checkpoint stores them (BF16, F16, F32 or FP8 with block scales).</summary>
    None,
    /// <summary>Every linear weight in 8 bits.</summary>
    Q8,
    /// <summary>The routed experts in 4 bits (most of a LongCat model's bytes), every other linear weight in 8 bits.</summary>
    Q4Experts,
    /// <summary>Every linear weight in 4 bits but the lm_head, in 8 bits.</summary>
    Q4,
}
