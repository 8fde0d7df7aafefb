namespace LongCat.Sdk.KvCache;

/// <summary>
/// Who holds which KV page: the block pool, the prefix cache and every sequence's <see cref="BlockTable"/>. The only code that
/// reserves, commits, truncates, frees or evicts blocks (nano-vllm's block manager). The engine's <c>Scheduler</c> owns one;
/// the token-level <c>TokenSession</c>s of a model share another. Not thread-safe: one thread owns it.
/// </summary>
/// <remarks>Costs: reserve and free are O(blocks touched); eviction walks the prefix cache's LRU list from its cold end.</remarks>
internal sealed class KvCacheManager
{
    private readonly BlockPool _pool;
    private readonly PrefixCache? _prefix;

    /// <summary>A manager of <paramref name="blockCount"/> pages of <paramref name="blockSize"/> tokens.</summary>
    /// <param name="blockCount">Pages in the cache.</param>
    /// <param name="blockSize">Tokens per page.</param>
    /// <param name="prefixCaching">Keep full blocks of freed sequences for prompts that start with the same tokens.</param>
    public KvCacheManager(int blockCount, int blockSize, bool prefixCaching)
    {
        _pool = new BlockPool(blockCount, blockSize);
        if (prefixCaching) _prefix = new PrefixCache(_pool);
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize => _pool.BlockSize;

    /// <summary>Blocks in all.</summary>
    public int BlockCount => _pool.BlockCount;

    /// <summary>Blocks no sequence holds: free ones, and those only the prefix cache keeps (it gives them up on demand).</summary>
    public int FreeBlocks => _pool.FreeCount + (_prefix?.Evictable ?? 0);

    /// <summary>Prompt tokens served from the prefix cache so far.</summary>
    public long PrefixHitTokens => _prefix?.HitTokens ?? 0;

    /// <summary>Blocks that <paramref name="tokens"/> positions need.</summary>
    public int BlocksFor(int tokens) => (tokens + _pool.BlockSize - 1) / _pool.BlockSize;

    /// <summary>
    /// Starts an empty table with the cached blocks that prefix <paramref name="tokens"/> (at least the last token is left to
    /// compute, for its logits); returns the tokens covered.
    /// </summary>
    public int AdoptPrefix(BlockTable table, ReadOnlySpan<int> tokens)
    {
        if (_prefix is null || table.Blocks.Count > 0) return 0;
        var shared = new List<int>();
        int hit = _prefix.Match(tokens, tokens.Length - 1, shared);
        if (hit > 0) table.Adopt(shared, hit);
        return hit;
    }

    /// <summary>
    /// Grows <paramref name="table"/> to hold <paramref name="tokens"/> positions, evicting cold prefix-cache blocks when the pool
    /// runs short. All or nothing: false when the blocks are not there, and nothing changed.
    /// </summary>
    public bool TryReserve(BlockTable table, int tokens)
    {
        int needed = BlocksFor(tokens) - table.Blocks.Count;
        if (needed <= 0) return true;
        while (needed > _pool.FreeCount && _prefix is not null && _prefix.EvictOne()) { }
        if (needed > _pool.FreeCount) return false;
        table.Reserve(_pool, tokens);
        return true;
    }

    /// <summary>Records that the forward wrote positions up to <paramref name="tokens"/>.</summary>
    public void Commit(BlockTable table, int tokens)
    {
        if (tokens > table.Blocks.Count * _pool.BlockSize)
            throw new InvalidOperationException($"{tokens} positions committed but only {table.Blocks.Count} blocks of {_pool.BlockSize} reserved.");
        table.Commit(tokens);
    }

    /// <summary>Forgets positions from <paramref name="tokens"/> on and releases the blocks past them (speculative rollback).</summary>
    public void Truncate(BlockTable table, int tokens) => table.Truncate(_pool, tokens);

    /// <summary>Offers the full blocks of <paramref name="tokens"/> (a running sequence's prefix, already computed) to the prefix
    /// cache, which takes its own reference on each; the table keeps its blocks.</summary>
    public void Share(BlockTable table, ReadOnlySpan<int> tokens)
    {
        if (_prefix is not null) _prefix.Register(tokens, table.Blocks, Math.Min(table.TokenCount, tokens.Length));
    }

    /// <summary>
    /// Releases every block of <paramref name="table"/>; with <paramref name="tokens"/>, the full blocks of its first
    /// <paramref name="cachedTokens"/> positions are offered to the prefix cache first (they are keyed by those tokens).
    /// </summary>
    public void Free(BlockTable table, ReadOnlySpan<int> tokens = default, int cachedTokens = 0)
    {
        if (_prefix is not null && cachedTokens > 0) _prefix.Register(tokens, table.Blocks, Math.Min(cachedTokens, tokens.Length));
        table.Release(_pool);
    }
}
