namespace LongCat.Sdk.Checkpoints;

/// <summary>Every checkpoint tensor name of LONGCAT.md §7, spelled once.</summary>
internal static class WeightNames
{
    /// <summary>Token embedding [V, H] (also the N-gram word embedding).</summary>
    public const string Embedding = "model.embed_tokens.weight";
    /// <summary>Final norm [H].</summary>
    public const string FinalNorm = "model.norm.weight";
    /// <summary>Output projection [V, H] (untied).</summary>
    public const string LmHead = "lm_head.weight";
    /// <summary>Suffix of the FP8 block-scale tensor beside a quantized weight.</summary>
    public const string ScaleSuffix = "_scale_inv";

    /// <summary>Prefix of decoder block <paramref name="layer"/>.</summary>
    public static string Block(int layer) => $"model.layers.{layer}";
    /// <summary>input_layernorm.{i} of a block.</summary>
    public static string InputNorm(int layer, int i) => $"{Block(layer)}.input_layernorm.{i}.weight";
    /// <summary>post_attention_layernorm.{i} of a block.</summary>
    public static string PostAttentionNorm(int layer, int i) => $"{Block(layer)}.post_attention_layernorm.{i}.weight";
    /// <summary>Prefix of attention sublayer i of a block.</summary>
    public static string Attention(int layer, int i) => $"{Block(layer)}.self_attn.{i}";
    /// <summary>Prefix of dense MLP i of a block.</summary>
    public static string DenseMlp(int layer, int i) => $"{Block(layer)}.mlps.{i}";
    /// <summary>Router classifier [E_tot, H].</summary>
    public static string RouterClassifier(int layer) => $"{Block(layer)}.mlp.router.classifier.weight";
    /// <summary>Router selection bias [E_tot].</summary>
    public static string RouterBias(int layer) => $"{Block(layer)}.mlp.router.e_score_correction_bias";
    /// <summary>Prefix of routed expert e.</summary>
    public static string Expert(int layer, int e) => $"{Block(layer)}.mlp.experts.{e}";

    /// <summary>MLA projection names relative to an attention prefix.</summary>
    public const string QA = "q_a_proj.weight", QANorm = "q_a_layernorm.weight", QB = "q_b_proj.weight",
        KvA = "kv_a_proj_with_mqa.weight", KvANorm = "kv_a_layernorm.weight", KvB = "kv_b_proj.weight", O = "o_proj.weight";
    /// <summary>SwiGLU projection names relative to an MLP/expert prefix.</summary>
    public const string Gate = "gate_proj.weight", Up = "up_proj.weight", Down = "down_proj.weight";

    /// <summary>N-gram embedder table idx [M_idx, H/(K(N−1))].</summary>
    public static string NgramEmbedder(int idx) => $"model.ngram_embeddings.embedders.{idx}.weight";
    /// <summary>N-gram post-projection idx [H, H/(K(N−1))].</summary>
    public static string NgramPostProj(int idx) => $"model.ngram_embeddings.post_projs.{idx}.weight";

    /// <summary>Prefix of the MTP layer.</summary>
    public const string Mtp = "model.mtp";
    /// <summary>MTP embedding norm (note the ".m.").</summary>
    public const string MtpENorm = "model.mtp.layers.0.enorm.m.weight";
    /// <summary>MTP hidden norm.</summary>
    public const string MtpHNorm = "model.mtp.layers.0.hnorm.m.weight";
    /// <summary>MTP input projection [H, 2H] over [embedding ‖ hidden].</summary>
    public const string MtpEhProj = "model.mtp.layers.0.eh_proj.weight";
    /// <summary>MTP token embedding (VLLM loads it; SGL shares the target's).</summary>
    public const string MtpEmbedding = "model.mtp.embed_tokens.weight";
    /// <summary>MTP pre-attention norm.</summary>
    public const string MtpInputNorm = "model.mtp.layers.0.input_layernorm.weight";
    /// <summary>MTP pre-MLP norm.</summary>
    public const string MtpPostAttentionNorm = "model.mtp.layers.0.post_attention_layernorm.weight";
    /// <summary>MTP attention prefix.</summary>
    public const string MtpAttention = "model.mtp.layers.0.self_attn";
    /// <summary>MTP dense MLP prefix.</summary>
    public const string MtpMlp = "model.mtp.layers.0.transformer_layer.mlp";
    /// <summary>MTP final norm.</summary>
    public const string MtpNorm = "model.mtp.norm.weight";

    /// <summary>The tables a model with <paramref name="config"/> reads only by rows (they stay mapped on the CPU; docs/DEPLOYMENT.md).</summary>
    public static IEnumerable<string> RowTables(LongCatConfig config)
    {
        if (!config.TieWordEmbeddings) yield return Embedding;
        for (int i = 0; i < config.NgramEmbedderCount; i++) yield return NgramEmbedder(i);
        yield return MtpEmbedding;
    }
}
