using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk;

/// <summary>Where a group of weights lives once loaded.</summary>
public enum MemoryPlacement
{
    /// <summary>In the process's own memory, read in full (or by expert) every token.</summary>
    Resident,

    /// <summary>Memory-mapped from the checkpoint and read a few rows per token: page cache the OS may evict, not the process's own.</summary>
    Mapped,
}

/// <summary>One group of a <see cref="MemoryPlan"/>.</summary>
/// <param name="Name">The group: "ngram-tables", "embedding", "attention", "dense-mlp", "router", "experts", "lm-head", "mtp", "norms".</param>
/// <param name="Format">The loaded format: "BF16", "FP8", "Q8", "Q4" or a mix ("Q8+BF16" when some of the group stays as stored).</param>
/// <param name="Parameters">Weights in the group.</param>
/// <param name="Bytes">Bytes once loaded, block scales included.</param>
/// <param name="Placement">Resident or mapped.</param>
/// <param name="BytesPerToken">Bytes of the group one decoded token reads (the expected routed experts only; a few rows of a table).</param>
public sealed record MemoryPlanGroup(string Name, string Format, long Parameters, long Bytes, MemoryPlacement Placement, long BytesPerToken);

/// <summary>
/// What a model takes in memory before any weight is read: every group of weights with its format, bytes and placement, the
/// KV cache per token, a runtime estimate, and, against a budget, how many KV tokens fit. Computed from a config alone
/// (<see cref="Create"/>) or a model folder's config.json (<see cref="ForModel"/>), with the same formats the loader produces
/// under a <see cref="WeightQuantization"/> preset.
/// </summary>
/// <remarks>
/// The CPU placement: tables read by rows (the N-gram tables and the token embedding) are mapped; everything else resident in
/// its loaded format. The KV cache holds F32 latents (kv_lora_rank + qk_rope_head_dim per token and attention sublayer, the MTP
/// layer's included). <see cref="LongCatEngine.EstimateMemory"/> is the same count from a checkpoint's own tensors. The
/// runtime estimate (activations of a 512-token prefill chunk, scratch, the .NET runtime) is an estimate, not a measurement.
/// </remarks>
public sealed record MemoryPlan
{
    /// <summary>KV tokens a budget must leave room for, at the least, for <see cref="Fits"/>.</summary>
    public const int MinimumKvTokens = 4096;

    /// <summary>The groups, in forward order.</summary>
    public required IReadOnlyList<MemoryPlanGroup> Groups { get; init; }

    /// <summary>The preset the plan assumes.</summary>
    public WeightQuantization Quantization { get; init; }

    /// <summary>Σ bytes of the resident groups.</summary>
    public long ResidentBytes => Groups.Where(g => g.Placement == MemoryPlacement.Resident).Sum(g => g.Bytes);

    /// <summary>Σ bytes of the mapped groups (page cache; read a few rows per token).</summary>
    public long MappedBytes => Groups.Where(g => g.Placement == MemoryPlacement.Mapped).Sum(g => g.Bytes);

    /// <summary>Weight bytes one decoded token reads (Σ <see cref="MemoryPlanGroup.BytesPerToken"/>), the KV cache left out.</summary>
    public long BytesPerToken => Groups.Sum(g => g.BytesPerToken);

    /// <summary>KV-cache bytes per token of context (all attention sublayers).</summary>
    public required long KvBytesPerToken { get; init; }

    /// <summary>Activations, scratch and runtime, estimated.</summary>
    public required long RuntimeBytes { get; init; }

    /// <summary>The budget the plan was made against (null: none given).</summary>
    public long? MemoryBudget { get; init; }

    /// <summary>KV tokens (summed over sequences) that fit in the budget beside the resident weights and the runtime; null without a budget.</summary>
    public long? KvTokens => MemoryBudget is { } budget ? Math.Max(0, (budget - ResidentBytes - RuntimeBytes) / KvBytesPerToken) : null;

    /// <summary>Whether the resident weights, the runtime and at least <see cref="MinimumKvTokens"/> KV tokens fit the budget; null without one.</summary>
    public bool? Fits => KvTokens is { } kv ? kv >= MinimumKvTokens : null;

    /// <summary>The memory bandwidth the speed estimate assumes, bytes/s (null: none given).</summary>
    public double? Bandwidth { get; init; }

    /// <summary>Decode tokens/s the bandwidth allows for one sequence (<see cref="Bandwidth"/> / <see cref="BytesPerToken"/>), an upper bound.</summary>
    public double? DecodeTokensPerSecond => Bandwidth is { } b ? b / BytesPerToken : null;

    /// <summary>The plan for <paramref name="config"/> under <paramref name="quantization"/>.</summary>
    /// <param name="config">The model's config (no weights needed).</param>
    /// <param name="quantization">The preset the weights load with.</param>
    /// <param name="memoryBudget">Bytes the process may use (weights, KV cache, runtime); null for none.</param>
    /// <param name="bandwidth">Memory bandwidth in bytes/s for the speed estimate; null for none.</param>
    public static MemoryPlan Create(LongCatConfig config, WeightQuantization quantization = WeightQuantization.None, long? memoryBudget = null, double? bandwidth = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!Enum.IsDefined(quantization)) throw new ArgumentOutOfRangeException(nameof(quantization), quantization, "not a preset");
        if (memoryBudget is <= 0) throw new ArgumentOutOfRangeException(nameof(memoryBudget), memoryBudget, "must be positive");
        if (bandwidth is not null && !(bandwidth > 0 && double.IsFinite(bandwidth.Value)))
            throw new ArgumentOutOfRangeException(nameof(bandwidth), bandwidth, "must be a positive number of bytes/s");
        var groups = new PlanBuilder(config, quantization).Build();
        long h = config.HiddenSize;
        long runtime = RuntimeReserveBytes                                                     // the .NET runtime, tokenizer, scratch
            + PrefillChunk * 4L * ((config.MoeTopK + 8) * h + 2L * config.FfnHiddenSize + config.VocabSize);
        return new MemoryPlan
        {
            Groups = groups,
            Quantization = quantization,
            // The MTP layer's attention sublayer has its own cache slot beside the decoder's (PagedKvCache).
            KvBytesPerToken = (long)(config.NumAttentionSublayers + (config.HasMtp ? 1 : 0)) * config.KvCacheWidth * sizeof(float),
            RuntimeBytes = runtime,
            MemoryBudget = memoryBudget,
            Bandwidth = bandwidth,
        };
    }

    /// <summary>The plan for the model folder (or config.json) at <paramref name="path"/>: its config is read, its weights are not.</summary>
    /// <exception cref="InvalidConfigException">The config is missing or invalid.</exception>
    public static MemoryPlan ForModel(string path, WeightQuantization quantization = WeightQuantization.None, long? memoryBudget = null, double? bandwidth = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        return Create(LongCatConfig.Load(file), quantization, memoryBudget, bandwidth);
    }

    /// <summary>The .NET runtime, the tokenizer and scratch buffers: the part of <see cref="RuntimeBytes"/> that does not grow with the model.</summary>
    internal const long RuntimeReserveBytes = 512L << 20;

    /// <summary>Token rows of the prefill chunk the runtime estimate assumes.</summary>
    private const int PrefillChunk = 512;

    /// <summary>Builds the groups from the config's shapes and <see cref="QuantizationPlan"/>'s formats.</summary>
    private sealed class PlanBuilder(LongCatConfig c, WeightQuantization preset)
    {
        private readonly DType _stored = c.Quantization is not null ? DType.F8E4M3 : DType.BF16;
        private readonly List<(string Format, long Parameters, long Bytes)> _parts = [];

        public List<MemoryPlanGroup> Build()
        {
            long h = c.HiddenSize, layers = c.NumLayers;
            var groups = new List<MemoryPlanGroup>();

            // Tables read by rows: mapped, as stored (never quantized), a few rows per token.
            if (c.NgramEmbedderCount > 0)
            {
                long dim = h / c.NgramEmbedderCount, rows = 0;
                for (int idx = 0; idx < c.NgramEmbedderCount; idx++) rows += (long)c.NgramVocabSizeRatio * c.VocabSize + 2L * idx + 1;
                groups.Add(new("ngram-tables", "BF16", rows * dim, rows * dim * 2, MemoryPlacement.Mapped, c.NgramEmbedderCount * dim * 2));
            }
            groups.Add(new("embedding", "BF16", (long)c.VocabSize * h, (long)c.VocabSize * h * 2, MemoryPlacement.Mapped, h * 2));

            // Per decoder block: two MLA sublayers, two dense MLPs, the router, the routed experts.
            for (int i = 0; i < 2 * layers; i++) Attention();
            groups.Add(Take("attention"));
            if (c.NgramEmbedderCount > 0)
            {
                long dim = h / c.NgramEmbedderCount;
                Stored(c.NgramEmbedderCount * h * dim);                                  // the N-gram post-projections
                groups.Add(Take("ngram-projections"));
            }
            for (int i = 0; i < 2 * layers; i++) Mlp(c.FfnHiddenSize, expert: false);
            groups.Add(Take("dense-mlp"));
            Stored(layers * (long)c.TotalExperts * h);                                     // the classifier stays as stored
            groups.Add(Take("router"));
            Mlp(c.ExpertFfnHiddenSize, expert: true);
            var one = Take("experts");
            long experts = layers * c.NRoutedExperts;
            // A token picks top-k of real and identity experts: real ones in proportion, each read once.
            double perToken = layers * (double)c.MoeTopK * c.NRoutedExperts / c.TotalExperts;
            groups.Add(one with { Parameters = one.Parameters * experts, Bytes = one.Bytes * experts, BytesPerToken = (long)(one.Bytes * perToken) });

            if (!c.TieWordEmbeddings)
            {
                Linear(c.VocabSize, h, WeightNames.LmHead);
                groups.Add(Take("lm-head"));
            }
            // Norms: two per sublayer, the MLA LoRA norms, the final norm (F32 on the CPU, as the backend widens them).
            long norms = layers * (4 * h + 2L * (c.QLoraRank + c.KvLoraRank)) + h;
            groups.Add(new("norms", "F32", norms, norms * 4, MemoryPlacement.Resident, norms * 4));
            if (c.HasMtp)
            {
                // eh_proj [H, 2H], one MLA sublayer, one dense MLP, its norms; read only while speculating.
                Linear(h, 2 * h, WeightNames.MtpEhProj);
                Attention();
                Mlp(c.FfnHiddenSize, expert: false);
                var mtp = Take("mtp");
                groups.Add(mtp with { BytesPerToken = 0 });
            }
            return groups;
        }

        /// <summary>One MLA sublayer: q_a, q_b, kv_a, o in the preset's format; kv_b as stored (read head by head).</summary>
        private void Attention()
        {
            long h = c.HiddenSize, heads = c.NumAttentionHeads;
            Linear(c.QLoraRank, h, "self_attn." + WeightNames.QA);
            Linear(heads * c.QkHeadDim, c.QLoraRank, "self_attn." + WeightNames.QB);
            Linear(c.KvCacheWidth, h, "self_attn." + WeightNames.KvA);
            Stored(c.KvLoraRank * heads * (c.QkNopeHeadDim + c.VHeadDim));
            Linear(h, heads * c.VHeadDim, "self_attn." + WeightNames.O);
        }

        private void Mlp(long ffn, bool expert)
        {
            string prefix = expert ? "model.layers.0.mlp.experts.0." : "model.layers.0.mlps.0.";
            Linear(ffn, c.HiddenSize, prefix + WeightNames.Gate);
            Linear(ffn, c.HiddenSize, prefix + WeightNames.Up);
            Linear(c.HiddenSize, ffn, prefix + WeightNames.Down);
        }

        /// <summary>A [rows, columns] linear weight in the format <see cref="QuantizationPlan.FormatFor"/> gives its name.</summary>
        private void Linear(long rows, long columns, string name)
        {
            if (QuantizationPlan.FormatFor(preset, name, (int)columns) is { } format)
                _parts.Add((format == DType.Q8 ? "Q8" : "Q4", rows * columns, QuantizationPlan.QuantizedBytes(format, rows, columns)));
            else
                Stored(rows * columns, rows, columns);
        }

        /// <summary>Weights kept in the checkpoint's format (FP8 with one F32 scale per 128 × 128 block, else BF16).</summary>
        private void Stored(long parameters, long rows = 0, long columns = 0)
        {
            if (_stored == DType.F8E4M3)
            {
                long scales = rows > 0 ? (rows + 127) / 128 * ((columns + 127) / 128) * 4 : (parameters + 16383) / 16384 * 4;
                _parts.Add(("FP8", parameters, parameters + scales));
            }
            else
                _parts.Add(("BF16", parameters, parameters * 2));
        }

        /// <summary>The parts added since the last group as one resident group, read in full per token.</summary>
        private MemoryPlanGroup Take(string name)
        {
            var formats = _parts.GroupBy(p => p.Format).OrderByDescending(g => g.Sum(p => p.Parameters)).Select(g => g.Key).ToArray();
            long parameters = _parts.Sum(p => p.Parameters), bytes = _parts.Sum(p => p.Bytes);
            _parts.Clear();
            return new(name, string.Join("+", formats), parameters, bytes, MemoryPlacement.Resident, bytes);
        }
    }
}
