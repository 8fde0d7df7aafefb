using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>
/// One sequence on a <see cref="LongCatModel"/>: prefill token ids, decode one token at a time, read logits.
/// Disposing it returns its KV blocks to the pool. Not thread-safe; for tests, benchmarks and single-stream use.
/// </summary>
public sealed class TokenSession : IDisposable
{
    private readonly LongCatModel _model;
    private readonly BlockTable _table = new();
    private readonly List<int> _tokens = [];
    private bool _disposed;

    internal TokenSession(LongCatModel model) => _model = model;

    /// <summary>Tokens processed so far.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The sequence's KV blocks.</summary>
    public BlockTable BlockTable => _table;

    /// <summary>
    /// Appends <paramref name="tokens"/> in one forward. Returns logits [n, V] for every new position when
    /// <paramref name="allLogits"/>, else [V] for the last one.
    /// </summary>
    public float[] Prefill(ReadOnlySpan<int> tokens, bool allLogits = false, ForwardTrace? trace = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int h = _model.NgramHistoryLength;
        var history = _tokens.Skip(Math.Max(0, _tokens.Count - h)).ToArray();
        var batch = new ForwardBatch { Trace = trace };
        batch.Chunks.Add(new SequenceChunk(_table, _tokens.Count, tokens.ToArray(), history, allLogits));
        var logits = _model.Forward(batch);
        foreach (var t in tokens) _tokens.Add(t);
        return logits;
    }

    /// <summary>Appends one token and returns the next-token logits [V].</summary>
    public float[] Decode(int token) => Prefill([token]);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _table.Release(_model.KvCache.Pool);
    }
}
