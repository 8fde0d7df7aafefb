using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>
/// A loaded LongCat-Flash or Flash-Lite checkpoint and its paged KV cache: embeddings (N-gram for Lite), the ScMoE decoder
/// blocks, the final norm and the untied lm_head (LONGCAT.md §2). <see cref="Forward"/> runs one step for any mix of
/// prefill chunks and decode tokens; <see cref="CreateSession"/> gives a simple token-id API on top.
/// </summary>
public sealed class LongCatModel : IDisposable
{
    private readonly CheckpointIndex _checkpoint;
    private readonly bool _ownsBackend;
    private readonly DeviceTensor _embedding, _finalNorm, _lmHead, _invFreq;
    private readonly NgramEmbedding? _ngram;
    private readonly DecoderBlock[] _blocks;
    private readonly MtpHead? _mtp;
    private Workspace? _workspace;
    private DeviceTensor? _lastHidden, _mtpConcat;
    private readonly DeviceTensor? _draftHead;
    private readonly int[]? _draftIds;

    private LongCatModel(LongCatConfig config, CheckpointIndex checkpoint, IComputeBackend backend, bool ownsBackend, ModelOptions options,
        int[]? draftVocabulary, IProgress<LoadProgress>? progress, CancellationToken cancellation)
    {
        Config = config;
        _checkpoint = checkpoint;
        Backend = backend;
        _ownsBackend = ownsBackend;
        bool loadMtp = options.LoadMtp && config.HasMtp && checkpoint.Contains(WeightNames.MtpEhProj);
        long total = checkpoint.TensorNames.Where(n => loadMtp || !n.StartsWith(WeightNames.Mtp, StringComparison.Ordinal))
            .Sum(n => checkpoint.Get(n).Info.Length);
        var w = new WeightLoader(checkpoint, backend, progress is null ? null : loaded => progress.Report(new LoadProgress("weights", loaded, total)),
            cancellation);
        int h = config.HiddenSize;

        Rope = RopeTable.Create(config.QkRopeHeadDim, config.RopeTheta, config.RopeScaling);
        _invFreq = backend.Allocate(DType.F32, Rope.InvFreq.Length);
        backend.Upload<float>(_invFreq, Rope.InvFreq);
        var rope = new RopeParams(_invFreq, Rope.AttentionFactor);

        _embedding = w.Table(WeightNames.Embedding, config.VocabSize, h);
        if (config.Architecture == LongCatArchitecture.FlashNgram) _ngram = new NgramEmbedding(w, config);
        _blocks = new DecoderBlock[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++) _blocks[l] = new DecoderBlock(w, l, config, rope, Rope.SoftmaxScaleMultiplier);
        _finalNorm = w.Vector(WeightNames.FinalNorm, h);
        _lmHead = config.TieWordEmbeddings ? _embedding : w.Linear(WeightNames.LmHead, config.VocabSize, h);
        if (loadMtp) _mtp = new MtpHead(w, config, rope, Rope.SoftmaxScaleMultiplier, _embedding);
        if (_mtp is not null && draftVocabulary is not null)
        {
            // The head's logits over the draft tokens only: those rows of lm_head, copied (an FP8 lm_head keeps the full vocabulary).
            string name = config.TieWordEmbeddings ? WeightNames.Embedding : WeightNames.LmHead;
            if (checkpoint.Get(name).Info.DType is DType.F32 or DType.BF16 or DType.F16)
            {
                _draftHead = w.Rows(name, config.VocabSize, h, draftVocabulary);
                _draftIds = draftVocabulary;
            }
        }
        WeightBytes = w.LoadedBytes;

        int blockSize = options.KvBlockSize;
        long perBlock = PagedKvCache.BytesPerBlock(config.NumAttentionSublayers, config.KvCacheWidth, blockSize);
        int blocks = options.KvCacheBlocks ?? (int)Math.Max(1, options.KvCacheMemory / perBlock);
        // Sublayers 0..2L-1 are the blocks' attention; the MTP layer, when loaded, uses sublayer 2L at the same slots.
        int sublayers = config.NumAttentionSublayers + (_mtp is null ? 0 : 1);
        blocks = options.KvCacheBlocks ?? (int)Math.Max(1, options.KvCacheMemory / PagedKvCache.BytesPerBlock(sublayers, config.KvCacheWidth, blockSize));
        KvCache = new PagedKvCache(backend, sublayers, config.KvCacheWidth, blocks, blockSize);
    }

    /// <summary>The checkpoint's configuration.</summary>
    public LongCatConfig Config { get; }

    /// <summary>The backend running the model.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The paged latent cache shared by all sequences.</summary>
    public PagedKvCache KvCache { get; }

    /// <summary>Rotary table (with YaRN when configured).</summary>
    public RopeTable Rope { get; }

    /// <summary>Bytes of checkpoint weights the model uses.</summary>
    public long WeightBytes { get; }

    /// <summary>Whether the MTP head is loaded (<see cref="ForwardMtp(IReadOnlyList{MtpChunk}, DeviceTensor)"/> available).</summary>
    public bool HasMtp => _mtp is not null;

    /// <summary>The token ids the MTP head drafts from (<see cref="Model.DraftVocabulary"/>), or null: the whole vocabulary.
    /// Draft logits from <see cref="ForwardMtp(IReadOnlyList{MtpChunk}, DeviceTensor, int[], bool)"/> with <c>draftVocabulary</c>
    /// are in this order.</summary>
    public IReadOnlyList<int>? DraftVocabulary => _draftIds;

    internal int[]? DraftIds => _draftIds;

    /// <summary>
    /// Final-normed hidden states of the last <see cref="Forward"/>: [T, H] for every token when the batch asked for
    /// <see cref="ForwardBatch.KeepAllHidden"/>, else [logit rows, H]. The MTP head's input.
    /// </summary>
    public DeviceTensor LastHidden => _lastHidden?.SliceRows(0, _lastHiddenRows) ?? throw new InvalidOperationException("No forward has run yet.");

    /// <summary>N−1 for Flash-Lite (ids of context each step needs), 0 for Flash.</summary>
    public int NgramHistoryLength => _ngram?.HistoryLength ?? 0;

    /// <summary>Loads a checkpoint directory (config.json + safetensors).</summary>
    /// <exception cref="InvalidConfigException">config.json is missing a field or inconsistent.</exception>
    /// <exception cref="InvalidCheckpointException">A shard is malformed, or a tensor is missing or of the wrong shape or dtype.</exception>
    public static LongCatModel Load(string directory, ModelOptions? options = null) => Load(directory, options, null, default);

    /// <summary>Loads a checkpoint directory, reporting progress and stopping between tensors when cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled; everything loaded so far is freed.</exception>
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
        var backend = options.Backend ?? new CpuBackend(options.Residency, options.Threads);
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
    public TokenSession CreateSession() => new(this);

    /// <summary>
    /// Runs one forward over every chunk of <paramref name="batch"/>, writing their latents into the cache, and returns the logits
    /// rows [<see cref="ForwardBatch.LogitRows"/>, V] in chunk order (all positions of chunks that ask for them, else the last).
    /// </summary>
    /// <exception cref="ContextOverflowException">A chunk runs past max_position_embeddings.</exception>
    /// <exception cref="KvCacheExhaustedException">The cache cannot hold the new tokens.</exception>
    public float[] Forward(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var c = Config;
        int tokens = batch.TokenCount;
        if (tokens == 0) throw new ArgumentException("The batch has no tokens.", nameof(batch));
        var pool = KvCache.Pool;
        int bs = pool.BlockSize;

        foreach (var chunk in batch.Chunks)
        {
            if (chunk.StartPosition != chunk.Table.TokenCount)
                throw new ArgumentException($"Chunk starts at position {chunk.StartPosition} but its sequence has {chunk.Table.TokenCount} cached tokens.", nameof(batch));
            int end = chunk.StartPosition + chunk.Tokens.Length;
            if (end > c.MaxPositionEmbeddings) throw new ContextOverflowException(end, c.MaxPositionEmbeddings);
            foreach (int id in chunk.Tokens)
                if ((uint)id >= (uint)c.VocabSize) throw new ArgumentOutOfRangeException(nameof(batch), id, $"token id outside the vocabulary [0, {c.VocabSize})");
        }
        foreach (var chunk in batch.Chunks) chunk.Table.Reserve(pool, chunk.StartPosition + chunk.Tokens.Length);

        var logitRows = new List<int>(batch.LogitRows);
        var ids = new int[tokens];
        int row = 0;
        foreach (var chunk in batch.Chunks)
            for (int i = 0; i < chunk.Tokens.Length; i++, row++)
            {
                ids[row] = chunk.Tokens[i];
                if (chunk.AllLogits || i == chunk.Tokens.Length - 1) logitRows.Add(row);
            }
        var b = Backend;
        if (_workspace is null || _workspace.Capacity < tokens)
        {
            _workspace?.Dispose();
            _workspace = new Workspace(b, c, Math.Max(tokens, _workspace?.Capacity ?? 0));
        }
        var step = new StepBuffers(_workspace, tokens);
        using var idT = Upload(ids, tokens, 1);
        using var rowsT = Upload(logitRows.ToArray(), logitRows.Count);
        using var stepMeta = StepMetadata.Build(Backend, batch.Chunks.Select(c => (c.Table, c.StartPosition, c.Tokens.Length)), bs);
        var meta = stepMeta.Meta;
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
        if (trace is not null) trace.Hidden.Add(Read(step.Hidden, tokens * c.HiddenSize));

        // ---- decoder blocks ----
        foreach (var block in _blocks)
        {
            block.Forward(b, KvCache, meta, step);
            if (trace is not null)
            {
                trace.RouterIds.Add(ReadInts(step.RouterIds, tokens * c.MoeTopK));
                trace.RouterWeights.Add(Read(step.RouterWeights, tokens * c.MoeTopK));
                trace.Hidden.Add(Read(step.Hidden, tokens * c.HiddenSize));
            }
        }

        // ---- final norm + lm_head on the rows that need logits ----
        if (trace is not null)
        {
            b.RmsNorm(step.Hidden, _finalNorm, c.RmsNormEps, step.Normed);
            trace.Hidden.Add(Read(step.Normed, tokens * c.HiddenSize));
        }
        int outRows = logitRows.Count;
        float[] result;
        if (batch.KeepAllHidden)
        {
            // Every row's final-normed state stays on the device for the MTP head; logits only for the rows that need them.
            b.RmsNorm(step.Hidden, _finalNorm, c.RmsNormEps, step.Normed);
            KeepHidden(step.Normed);
            var gathered = step.Delta.SliceRows(0, outRows);
            b.GatherRows(step.Normed, rowsT, gathered);
            result = Logits(gathered);
        }
        else
        {
            var gathered = step.Delta.SliceRows(0, outRows);
            var normed = step.Normed.SliceRows(0, outRows);
            b.GatherRows(step.Hidden, rowsT, gathered);
            b.RmsNorm(gathered, _finalNorm, c.RmsNormEps, normed);
            result = Logits(normed);
            KeepHidden(normed);
        }

        foreach (var chunk in batch.Chunks) chunk.Table.Commit(chunk.StartPosition + chunk.Tokens.Length);
        return result;
    }

    /// <summary>lm_head over final-normed rows [n, H] → host logits [n, V].</summary>
    private float[] Logits(DeviceTensor normed) => Logits(normed, _lmHead);

    private float[] Logits(DeviceTensor normed, DeviceTensor head)
    {
        using var logits = Backend.Allocate(DType.F32, normed.Rows, head.Rows);
        Backend.MatMul(normed, head, logits);
        var result = new float[normed.Rows * head.Rows];
        Backend.Download<float>(logits, result);
        return result;
    }

    private void KeepHidden(DeviceTensor normed)
    {
        if (_lastHidden is null || _lastHidden.Rows < normed.Rows)
        {
            _lastHidden?.Dispose();
            _lastHidden = Backend.Allocate(DType.F32, Math.Max(normed.Rows, _workspace!.Capacity), Config.HiddenSize);
        }
        var view = _lastHidden.SliceRows(0, normed.Rows);
        Backend.GatherRows(normed, IdentityRows(normed.Rows), view);
        _lastHiddenRows = normed.Rows;
    }

    private int _lastHiddenRows;
    private DeviceTensor? _identityRows;

    private DeviceTensor IdentityRows(int n)
    {
        if (_identityRows is null || _identityRows.Rows < n)
        {
            _identityRows?.Dispose();
            _identityRows = Backend.Allocate(DType.I32, Math.Max(n, 64), 1);
            Backend.Upload<int>(_identityRows, Enumerable.Range(0, _identityRows.Rows).ToArray());
        }
        return _identityRows.SliceRows(0, n);
    }

    /// <summary>
    /// Runs the MTP head for <paramref name="chunks"/>: for position p of a sequence, the head reads its next token and the target's
    /// final-normed hidden state at p (rows of <paramref name="hidden"/>, in chunk order) and returns draft logits for position p+2.
    /// The positions must already be in the target's cache; the head writes its own latents at the same slots.
    /// </summary>
    public float[] ForwardMtp(IReadOnlyList<MtpChunk> chunks, DeviceTensor hidden) => ForwardMtp(chunks, hidden, null, false);

    /// <summary>As <see cref="ForwardMtp(IReadOnlyList{MtpChunk}, DeviceTensor)"/>, taking the hidden rows <paramref name="rows"/> of <paramref name="source"/>.</summary>
    public float[] ForwardMtp(IReadOnlyList<MtpChunk> chunks, DeviceTensor source, int[]? rows) => ForwardMtp(chunks, source, rows, false);

    /// <summary>
    /// As above; with <paramref name="draftVocabulary"/> (and a <see cref="DraftVocabulary"/> loaded) each logits row has one
    /// value per draft token, in <see cref="DraftVocabulary"/> order, each bit-identical to that token's full-vocabulary logit.
    /// </summary>
    public float[] ForwardMtp(IReadOnlyList<MtpChunk> chunks, DeviceTensor source, int[]? rows, bool draftVocabulary)
    {
        var head = draftVocabulary && _draftHead is not null ? _draftHead : _lmHead;
        if (rows is null) return ForwardMtpCore(chunks, source, head);
        if (rows.Length > 0 && IsRun(rows) && rows[^1] < source.Rows)
            return ForwardMtpCore(chunks, source.SliceRows(rows[0], rows.Length), head);    // one sequence's rows: a view, no copy
        using var rowT = Upload(rows, rows.Length);
        using var picked = Backend.Allocate(DType.F32, rows.Length, Config.HiddenSize);
        Backend.GatherRows(source, rowT, picked);
        return ForwardMtpCore(chunks, picked, head);
    }

    /// <summary>
    /// The MTP head's own final-normed output rows of its last run, one per logits row it returned (in chunk order: every position
    /// of chunks that asked for all logits, else the last): the hidden input for chained drafts.
    /// </summary>
    public DeviceTensor LastMtpHidden => _mtpHidden[_mtpHiddenLast]?.SliceRows(0, _lastMtpRows) ?? throw new InvalidOperationException("The MTP head has not run yet.");

    // Two buffers, used in turn: a chained draft reads the previous call's output (possibly as a view) while writing its own.
    private readonly DeviceTensor?[] _mtpHidden = new DeviceTensor?[2];
    private int _mtpHiddenLast;
    private int _lastMtpRows;
    private Workspace? _mtpRowsWorkspace;

    /// <summary>Whether <paramref name="rows"/> are consecutive ascending indices.</summary>
    private static bool IsRun(int[] rows)
    {
        for (int i = 1; i < rows.Length; i++)
            if (rows[i] != rows[0] + i) return false;
        return rows[0] >= 0;
    }

    private float[] ForwardMtpCore(IReadOnlyList<MtpChunk> chunks, DeviceTensor hidden, DeviceTensor head)
    {
        var mtp = _mtp ?? throw new InvalidOperationException("The checkpoint has no MTP head (model.mtp.*) or it was not loaded.");
        int tokens = chunks.Sum(ch => ch.NextTokens.Length);
        if (tokens == 0) throw new ArgumentException("No tokens.", nameof(chunks));
        if (hidden.Rows != tokens) throw new ArgumentException($"hidden has {hidden.Rows} rows for {tokens} tokens.", nameof(hidden));
        foreach (var ch in chunks)
            if (ch.StartPosition + ch.NextTokens.Length > ch.Table.Blocks.Count * KvCache.Pool.BlockSize)
                throw new ArgumentException($"MTP positions [{ch.StartPosition}, {ch.StartPosition + ch.NextTokens.Length}) lie beyond the sequence's reserved blocks.", nameof(chunks));
        var b = Backend;
        var c = Config;
        if (_workspace is null || _workspace.Capacity < tokens)
        {
            _workspace?.Dispose();
            _workspace = new Workspace(b, c, Math.Max(tokens, _workspace?.Capacity ?? 0));
        }
        if (_mtpConcat is null || _mtpConcat.Rows < _workspace.Capacity)
        {
            _mtpConcat?.Dispose();
            _mtpConcat = b.Allocate(DType.F32, _workspace.Capacity, 2 * c.HiddenSize);
        }
        var step = new StepBuffers(_workspace, tokens);
        var ids = chunks.SelectMany(ch => ch.NextTokens).ToArray();
        foreach (int id in ids)
            if ((uint)id >= (uint)c.VocabSize) throw new ArgumentOutOfRangeException(nameof(chunks), id, $"token id outside the vocabulary [0, {c.VocabSize})");
        var logitRows = new List<int>();
        int row = 0;
        foreach (var ch in chunks)
            for (int i = 0; i < ch.NextTokens.Length; i++, row++)
                if (ch.AllLogits || i == ch.NextTokens.Length - 1) logitRows.Add(row);
        using var idT = Upload(ids, tokens, 1);
        using var rowsT = Upload(logitRows.ToArray(), logitRows.Count);
        using var stepMeta = StepMetadata.Build(b, chunks.Select(ch => (ch.Table, ch.StartPosition, ch.NextTokens.Length)), KvCache.Pool.BlockSize);
        int outIndex = 1 - _mtpHiddenLast;
        if (_mtpHidden[outIndex] is not { } outBuffer || outBuffer.Rows < tokens)
        {
            _mtpHidden[outIndex]?.Dispose();
            _mtpHidden[outIndex] = outBuffer = b.Allocate(DType.F32, Math.Max(tokens, _workspace.Capacity), c.HiddenSize);
        }
        _mtpHiddenLast = outIndex;
        var cache = KvCache.Layer(c.NumAttentionSublayers);
        if (logitRows.Count < tokens)
        {
            // Only the rows that give logits need the whole layer; the others just leave their latents in the head's cache.
            int n = logitRows.Count;
            if (_mtpRowsWorkspace is null || _mtpRowsWorkspace.Capacity < n)
            {
                _mtpRowsWorkspace?.Dispose();
                _mtpRowsWorkspace = new Workspace(b, c, Math.Max(n, 16));          // one row per sequence in the step
            }
            using var lastMeta = StepMetadata.Build(b, chunks.Select(ch => (ch.Table, ch.StartPosition + ch.NextTokens.Length - 1, 1)), KvCache.Pool.BlockSize);
            var outRows = new MtpOutputRows(rowsT, lastMeta.Meta, new StepBuffers(_mtpRowsWorkspace, n));
            var normed = outBuffer.SliceRows(0, n);
            _lastMtpRows = n;
            mtp.Forward(b, idT, hidden, cache, stepMeta.Meta, step, _mtpConcat.SliceRows(0, tokens), normed, outRows);
            return Logits(normed, head);
        }
        var final = outBuffer.SliceRows(0, tokens);
        _lastMtpRows = tokens;
        mtp.Forward(b, idT, hidden, cache, stepMeta.Meta, step, _mtpConcat.SliceRows(0, tokens), final);
        return Logits(final, head);
    }

    private DeviceTensor Upload(int[] values, params int[] shape)
    {
        var t = Backend.Allocate(DType.I32, shape);
        Backend.Upload<int>(t, values);
        return t;
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
        _lastHidden?.Dispose();
        _mtpConcat?.Dispose();
        foreach (var t in _mtpHidden) t?.Dispose();
        _mtpRowsWorkspace?.Dispose();
        _identityRows?.Dispose();
        _draftHead?.Dispose();
        KvCache.Dispose();
        _invFreq.Dispose();
        if (_ownsBackend) Backend.Dispose();
        _checkpoint.Dispose();
    }
}
