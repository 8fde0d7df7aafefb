using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>
/// A loaded LongCat-Flash or Flash-Lite checkpoint and its paged KV cache memory: embeddings (N-gram for Lite), the ScMoE decoder
/// blocks, the final norm and the untied lm_head (LONGCAT.md §2), and the MTP head when the checkpoint has one.
/// <see cref="Forward"/> runs one step for any mix of prefill chunks and decode tokens and returns its results;
/// <see cref="CreateSession"/> gives a simple token-id API on top.
/// </summary>
/// <remarks>
/// The model writes the cache slots a batch names and owns no pages: an engine's scheduler decides who holds which block, and
/// the sessions of a model share their own block manager. An engine's model is never shared with sessions.
/// Legend: T tokens of the step, H hidden, V vocabulary.
/// </remarks>
internal sealed class LongCatModel : IDisposable
{
    private readonly CheckpointIndex _checkpoint;
    private readonly bool _ownsBackend;
    private readonly DeviceTensor _embedding, _finalNorm, _lmHead, _invFreq;
    private readonly NgramEmbedding? _ngram;
    private readonly DecoderBlock[] _blocks;
    private readonly ResultBuffers _results = new();
    private Workspace? _workspace;
    private DeviceTensor? _hidden;                  // [capacity, H]: the final-normed states a batch asked for
    private KvCacheManager? _sessionBlocks;

    private LongCatModel(LongCatConfig config, CheckpointIndex checkpoint, IComputeBackend backend, bool ownsBackend, ModelOptions options,
        int[]? draftVocabulary, IProgress<LoadProgress>? progress, CancellationToken cancellation)
    {
        Config = config;
        _checkpoint = checkpoint;
        Backend = backend;
        _ownsBackend = ownsBackend;
        if (config.TieWordEmbeddings && checkpoint.Contains(WeightNames.LmHead))
            throw new InvalidConfigException("tie_word_embeddings", $"true, but the checkpoint has its own '{WeightNames.LmHead}' " +
                $"(in {Path.GetFileName(checkpoint.Get(WeightNames.LmHead).File.Path)}): which output projection is meant?");
        // The MTP head is all or nothing: with any model.mtp.* tensor it is loaded, and a missing one is an error naming it.
        bool loadMtp = options.LoadMtp && config.HasMtp && checkpoint.TensorNames.Any(n => n.StartsWith(WeightNames.Mtp + ".", StringComparison.Ordinal));
        long total = checkpoint.TensorNames.Where(n => loadMtp || !n.StartsWith(WeightNames.Mtp, StringComparison.Ordinal))
            .Sum(n => checkpoint.Get(n).Info.Length);
        int tensors = 0;
        var w = new WeightLoader(checkpoint, backend, progress is null ? null
            : (loaded, phase) => progress.Report(new LoadProgress("weights", loaded, total) { Phase = phase, Tensors = ++tensors }),
            cancellation, options.Quantization, config.Gptq);
        int h = config.HiddenSize;

        Rope = RopeTable.Create(config.QkRopeHeadDim, config.RopeTheta, config.RopeScaling);
        _invFreq = backend.Allocate(DType.F32, Rope.InvFreq.Length);
        backend.Upload<float>(_invFreq, Rope.InvFreq);
        var rope = new RopeParams(_invFreq, Rope.AttentionFactor);

        _embedding = w.Table(WeightNames.Embedding, config.VocabSize, h, rowsOnly: !config.TieWordEmbeddings);
        if (config.Architecture == LongCatArchitecture.FlashNgram) _ngram = new NgramEmbedding(w, config);
        _blocks = new DecoderBlock[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++) _blocks[l] = new DecoderBlock(w, l, config, rope, Rope.SoftmaxScaleMultiplier);
        _finalNorm = w.Vector(WeightNames.FinalNorm, h);
        _lmHead = config.TieWordEmbeddings ? _embedding : w.Linear(WeightNames.LmHead, config.VocabSize, h);
        if (loadMtp) Mtp = MtpHead.Load(this, w, rope, _embedding, _lmHead, draftVocabulary);
        WeightBytes = w.ResidentBytes;
        RowTableBytes = w.RowTableBytes;

        // Sublayers 0..2L-1 are the blocks' attention; the MTP layer, when loaded, uses sublayer 2L at the same slots.
        int sublayers = config.NumAttentionSublayers + (Mtp is null ? 0 : 1);
        int blocks = options.KvCacheBlocks
            ?? (int)Math.Max(1, options.KvCacheMemory / PagedKvCache.BytesPerBlock(sublayers, config.KvCacheWidth, options.KvBlockSize));
        KvCache = new PagedKvCache(backend, sublayers, config.KvCacheWidth, blocks, options.KvBlockSize);
    }

    /// <summary>The checkpoint's configuration.</summary>
    public LongCatConfig Config { get; }

    /// <summary>The backend running the model.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The paged latent cache's memory (its pages are handed out by a <see cref="KvCacheManager"/>).</summary>
    internal PagedKvCache KvCache { get; }

    /// <summary>Pages in the KV cache.</summary>
    public int KvCacheBlocks => KvCache.BlockCount;

    /// <summary>The MTP head, or null when the checkpoint has none or it was not loaded.</summary>
    internal MtpHead? Mtp { get; }

    /// <summary>Rotary table (with YaRN when configured).</summary>
    public RopeTable Rope { get; }

    /// <summary>Bytes of checkpoint weights the model uses.</summary>
    public long WeightBytes { get; }

    /// <summary>Of <see cref="WeightBytes"/>, the tables read by rows (<see cref="IComputeBackend.LoadTable"/>: mapped on the CPU).</summary>
    public long RowTableBytes { get; }

    /// <summary>
    /// Bytes of weights one decoded token reads (plain decode, one sequence): each block's dense weights (norms, attention, dense
    /// MLPs, router) and the routed experts of its top-k slots, the final norm and the lm_head, and one row of the embedding (and
    /// for Flash-Lite of each N-gram table, with their projections). Each weight counts its stored bytes (its format's, block
    /// scales included). The top-k slots count as real experts: an upper bound, since a slot routed to an identity expert reads
    /// nothing. The MTP head is not counted.
    /// </summary>
    public long WeightBytesPerToken()
    {
        double bytes = _embedding.WeightBytes / _embedding.Rows + (_ngram?.WeightBytesPerToken ?? 0) + _finalNorm.WeightBytes + _lmHead.WeightBytes;
        foreach (var block in _blocks)
            bytes += block.DenseWeightBytes + Math.Min(block.Moe.TopK, Config.NRoutedExperts) * block.Moe.MeanExpertBytes;
        return (long)Math.Round(bytes);
    }

    /// <summary>Whether the MTP head is loaded (speculative decoding is available).</summary>
    public bool HasMtp => Mtp is not null;

    /// <summary>The token ids the MTP head drafts from (<see cref="Model.DraftVocabulary"/>), or null: the whole vocabulary.</summary>
    public IReadOnlyList<int>? DraftVocabulary => Mtp?.DraftVocabulary;

    /// <summary>N−1 for Flash-Lite (ids of context each step needs), 0 for Flash.</summary>
    public int NgramHistoryLength => _ngram?.HistoryLength ?? 0;

    /// <summary>The block manager the model's <see cref="TokenSession"/>s share (created on first use).</summary>
    internal KvCacheManager SessionBlocks => _sessionBlocks ??= new KvCacheManager(KvCache.BlockCount, KvCache.BlockSize, prefixCaching: false);

    /// <summary>Loads a checkpoint directory (config.json + safetensors).</summary>
    /// <exception cref="InvalidConfigException">config.json is missing a field or inconsistent.</exception>
    /// <exception cref="InvalidCheckpointException">A shard is malformed, or a tensor is missing or of the wrong shape or dtype.</exception>
    public static LongCatModel Load(string directory, ModelOptions? options = null) => Load(directory, options, null, default);

    /// <summary>Loads a checkpoint directory, reporting progress and stopping between tensors when cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled; everything loaded so far is freed.</exception>
    /// <exception cref="NotSupportedException">A weight quantization was asked for on a backend without kernels for it (ILGPU today).</exception>
    public static LongCatModel Load(string directory, ModelOptions? options, IProgress<LoadProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new ModelOptions();
        options.Validate();
        progress?.Report(new LoadProgress("config", 0, 0));
        var config = LongCatConfig.Load(Path.Combine(directory, "config.json"));
        progress?.Report(new LoadProgress("checkpoint", 0, 0));
        var draftVocabulary = options.LoadMtp ? Model.DraftVocabulary.Resolve(directory, config.VocabSize, options.DraftVocabularySize) : null;
        var checkpoint = CheckpointIndex.Open(directory);
        var backend = options.Backend ?? new CpuBackend(options.Residency, options.Threads) { Int8Activations = options.Int8Activations };
        try
        {
            return new LongCatModel(config, checkpoint, backend, options.Backend is null, options, draftVocabulary, progress, cancellation);
        }
        catch
        {
            if (options.Backend is null) backend.Dispose();
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>A new empty sequence with the token-id API (prefill, decode, logits).</summary>
    public TokenSession CreateSession() => new(this, SessionBlocks);

    /// <summary>
    /// Runs one forward over every chunk of <paramref name="batch"/>, writing their latents into the cache slots of their blocks,
    /// and returns the logits rows [<see cref="ForwardBatch.LogitRows"/>, V] in chunk order (all positions of chunks that ask for
    /// them, else the last), and the hidden states when the batch asks for them. Valid until the next forward.
    /// </summary>
    /// <exception cref="ContextOverflowException">A chunk runs past max_position_embeddings.</exception>
    /// <exception cref="ArgumentException">A chunk's blocks do not cover its positions, or a token id is outside the vocabulary.</exception>
    public ForwardResult Forward(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var c = Config;
        int tokens = batch.TokenCount;
        if (tokens == 0) throw new ArgumentException("The batch has no tokens.", nameof(batch));
        var ids = new int[tokens];
        var logitRows = new List<int>(batch.LogitRows);
        var spans = new List<(IReadOnlyList<int>, int, int)>(batch.Chunks.Count);
        int row = 0;
        foreach (var chunk in batch.Chunks)
        {
            int end = chunk.StartPosition + chunk.Tokens.Length;
            if (end > c.MaxPositionEmbeddings) throw new ContextOverflowException(end, c.MaxPositionEmbeddings);
            spans.Add((chunk.Blocks, chunk.StartPosition, chunk.Tokens.Length));
            for (int i = 0; i < chunk.Tokens.Length; i++, row++)
            {
                ids[row] = CheckToken(chunk.Tokens[i], nameof(batch));
                if (chunk.AllLogits || i == chunk.Tokens.Length - 1) logitRows.Add(row);
            }
        }
        var b = Backend;
        var step = Buffers(tokens);
        using var stepMeta = StepMetadata.Build(b, spans, KvCache.BlockSize);
        using var idT = StepMetadata.Upload(b, ids, tokens, 1);
        using var rowsT = StepMetadata.Upload(b, logitRows.ToArray(), logitRows.Count);
        var trace = batch.Trace;

        // ---- embeddings ----
        b.Embedding(_embedding, idT, 0, step.Hidden);                          // h = E[ids]: [T, H]
        if (_ngram is not null)
        {
            var hashes = new int[tokens * c.NgramEmbedderCount];
            int offset = 0;
            foreach (var chunk in batch.Chunks)
            {
                _ngram.HashIds(chunk.NgramHistory, chunk.Tokens, hashes.AsSpan(offset * c.NgramEmbedderCount, chunk.Tokens.Length * c.NgramEmbedderCount));
                offset += chunk.Tokens.Length;
            }
            b.Upload<int>(step.NgramIds, hashes);
            _ngram.Forward(b, step.NgramIds, step.Hidden, step.NgramSlice);
            if (trace is not null) trace.NgramIds = hashes;
        }
        trace?.Hidden.Add(Read(step.Hidden, tokens * c.HiddenSize));

        // ---- decoder blocks ----
        foreach (var block in _blocks)
        {
            block.Forward(b, KvCache, stepMeta.Meta, step);
            if (trace is null) continue;
            trace.RouterIds.Add(ReadInts(step.RouterIds, tokens * c.MoeTopK));
            trace.RouterWeights.Add(Read(step.RouterWeights, tokens * c.MoeTopK));
            trace.Hidden.Add(Read(step.Hidden, tokens * c.HiddenSize));
        }

        // ---- final norm + lm_head on the rows that need logits ----
        if (trace is not null)
        {
            b.RmsNorm(step.Hidden, _finalNorm, c.RmsNormEps, step.Normed);
            trace.Hidden.Add(Read(step.Normed, tokens * c.HiddenSize));
        }
        int outRows = logitRows.Count;
        var normed = step.Normed.SliceRows(0, outRows);                        // [logit rows, H]
        DeviceTensor? hidden = null;
        if (batch.ReturnHidden)
        {
            hidden = HiddenRows(tokens);                                          // every row normed for the MTP head
            b.RmsNorm(step.Hidden, _finalNorm, c.RmsNormEps, hidden);
            b.GatherRows(hidden, rowsT, normed);
        }
        else
        {
            var gathered = step.Delta.SliceRows(0, outRows);
            b.GatherRows(step.Hidden, rowsT, gathered);
            b.RmsNorm(gathered, _finalNorm, c.RmsNormEps, normed);
        }
        return Project(normed, _lmHead, _results, hidden);
    }

    /// <summary>logits = normed · headᵀ ([n, H] → [n, head rows]) into <paramref name="results"/>' host buffer.</summary>
    internal ForwardResult Project(DeviceTensor normed, DeviceTensor head, ResultBuffers results, DeviceTensor? hidden)
    {
        using var logits = Backend.Allocate(DType.F32, normed.Rows, head.Rows);
        Backend.MatMul(normed, head, logits);
        int values = normed.Rows * head.Rows;
        var host = results.Next(values);
        Backend.Download<float>(logits, host.AsSpan(0, values));
        return new ForwardResult(results, normed.Rows, head.Rows, hidden);
    }

    /// <summary>Scratch activations for a step of <paramref name="tokens"/> rows (the model's and the MTP head's, in turn).</summary>
    internal StepBuffers Buffers(int tokens)
    {
        if (_workspace is null || _workspace.Capacity < tokens)
        {
            _workspace?.Dispose();
            _workspace = new Workspace(Backend, Config, Math.Max(tokens, _workspace?.Capacity ?? 0));
        }
        return new StepBuffers(_workspace, tokens);
    }

    /// <summary>Rows that the workspace can hold (buffers sized to it need no regrowth within a step).</summary>
    internal int Capacity => _workspace?.Capacity ?? 0;

    internal int CheckToken(int id, string parameter) =>
        (uint)id < (uint)Config.VocabSize ? id : throw new ArgumentOutOfRangeException(parameter, id, $"token id outside the vocabulary [0, {Config.VocabSize})");

    private DeviceTensor HiddenRows(int tokens)
    {
        if (_hidden is null || _hidden.Rows < tokens)
        {
            _hidden?.Dispose();
            _hidden = Backend.Allocate(DType.F32, Math.Max(tokens, Capacity), Config.HiddenSize);
        }
        return _hidden.SliceRows(0, tokens);
    }

    private float[] Read(DeviceTensor t, int count)
    {
        var r = new float[count];
        Backend.Download<float>(t, r);
        return r;
    }

    private int[] ReadInts(DeviceTensor t, int count)
    {
        var r = new int[count];
        Backend.Download<int>(t, r);
        return r;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _workspace?.Dispose();
        _hidden?.Dispose();
        Mtp?.Dispose();
        KvCache.Dispose();
        _invFreq.Dispose();
        if (_ownsBackend) Backend.Dispose();
        _checkpoint.Dispose();
    }
}
