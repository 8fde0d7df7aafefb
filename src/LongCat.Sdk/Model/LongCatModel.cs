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
    private Workspace? _workspace;

    private LongCatModel(LongCatConfig config, CheckpointIndex checkpoint, IComputeBackend backend, bool ownsBackend, ModelOptions options)
    {
        Config = config;
        _checkpoint = checkpoint;
        Backend = backend;
        _ownsBackend = ownsBackend;
        var w = new WeightLoader(checkpoint, backend);
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
        WeightBytes = w.LoadedBytes;

        int blockSize = options.KvBlockSize;
        long perBlock = PagedKvCache.BytesPerBlock(config.NumAttentionSublayers, config.KvCacheWidth, blockSize);
        int blocks = options.KvCacheBlocks ?? (int)Math.Max(1, options.KvCacheMemory / perBlock);
        KvCache = new PagedKvCache(backend, config.NumAttentionSublayers, config.KvCacheWidth, blocks, blockSize);
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

    /// <summary>N−1 for Flash-Lite (ids of context each step needs), 0 for Flash.</summary>
    public int NgramHistoryLength => _ngram?.HistoryLength ?? 0;

    /// <summary>Loads a checkpoint directory (config.json + safetensors).</summary>
    /// <exception cref="InvalidConfigException">config.json is missing a field or inconsistent.</exception>
    /// <exception cref="InvalidCheckpointException">A shard is malformed, or a tensor is missing or of the wrong shape or dtype.</exception>
    public static LongCatModel Load(string directory, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new ModelOptions();
        options.Validate();
        var config = LongCatConfig.Load(Path.Combine(directory, "config.json"));
        var checkpoint = CheckpointIndex.Open(directory);
        var backend = options.Backend ?? new CpuBackend(options.Residency, options.Threads);
        try
        {
            return new LongCatModel(config, checkpoint, backend, options.Backend is null, options);
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

        // Host-side step metadata: T token rows, S sequences.
        int seqs = batch.Chunks.Count;
        int maxBlocks = batch.Chunks.Max(ch => ch.Table.Blocks.Count);
        var ids = new int[tokens]; var positions = new int[tokens]; var slots = new int[tokens]; var seqOf = new int[tokens];
        var tables = new int[seqs * maxBlocks];
        var logitRows = new List<int>(batch.LogitRows);
        int row = 0;
        for (int s = 0; s < seqs; s++)
        {
            var chunk = batch.Chunks[s];
            for (int i = 0; i < chunk.Table.Blocks.Count; i++) tables[s * maxBlocks + i] = chunk.Table.Blocks[i];
            for (int i = 0; i < chunk.Tokens.Length; i++, row++)
            {
                ids[row] = chunk.Tokens[i];
                positions[row] = chunk.StartPosition + i;
                slots[row] = chunk.Table.Slot(positions[row], bs);
                seqOf[row] = s;
                if (chunk.AllLogits || i == chunk.Tokens.Length - 1) logitRows.Add(row);
            }
        }

        var b = Backend;
        if (_workspace is null || _workspace.Capacity < tokens)
        {
            _workspace?.Dispose();
            _workspace = new Workspace(b, c, Math.Max(tokens, _workspace?.Capacity ?? 0));
        }
        var step = new StepBuffers(_workspace, tokens);
        using var idT = Upload(ids, tokens, 1);
        using var posT = Upload(positions, tokens);
        using var slotT = Upload(slots, tokens);
        using var seqT = Upload(seqOf, tokens);
        using var tableT = Upload(tables, seqs, maxBlocks);
        using var rowsT = Upload(logitRows.ToArray(), logitRows.Count);
        var meta = new AttentionMetadata(posT, slotT, seqT, tableT, bs);
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
        var gathered = step.Delta.SliceRows(0, outRows);
        var normed = step.Normed.SliceRows(0, outRows);
        b.GatherRows(step.Hidden, rowsT, gathered);
        b.RmsNorm(gathered, _finalNorm, c.RmsNormEps, normed);
        using var logits = b.Allocate(DType.F32, outRows, c.VocabSize);
        b.MatMul(normed, _lmHead, logits);
        var result = new float[outRows * c.VocabSize];
        b.Download<float>(logits, result);

        foreach (var chunk in batch.Chunks) chunk.Table.Commit(chunk.StartPosition + chunk.Tokens.Length);
        return result;
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
        KvCache.Dispose();
        _invFreq.Dispose();
        if (_ownsBackend) Backend.Dispose();
        _checkpoint.Dispose();
    }
}
