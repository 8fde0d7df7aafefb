namespace LongCat.Sdk;

/// <summary>
/// Weights quantized as the model loads (docs/QUANTIZATION.md): the SDK's 8-bit and 4-bit block formats, 32 values per F16 scale;
/// fewer bytes to read per decoded token at some loss of accuracy (<c>longcat perplexity --quantize</c> measures it).
/// Norms, the router, the embedding and N-gram tables, an lm_head tied to the embedding and the MLA kv_b_proj keep their stored
/// format in every preset.
/// </summary>
public enum WeightQuantization
{
    /// <summary>Weights as stored in the checkpoint.</summary>
    None,
    /// <summary>Every linear weight 8-bit (8.5 bits per weight).</summary>
    Q8,
    /// <summary>The routed experts 4-bit (4.5 bits per weight), the other linear weights 8-bit.</summary>
    Q4Experts,
    /// <summary>Every linear weight 4-bit, lm_head 8-bit.</summary>
    Q4,
}
