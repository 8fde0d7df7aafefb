using System.Text.Json;

namespace LongCat.Sdk.Checkpoints;

/// <summary>Which reference architecture a checkpoint uses.</summary>
public enum LongCatArchitecture
{
    /// <summary><c>LongcatFlashForCausalLM</c>: LongCat-Flash (560B) and its Chat/Thinking variants.</summary>
    Flash,
    /// <summary><c>LongcatFlashNgramForCausalLM</c>: LongCat-Flash-Lite with N-gram embeddings.</summary>
    FlashNgram,
}

/// <summary>YaRN rope scaling (<c>rope_scaling</c> with <c>type</c>/<c>rope_type</c> "yarn").</summary>
/// <param name="Factor">Context extension factor.</param>
/// <param name="OriginalMaxPositionEmbeddings">Context length the model was pre-trained with.</param>
/// <param name="BetaFast">High-frequency boundary (rotations); default 32.</param>
/// <param name="BetaSlow">Low-frequency boundary (rotations); default 1.</param>
/// <param name="Mscale">Optional <c>mscale</c>.</param>
/// <param name="MscaleAllDim">Optional <c>mscale_all_dim</c>; when set, the softmax scale is multiplied by its mscale squared.</param>
/// <param name="AttentionFactor">Optional explicit <c>attention_factor</c> multiplying cos and sin.</param>
public sealed record RopeScaling(double Factor, double OriginalMaxPositionEmbeddings, double BetaFast, double BetaSlow,
    double? Mscale, double? MscaleAllDim, double? AttentionFactor);

/// <summary>Block-FP8 quantization (<c>quantization_config</c>).</summary>
public sealed record QuantizationConfig(string Format, int BlockRows, int BlockCols, IReadOnlyList<string> IgnoredLayers);

/// <summary>
/// A LongCat config.json: every field of LONGCAT.md §1 with its stated default, validated on load.
/// Each JSON key is spelled once, in <see cref="Load(string)"/>.
/// </summary>
public sealed record LongCatConfig
{
    /// <summary>Model family chosen from <c>architectures[0]</c>.</summary>
    public required LongCatArchitecture Architecture { get; init; }
    /// <summary><c>model_type</c>, when present.</summary>
    public string? ModelType { get; init; }
    /// <summary><c>vocab_size</c>.</summary>
    public required int VocabSize { get; init; }
    /// <summary><c>hidden_size</c> (H).</summary>
    public required int HiddenSize { get; init; }
    /// <summary><c>ffn_hidden_size</c>: width of the two dense MLPs per block (and of the MTP MLP).</summary>
    public required int FfnHiddenSize { get; init; }
    /// <summary><c>expert_ffn_hidden_size</c>: width of each routed expert.</summary>
    public required int ExpertFfnHiddenSize { get; init; }
    /// <summary><c>num_layers</c>: decoder blocks, each with two attention sublayers.</summary>
    public required int NumLayers { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary><c>num_key_value_heads</c>; equals the head count (MLA).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary><c>q_lora_rank</c>.</summary>
    public required int QLoraRank { get; init; }
    /// <summary><c>kv_lora_rank</c> (latent width L, 512 in the released models).</summary>
    public required int KvLoraRank { get; init; }
    /// <summary><c>qk_nope_head_dim</c>.</summary>
    public required int QkNopeHeadDim { get; init; }
    /// <summary><c>qk_rope_head_dim</c> (R).</summary>
    public required int QkRopeHeadDim { get; init; }
    /// <summary><c>v_head_dim</c>.</summary>
    public required int VHeadDim { get; init; }
    /// <summary><c>n_routed_experts</c>: real SwiGLU experts.</summary>
    public required int NRoutedExperts { get; init; }
    /// <summary><c>zero_expert_num</c>: identity experts appended after the real ones.</summary>
    public required int ZeroExpertNum { get; init; }
    /// <summary><c>moe_topk</c>.</summary>
    public required int MoeTopK { get; init; }
    /// <summary><c>routed_scaling_factor</c>, applied to every selected weight, identity experts included.</summary>
    public required float RoutedScalingFactor { get; init; }
    /// <summary><c>rms_norm_eps</c> of the block norms (the q_a/kv_a norms use 1e-6).</summary>
    public required float RmsNormEps { get; init; }
    /// <summary><c>rope_theta</c>.</summary>
    public required double RopeTheta { get; init; }
    /// <summary><c>rope_scaling</c>: null means plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary><c>max_position_embeddings</c>.</summary>
    public required int MaxPositionEmbeddings { get; init; }
    /// <summary><c>bos_token_id</c>.</summary>
    public int BosTokenId { get; init; } = 1;
    /// <summary><c>eos_token_id</c> (also the N-gram segment terminator).</summary>
    public int EosTokenId { get; init; } = 2;
    /// <summary><c>pad_token_id</c>.</summary>
    public int PadTokenId { get; init; } = 3;
    /// <summary><c>tie_word_embeddings</c>: false in every released checkpoint (separate lm_head).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary><c>mla_scale_q_lora</c>.</summary>
    public bool MlaScaleQLora { get; init; } = true;
    /// <summary><c>mla_scale_kv_lora</c>.</summary>
    public bool MlaScaleKvLora { get; init; } = true;
    /// <summary><c>router_bias</c>: a bias on the router classifier (false in released models).</summary>
    public bool RouterBias { get; init; }
    /// <summary><c>norm_topk_prob</c>: renormalize the top-k weights (false in released models).</summary>
    public bool NormTopKProb { get; init; }
    /// <summary><c>num_nextn_predict_layers</c> (or <c>num_nextn_layers</c>): MTP layers, 0 or 1.</summary>
    public int NumNextnPredictLayers { get; init; } = 1;
    /// <summary><c>nextn_use_scmoe</c>: must be false (dense MTP layer).</summary>
    public bool NextnUseScmoe { get; init; }
    /// <summary><c>torch_dtype</c> / <c>dtype</c>, informational.</summary>
    public string? TorchDtype { get; init; }
    /// <summary><c>ngram_vocab_size_ratio</c> (Flash-Lite).</summary>
    public int NgramVocabSizeRatio { get; init; }
    /// <summary><c>emb_neighbor_num</c> (N, Flash-Lite).</summary>
    public int EmbNeighborNum { get; init; }
    /// <summary><c>emb_split_num</c> (K, Flash-Lite).</summary>
    public int EmbSplitNum { get; init; }
    /// <summary><c>quantization_config</c>: block FP8 when present.</summary>
    public QuantizationConfig? Quantization { get; init; }
    /// <summary><c>disable_quant_module</c>: module groups left unquantized in FP8 checkpoints.</summary>
    public IReadOnlyList<string> DisableQuantModule { get; init; } = [];
    /// <summary><c>quantization_config</c> of a GPTQ / AutoRound int4 checkpoint (then <see cref="Quantization"/> is null).</summary>
    internal GptqConfig? Gptq { get; init; }

    /// <summary>Router width: real plus identity experts.</summary>
    public int TotalExperts => NRoutedExperts + ZeroExpertNum;
    /// <summary>qk head dim = nope + rope.</summary>
    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;
    /// <summary>Attention sublayers (KV-cache layers): two per block.</summary>
    public int NumAttentionSublayers => 2 * NumLayers;
    /// <summary>Values cached per token per attention sublayer: latent + rope key (576 in the released models).</summary>
    public int KvCacheWidth => KvLoraRank + QkRopeHeadDim;
    /// <summary>Number of N-gram embedders K·(N−1); 0 for Flash.</summary>
    public int NgramEmbedderCount => Architecture == LongCatArchitecture.FlashNgram ? EmbSplitNum * (EmbNeighborNum - 1) : 0;
    /// <summary>Whether config and checkpoint describe an MTP head.</summary>
    public bool HasMtp => NumNextnPredictLayers > 0;

    /// <summary>Reads and validates config.json.</summary>
    /// <exception cref="InvalidConfigException">A field is missing, mistyped or inconsistent.</exception>
    public static LongCatConfig Load(string path)
    {
        using var doc = JsonFile.Read(path, RegularFile.MaxConfigBytes,
            (problem, _) => new InvalidConfigException("(file)", $"'{path}': {problem}", Path.GetFileName(path)));
        return Parse(doc.RootElement);
    }

    /// <summary>Parses and validates a config.json document.</summary>
    public static LongCatConfig Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidConfigException("(root)", "config is not a JSON object");
        var r = new ConfigReader(root);
        string arch = r.FirstString("architectures")
            ?? throw new InvalidConfigException("architectures", "missing; expected [\"LongcatFlashForCausalLM\"] or [\"LongcatFlashNgramForCausalLM\"]");
        var architecture = arch switch
        {
            "LongcatFlashForCausalLM" or "LongcatCausalLM" => LongCatArchitecture.Flash,
            "LongcatFlashNgramForCausalLM" => LongCatArchitecture.FlashNgram,
            _ => throw new InvalidConfigException("architectures", $"unsupported architecture '{arch}'"),
        };
        int heads = r.Int("num_attention_heads");
        int ropeDim = r.Int("qk_rope_head_dim");
        int layers = r.Int("num_layers");
        var cfg = new LongCatConfig
        {
            Architecture = architecture,
            ModelType = r.OptString("model_type"),
            VocabSize = r.Int("vocab_size"),
            HiddenSize = r.Int("hidden_size"),
            FfnHiddenSize = r.Int("ffn_hidden_size"),
            ExpertFfnHiddenSize = r.Int("expert_ffn_hidden_size"),
            NumLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = r.OptInt("num_key_value_heads") ?? heads,
            QLoraRank = r.Int("q_lora_rank"),
            KvLoraRank = r.Int("kv_lora_rank"),
            QkNopeHeadDim = r.Int("qk_nope_head_dim"),
            QkRopeHeadDim = ropeDim,
            VHeadDim = r.Int("v_head_dim"),
            NRoutedExperts = r.Int("n_routed_experts"),
            ZeroExpertNum = r.OptInt("zero_expert_num") ?? 0,
            MoeTopK = r.Int("moe_topk"),
            RoutedScalingFactor = (float)r.Double("routed_scaling_factor"),
            RmsNormEps = (float)(r.OptDouble("rms_norm_eps") ?? 1e-5),
            RopeTheta = r.Double("rope_theta"),
            RopeScaling = ReadRopeScaling(r),
            MaxPositionEmbeddings = r.Int("max_position_embeddings"),
            BosTokenId = r.OptInt("bos_token_id") ?? 1,
            EosTokenId = r.OptInt("eos_token_id") ?? 2,
            PadTokenId = r.OptInt("pad_token_id") ?? 3,
            TieWordEmbeddings = r.OptBool("tie_word_embeddings") ?? false,
            MlaScaleQLora = r.OptBool("mla_scale_q_lora") ?? true,
            MlaScaleKvLora = r.OptBool("mla_scale_kv_lora") ?? true,
            RouterBias = r.OptBool("router_bias") ?? false,
            NormTopKProb = r.OptBool("norm_topk_prob") ?? false,
            NumNextnPredictLayers = r.OptInt("num_nextn_predict_layers") ?? r.OptInt("num_nextn_layers") ?? 1,
            NextnUseScmoe = r.OptBool("nextn_use_scmoe") ?? false,
            TorchDtype = r.OptString("torch_dtype") ?? r.OptString("dtype"),
            NgramVocabSizeRatio = architecture == LongCatArchitecture.FlashNgram ? r.Int("ngram_vocab_size_ratio") : r.OptInt("ngram_vocab_size_ratio") ?? 0,
            EmbNeighborNum = architecture == LongCatArchitecture.FlashNgram ? r.Int("emb_neighbor_num") : r.OptInt("emb_neighbor_num") ?? 0,
            EmbSplitNum = architecture == LongCatArchitecture.FlashNgram ? r.Int("emb_split_num") : r.OptInt("emb_split_num") ?? 0,
            Quantization = ReadQuantization(r),
            Gptq = ReadGptq(r),
            DisableQuantModule = r.OptStringList("disable_quant_module") ?? [],
        };

        // Fields whose only supported value is the released models' one.
        r.Expect("attention_method", "MLA");
        r.Expect("hidden_act", "silu");
        r.Expect("zero_expert_type", "identity");
        if (r.OptBool("attention_bias") == true) throw new InvalidConfigException("attention_bias", "true is not supported (LongCat MLA has no biases)");
        if (r.OptInt("head_dim") is int hd && hd != ropeDim)
            throw new InvalidConfigException("head_dim", $"{hd} must equal qk_rope_head_dim ({ropeDim}): the rotary table is built from it");
        if (r.OptInt("num_hidden_layers") is int nhl && nhl != 2 * layers && nhl != layers)
            throw new InvalidConfigException("num_hidden_layers", $"{nhl} must be num_layers ({layers}) or 2 × num_layers");
        string? routerDtype = r.OptString("router_dtype") ?? r.OptString("rounter_params_dtype");
        if (routerDtype is not null && routerDtype != "float32")
            throw new InvalidConfigException("router_dtype", $"'{routerDtype}' is not supported; the router runs in float32");
        cfg.Validate();
        return cfg;
    }

    private static RopeScaling? ReadRopeScaling(ConfigReader r)
    {
        var e = r.OptObject("rope_scaling");
        if (e is null) return null;
        var s = new ConfigReader(e.Value, "rope_scaling.");
        string type = s.OptString("rope_type") ?? s.OptString("type") ?? "yarn";
        if (type != "yarn") throw new InvalidConfigException("rope_scaling.rope_type", $"'{type}' is not supported (only yarn)");
        return new RopeScaling(
            s.Double("factor"),
            s.Double("original_max_position_embeddings"),
            s.OptDouble("beta_fast") ?? 32.0,
            s.OptDouble("beta_slow") ?? 1.0,
            s.OptDouble("mscale"),
            s.OptDouble("mscale_all_dim"),
            s.OptDouble("attention_factor"));
    }

    private static QuantizationConfig? ReadQuantization(ConfigReader r)
    {
        var e = r.OptObject("quantization_config");
        if (e is null) return null;
        var q = new ConfigReader(e.Value, "quantization_config.");
        string? method = q.OptString("quant_method");
        // The SDK's own block formats are told apart by their tensors' dtypes (I8/U8 values beside F16 scales), not by the config.
        if (GptqConfig.IsGptqMethod(method) || method == CheckpointQuantizer.QuantMethod) return null;
        if (method is not null and not "fp8")
            throw new InvalidConfigException("quantization_config.quant_method",
                $"'{method}' is not supported (fp8, gptq, auto-round or {CheckpointQuantizer.QuantMethod})");
        string fmt = q.OptString("fmt") ?? "e4m3";
        if (fmt != "e4m3") throw new InvalidConfigException("quantization_config.fmt", $"'{fmt}' is not supported (only e4m3)");
        var block = q.OptIntList("weight_block_size") ?? [WeightFormats.Fp8BlockSize, WeightFormats.Fp8BlockSize];
        if (block.Count != 2 || block[0] != WeightFormats.Fp8BlockSize || block[1] != WeightFormats.Fp8BlockSize)
            throw new InvalidConfigException("quantization_config.weight_block_size", $"[{string.Join(", ", block)}] is not supported (only [128, 128])");
        return new QuantizationConfig(fmt, block[0], block[1], q.OptStringList("ignored_layers") ?? []);
    }

    private static GptqConfig? ReadGptq(ConfigReader r) =>
        r.OptObject("quantization_config") is { } e && GptqConfig.IsGptqMethod(new ConfigReader(e, "quantization_config.").OptString("quant_method"))
            ? GptqConfig.Parse(e)
            : null;

    // Upper bounds on the sizes: far above the released models' (LONGCAT.md §1: vocabulary 131072, hidden 6144, ffn 12288,
    // 512 experts, 64 heads, 28 layers, 327680 positions), and low enough that every width the loader forms from them fits an int
    // (heads × kv_lora_rank ≤ 2^26, heads × head dims ≤ 2^23, the n-gram tables' ratio × vocab + 2K(N−1) rows checked below) and
    // every element count a long. A corrupt size is refused here, before the rotary table or any weight is allocated.
    private const int MaxVocab = 1 << 24, MaxHidden = 1 << 16, MaxFfn = 1 << 18, MaxLayers = 1024, MaxHeads = 1024,
        MaxLoraRank = 1 << 16, MaxHeadDim = 4096, MaxExperts = 1 << 16, MaxPositions = 1 << 24,
        MaxNgramRatio = 1024, MaxNgramNeighbors = 16, MaxNgramSplits = 64;
    // And on the rotary parameters (released: theta 1e7, YaRN factor 10, betas 32 and 1, mscales 1).
    private const double MaxRopeTheta = 1e12, MaxYarnFactor = 1024, MaxYarnBeta = 1024, MaxYarnScale = 100;

    /// <summary>Checks every size against its bound and the relations between fields; throws naming the first bad one.</summary>
    public void Validate()
    {
        static void Size(string field, int v, int max)
        {
            if (v <= 0 || v > max) throw new InvalidConfigException(field, $"{v} must be positive and at most {max}");
        }
        static void Within(string field, double v, double low, double high, bool lowIncluded = true)
        {
            if (!(lowIncluded ? v >= low : v > low) || !(v <= high))
                throw new InvalidConfigException(field, $"{v} must be in {(lowIncluded ? "[" : "(")}{low}, {high}]");
        }
        Size("vocab_size", VocabSize, MaxVocab);
        Size("hidden_size", HiddenSize, MaxHidden);
        Size("ffn_hidden_size", FfnHiddenSize, MaxFfn);
        Size("expert_ffn_hidden_size", ExpertFfnHiddenSize, MaxFfn);
        Size("num_layers", NumLayers, MaxLayers);
        Size("num_attention_heads", NumAttentionHeads, MaxHeads);
        Size("q_lora_rank", QLoraRank, MaxLoraRank);
        Size("kv_lora_rank", KvLoraRank, MaxLoraRank);
        Size("qk_nope_head_dim", QkNopeHeadDim, MaxHeadDim);
        Size("qk_rope_head_dim", QkRopeHeadDim, MaxHeadDim);
        Size("v_head_dim", VHeadDim, MaxHeadDim);
        Size("n_routed_experts", NRoutedExperts, MaxExperts);
        Size("moe_topk", MoeTopK, MaxExperts);
        Size("max_position_embeddings", MaxPositionEmbeddings, MaxPositions);
        if (ZeroExpertNum is < 0 or > MaxExperts) throw new InvalidConfigException("zero_expert_num", $"{ZeroExpertNum} must be in [0, {MaxExperts}]");
        if (QkRopeHeadDim % 2 != 0) throw new InvalidConfigException("qk_rope_head_dim", $"{QkRopeHeadDim} must be even (rotary pairs)");
        if (NumKeyValueHeads != NumAttentionHeads)
            throw new InvalidConfigException("num_key_value_heads", $"{NumKeyValueHeads} must equal num_attention_heads ({NumAttentionHeads}) for MLA");
        if (MoeTopK > TotalExperts)
            throw new InvalidConfigException("moe_topk", $"{MoeTopK} exceeds n_routed_experts + zero_expert_num ({TotalExperts})");
        if (!(RoutedScalingFactor > 0) || !float.IsFinite(RoutedScalingFactor))
            throw new InvalidConfigException("routed_scaling_factor", $"{RoutedScalingFactor} must be a positive number");
        if (!(RmsNormEps > 0 && RmsNormEps < 1)) throw new InvalidConfigException("rms_norm_eps", $"{RmsNormEps} must be in (0, 1)");
        Within("rope_theta", RopeTheta, 1, MaxRopeTheta, lowIncluded: false);
        if (EosTokenId < 0 || EosTokenId >= VocabSize) throw new InvalidConfigException("eos_token_id", $"{EosTokenId} is outside the vocabulary [0, {VocabSize})");
        if (NumNextnPredictLayers is < 0 or > 1) throw new InvalidConfigException("num_nextn_predict_layers", $"{NumNextnPredictLayers} is not supported (0 or 1)");
        if (NextnUseScmoe) throw new InvalidConfigException("nextn_use_scmoe", "true is not supported (the MTP layer is dense)");
        if (NormTopKProb) throw new InvalidConfigException("norm_topk_prob", "true is not supported by LongCat (weights are not renormalized)");
        if (RouterBias) throw new InvalidConfigException("router_bias", "true is not supported (the router classifier has no bias)");
        if (RopeScaling is { } rs)
        {
            Within("rope_scaling.factor", rs.Factor, 1, MaxYarnFactor);
            Within("rope_scaling.original_max_position_embeddings", rs.OriginalMaxPositionEmbeddings, 1, MaxPositions);
            Within("rope_scaling.beta_fast", rs.BetaFast, 0, MaxYarnBeta, lowIncluded: false);
            Within("rope_scaling.beta_slow", rs.BetaSlow, 0, MaxYarnBeta, lowIncluded: false);
            if (rs.Mscale is { } m) Within("rope_scaling.mscale", m, 0, MaxYarnScale);
            if (rs.MscaleAllDim is { } ma) Within("rope_scaling.mscale_all_dim", ma, 0, MaxYarnScale);
            if (rs.AttentionFactor is { } af) Within("rope_scaling.attention_factor", af, 0, MaxYarnScale, lowIncluded: false);
        }
        if (Architecture == LongCatArchitecture.FlashNgram)
        {
            Size("ngram_vocab_size_ratio", NgramVocabSizeRatio, MaxNgramRatio);
            if (EmbNeighborNum is < 2 or > MaxNgramNeighbors) throw new InvalidConfigException("emb_neighbor_num", $"{EmbNeighborNum} must be in [2, {MaxNgramNeighbors}]");
            Size("emb_split_num", EmbSplitNum, MaxNgramSplits);
            // The largest table has ratio·V + 2(K(N−1) − 1) + 1 rows, and its hashed ids are ints.
            long rows = (long)NgramVocabSizeRatio * VocabSize + 2L * NgramEmbedderCount;
            if (rows > int.MaxValue)
                throw new InvalidConfigException("ngram_vocab_size_ratio",
                    $"{NgramVocabSizeRatio} × vocab_size {VocabSize} gives n-gram tables of {rows} rows, more than {int.MaxValue}");
            if (HiddenSize % NgramEmbedderCount != 0)
                throw new InvalidConfigException("emb_split_num",
                    $"hidden_size {HiddenSize} is not divisible by emb_split_num × (emb_neighbor_num − 1) = {NgramEmbedderCount}");
        }
    }

    /// <summary>The value of an integer field (of config.json or generation_config.json), or null when it is not one: an int32,
    /// or an integral value written as a float (1024.0, 2e0).</summary>
    internal static int? Integer(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number) return null;
        if (v.TryGetInt32(out int i)) return i;
        return v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d : null;
    }

    /// <summary>Typed access to config keys with errors that name the key.</summary>
    internal readonly struct ConfigReader(JsonElement root, string prefix = "")
    {
        private JsonElement? Find(string key) =>
            root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private InvalidConfigException Wrong(string key, string expected, JsonElement v) =>
            new(prefix + key, $"expected {expected}, found {v.ValueKind} {v.GetRawText()}");

        public int Int(string key) => OptInt(key) ?? throw new InvalidConfigException(prefix + key, "missing");
        public double Double(string key) => OptDouble(key) ?? throw new InvalidConfigException(prefix + key, "missing");

        public int? OptInt(string key)
        {
            if (Find(key) is not { } v) return null;
            return Integer(v) ?? throw Wrong(key, "an integer", v);
        }

        public double? OptDouble(string key)
        {
            if (Find(key) is not { } v) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)) return d;
            throw Wrong(key, "a number", v);
        }

        public bool? OptBool(string key)
        {
            if (Find(key) is not { } v) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(key, "true or false", v),
            };
        }

        public string? OptString(string key)
        {
            if (Find(key) is not { } v) return null;
            return v.ValueKind == JsonValueKind.String ? Text(key, v) : throw Wrong(key, "a string", v);
        }

        public JsonElement? OptObject(string key)
        {
            if (Find(key) is not { } v) return null;
            return v.ValueKind == JsonValueKind.Object ? v : throw Wrong(key, "an object", v);
        }

        public string? FirstString(string key)
        {
            if (Find(key) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0 || v[0].ValueKind != JsonValueKind.String)
                throw Wrong(key, "a non-empty array of strings", v);
            return Text(key, v[0]);
        }

        public List<string>? OptStringList(string key)
        {
            if (Find(key) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "an array of strings", v);
            var list = new List<string>();
            foreach (var e in v.EnumerateArray())
                list.Add(e.ValueKind == JsonValueKind.String ? Text(key, e) : throw Wrong(key, "an array of strings", v));
            return list;
        }

        // An unpaired \uD800-style escape is valid JSON syntax, but GetString throws InvalidOperationException on it.
        private string Text(string key, JsonElement v)
        {
            try
            {
                return v.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw new InvalidConfigException(prefix + key, $"{v.GetRawText()} contains an unpaired UTF-16 surrogate escape");
            }
        }

        public List<int>? OptIntList(string key)
        {
            if (Find(key) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "an array of integers", v);
            var list = new List<int>();
            foreach (var e in v.EnumerateArray())
                list.Add(Integer(e) ?? throw Wrong(key, "an array of integers", v));
            return list;
        }

        public void Expect(string key, string value)
        {
            string? s = OptString(key);
            if (s is not null && s != value) throw new InvalidConfigException(prefix + key, $"'{s}' is not supported (expected '{value}')");
        }
    }
}
