using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>
/// One sequence on a <see cref="LongCatModel"/>: prefill token ids, decode one token at a time, read logits.
/// Disposing it returns its KV blocks. Not thread-safe (nor are the model's other sessions, which share its block manager);
/// for tests, benchmarks and single-stream use.
/// </summary>
internal sealed class TokenSession : IDisposable
{
    private readonly LongCatModel _model;
    private readonly KvCacheManager _blocks;
    private readonly BlockTable _table = new();
    private readonly List<int> _tokens = [];
    private bool _disposed;

    internal TokenSession(LongCatModel model, KvCacheManager blocks)
    {
        _model = model;
        _blocks = blocks;
    }

    /// <summary>Tokens processed so far.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The sequence's KV block ids in position order.</summary>
    public IReadOnlyList<int> Blocks => _table.Blocks;

    /// <summary>
    /// Appends <paramref name="tokens"/> in one forward. Returns logits [n, V] for every new position when
    /// <paramref name="allLogits"/>, else [V] for the last one.
    /// </summary>
    /// <exception cref="KvCacheExhaustedException">The cache cannot hold the new tokens; nothing changed.</exception>
    public float[] Prefill(ReadOnlySpan<int> tokens, bool allLogits = false, ForwardTrace? trace = null) =>
        Run(tokens, allLogits, returnHidden: false, trace).Logits.ToArray();

    /// <summary>Appends one token and returns the next-token logits [V].</summary>
    public float[] Decode(int token) => Prefill([token]);

    /// <summary>
    /// Appends <paramref name="tokens"/> in one forward and returns the model's result (logits rows and, with
    /// <paramref name="returnHidden"/>, every new position's final-normed hidden state), valid until the model's next forward.
    /// </summary>
    /// <exception cref="KvCacheExhaustedException">The cache cannot hold the new tokens; nothing changed.</exception>
    public ForwardResult Run(ReadOnlySpan<int> tokens, bool allLogits = false, bool returnHidden = false, ForwardTrace? trace = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int start = _tokens.Count, end = start + tokens.Length;
        if (!_blocks.TryReserve(_table, end))
            throw new KvCacheExhaustedException(_blocks.BlocksFor(end) - _table.Blocks.Count, _blocks.FreeBlocks);
        int h = _model.NgramHistoryLength;
        var history = _tokens.Skip(Math.Max(0, start - h)).ToArray();
        var batch = new ForwardBatch { Trace = trace, ReturnHidden = returnHidden };
        batch.Chunks.Add(new SequenceChunk(_table.Blocks, start, tokens.ToArray(), history, allLogits));
        ForwardResult result;
        try
        {
            result = _model.Forward(batch);
        }
        catch
        {
            _blocks.Truncate(_table, start);                // a failed forward leaves the session as it was
            throw;
        }
        _blocks.Commit(_table, end);
        _tokens.AddRange(tokens);
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _blocks.Free(_table);
    }
}
