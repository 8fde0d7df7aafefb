using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// The MTP head as a component (LONGCAT.md §5): for position p of a sequence it reads the token at p+1 and the target's
/// final-normed hidden state at p, writes its own latent at p (cache sublayer 2L), and returns draft logits for position p+2.
/// The speculative decoder calls it; it knows nothing of requests or drafts.
/// </summary>
/// <remarks>Its output hidden rows (the input of a chained draft) alternate between two buffers, so a result's
/// <see cref="ForwardResult.Hidden"/> stays valid through the next call, which may read it.</remarks>
internal sealed class MtpHead : IDisposable
{
    private readonly LongCatModel _model;
    private readonly MtpLayer _layer;
    private readonly DeviceTensor _lmHead;
    private readonly DeviceTensor? _draftHead;          // the lm_head rows of the draft vocabulary, copied
    private readonly int[]? _draftIds;
    private readonly ResultBuffers _results = new(hiddenLifetime: 1);
    private readonly DeviceTensor?[] _output = new DeviceTensor?[2];
    private int _lastOutput;
    private DeviceTensor? _concat;                      // [capacity, 2H]
    private Workspace? _rowsWorkspace;                  // the rows that go past the cache write

    private MtpHead(LongCatModel model, MtpLayer layer, DeviceTensor lmHead, DeviceTensor? draftHead, int[]? draftIds)
    {
        _model = model;
        _layer = layer;
        _lmHead = lmHead;
        _draftHead = draftHead;
        _draftIds = draftIds;
    }

    /// <summary>Loads the head's weights; with a draft vocabulary, the lm_head rows it drafts from (a BF16/F16/F32 head only:
    /// an FP8 lm_head keeps the full vocabulary).</summary>
    public static MtpHead Load(LongCatModel model, WeightLoader w, RopeParams rope, DeviceTensor embedding, DeviceTensor lmHead, int[]? draftVocabulary)
    {
        var c = model.Config;
        var layer = new MtpLayer(w, c, rope, model.Rope.SoftmaxScaleMultiplier, embedding);
        string name = c.TieWordEmbeddings ? WeightNames.Embedding : WeightNames.LmHead;
        if (draftVocabulary is null || w.Checkpoint.Get(name).Info.DType is not (DType.F32 or DType.BF16 or DType.F16))
            return new MtpHead(model, layer, lmHead, null, null);
        return new MtpHead(model, layer, lmHead, w.Rows(name, c.VocabSize, c.HiddenSize, draftVocabulary), draftVocabulary);
    }

    /// <summary>The token ids the head drafts from, in the order of its draft-vocabulary logits; null: the whole vocabulary.</summary>
    public IReadOnlyList<int>? DraftVocabulary => _draftIds;

    /// <summary>
    /// Runs the head over <paramref name="chunks"/> with hidden input rows <paramref name="rows"/> of <paramref name="source"/>
    /// (null: all of them, in chunk order). With <paramref name="draftVocabulary"/> each logits row has one value per
    /// <see cref="DraftVocabulary"/> token, bit-identical to that token's full-vocabulary logit. The positions must already be in the
    /// target's cache (their blocks reserved). Legend: T positions, H hidden, n logits rows.
    /// </summary>
    public ForwardResult Forward(IReadOnlyList<MtpChunk> chunks, DeviceTensor source, int[]? rows = null, bool draftVocabulary = false)
    {
        var head = draftVocabulary && _draftHead is not null ? _draftHead : _lmHead;
        var b = _model.Backend;
        if (rows is null || (rows.Length > 0 && IsRun(rows) && rows[^1] < source.Rows))
            return Run(chunks, rows is null ? source : source.SliceRows(rows[0], rows.Length), head);     // a view, no copy
        using var rowT = StepMetadata.Upload(b, rows, rows.Length);
        using var picked = b.Allocate(DType.F32, rows.Length, _model.Config.HiddenSize);
        b.GatherRows(source, rowT, picked);
        return Run(chunks, picked, head);
    }

    private ForwardResult Run(IReadOnlyList<MtpChunk> chunks, DeviceTensor hidden, DeviceTensor head)
    {
        var b = _model.Backend;
        var c = _model.Config;
        int tokens = chunks.Sum(ch => ch.NextTokens.Length);
        if (tokens == 0) throw new ArgumentException("No tokens.", nameof(chunks));
        if (hidden.Rows != tokens) throw new ArgumentException($"hidden has {hidden.Rows} rows for {tokens} tokens.", nameof(hidden));
        var ids = new int[tokens];
        var logitRows = new List<int>(chunks.Count);
        int row = 0;
        foreach (var ch in chunks)
            for (int i = 0; i < ch.NextTokens.Length; i++, row++)
            {
                ids[row] = _model.CheckToken(ch.NextTokens[i], nameof(chunks));
                if (ch.AllLogits || i == ch.NextTokens.Length - 1) logitRows.Add(row);
            }
        int bs = _model.KvCache.BlockSize;
        var step = _model.Buffers(tokens);
        if (_concat is null || _concat.Rows < tokens)
        {
            _concat?.Dispose();
            _concat = b.Allocate(DType.F32, Math.Max(tokens, _model.Capacity), 2 * c.HiddenSize);
        }
        using var stepMeta = StepMetadata.Build(b, chunks.Select(ch => (ch.Blocks, ch.StartPosition, ch.NextTokens.Length)).ToList(), bs);
        using var idT = StepMetadata.Upload(b, ids, tokens, 1);
        using var rowsT = StepMetadata.Upload(b, logitRows.ToArray(), logitRows.Count);
        int n = logitRows.Count;
        var normed = NextOutput(n);                                       // [n, H]
        var cache = _model.KvCache.Layer(c.NumAttentionSublayers);
        if (n < tokens)
        {
            // Only the rows that give logits need the whole layer; the others just leave their latents in the head's cache.
            if (_rowsWorkspace is null || _rowsWorkspace.Capacity < n)
            {
                _rowsWorkspace?.Dispose();
                _rowsWorkspace = new Workspace(b, c, Math.Max(n, 16));
            }
            using var lastMeta = StepMetadata.Build(b, chunks.Select(ch => (ch.Blocks, ch.StartPosition + ch.NextTokens.Length - 1, 1)).ToList(), bs);
            var only = new MtpOutputRows(rowsT, lastMeta.Meta, new StepBuffers(_rowsWorkspace, n));
            _layer.Forward(b, idT, hidden, cache, stepMeta.Meta, step, _concat.SliceRows(0, tokens), normed, only);
        }
        else _layer.Forward(b, idT, hidden, cache, stepMeta.Meta, step, _concat.SliceRows(0, tokens), normed);
        return _model.Project(normed, head, _results, normed);
    }

    // The other buffer of the pair than the last call's: a chained draft reads the previous output (maybe as a view) while writing this one.
    private DeviceTensor NextOutput(int rows)
    {
        int index = 1 - _lastOutput;
        if (_output[index] is not { } buffer || buffer.Rows < rows)
        {
            _output[index]?.Dispose();
            _output[index] = buffer = _model.Backend.Allocate(DType.F32, Math.Max(rows, Math.Max(16, _model.Capacity)), _model.Config.HiddenSize);
        }
        _lastOutput = index;
        return buffer.SliceRows(0, rows);
    }

    /// <summary>Whether <paramref name="rows"/> are consecutive ascending indices.</summary>
    private static bool IsRun(int[] rows)
    {
        for (int i = 1; i < rows.Length; i++)
            if (rows[i] != rows[0] + i) return false;
        return rows[0] >= 0;
    }

    public void Dispose()
    {
        _concat?.Dispose();
        foreach (var t in _output) t?.Dispose();
        _rowsWorkspace?.Dispose();
        _draftHead?.Dispose();
    }
}
