namespace LongCat.Sdk.KvCache;

/// <summary>
/// Full KV blocks of prompts (offered when their prefill completes) and of finished sequences, keyed by the exact token prefix
/// they hold, so that a later prompt sharing that prefix (a system prompt, the earlier turns of a chat, the other paths of
/// Heavy Thinking) skips recomputing it. The cache holds one reference on each block it keeps;
/// blocks no sequence uses are evicted least-recently-used first when the pool runs short.
/// </summary>
/// <remarks>
/// Keys chain a 64-bit hash over the blocks' tokens, and every hit is confirmed against the stored tokens, so a hash collision can
/// never return wrong latents. A block's latents depend only on the tokens up to its end, which is what makes sharing exact.
/// Owned by the engine loop (not thread-safe).
/// </remarks>
internal sealed class PrefixCache(BlockPool pool)
{
    private readonly Dictionary<ulong, Entry> _byKey = [];
    private readonly LinkedList<Entry> _lru = new();                // front: most recently used

    private sealed class Entry(ulong key, int block, int[] prefix)
    {
        public ulong Key { get; } = key;
        public int Block { get; } = block;
        public int[] Prefix { get; } = prefix;                      // every token up to the end of this block
        public LinkedListNode<Entry>? Node { get; set; }
    }

    /// <summary>Blocks held by the cache.</summary>
    public int Count => _byKey.Count;

    /// <summary>Tokens served from the cache so far.</summary>
    public long HitTokens { get; private set; }

    /// <summary>
    /// Takes a reference on the longest run of cached blocks that prefix <paramref name="tokens"/>, at most
    /// <paramref name="maxTokens"/> tokens' worth, appends them to <paramref name="blocks"/> and returns the number of tokens covered.
    /// </summary>
    public int Match(ReadOnlySpan<int> tokens, int maxTokens, List<int> blocks)
    {
        int bs = pool.BlockSize, matched = 0;
        ulong key = Seed;
        while (matched + bs <= Math.Min(maxTokens, tokens.Length))
        {
            key = Chain(key, tokens.Slice(matched, bs));
            if (!_byKey.TryGetValue(key, out var e) || !tokens[..(matched + bs)].SequenceEqual(e.Prefix)) break;
            pool.Retain(e.Block);
            blocks.Add(e.Block);
            Touch(e);
            matched += bs;
        }
        HitTokens += matched;
        return matched;
    }

    /// <summary>Registers the full blocks of a sequence's first <paramref name="cachedTokens"/> tokens (already in the cache).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cachedTokens"/> exceeds the tokens given.</exception>
    public void Register(ReadOnlySpan<int> tokens, IReadOnlyList<int> blocks, int cachedTokens)
    {
        if (cachedTokens > tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(cachedTokens), cachedTokens, $"Only {tokens.Length} tokens were given: a block is keyed by every token it holds.");
        int bs = pool.BlockSize;
        ulong key = Seed;
        for (int i = 0; (i + 1) * bs <= cachedTokens && i < blocks.Count; i++)
        {
            key = Chain(key, tokens.Slice(i * bs, bs));
            if (_byKey.TryGetValue(key, out var existing))
            {
                Touch(existing);
                continue;
            }
            pool.Retain(blocks[i]);
            var e = new Entry(key, blocks[i], tokens[..((i + 1) * bs)].ToArray());
            _byKey[key] = e;
            e.Node = _lru.AddFirst(e);
        }
    }

    /// <summary>Frees the least recently used block that no sequence holds; false when there is none.</summary>
    public bool EvictOne()
    {
        for (var node = _lru.Last; node is not null; node = node.Previous)
        {
            var e = node.Value;
            if (pool.RefCount(e.Block) != 1) continue;              // a running sequence still uses it
            _lru.Remove(node);
            _byKey.Remove(e.Key);
            pool.Release(e.Block);
            return true;
        }
        return false;
    }

    /// <summary>Blocks that <see cref="EvictOne"/> could free now.</summary>
    public int Evictable => _lru.Count(e => pool.RefCount(e.Block) == 1);

    /// <summary>Drops every entry (their blocks return to the pool once no sequence holds them).</summary>
    public void Clear()
    {
        foreach (var e in _lru) pool.Release(e.Block);
        _lru.Clear();
        _byKey.Clear();
    }

    private void Touch(Entry e)
    {
        _lru.Remove(e.Node!);
        e.Node = _lru.AddFirst(e);
    }

    private const ulong Seed = 0x9E3779B97F4A7C15;

    private static ulong Chain(ulong key, ReadOnlySpan<int> block)
    {
        ulong h = key;
        foreach (int t in block)
        {
            h ^= (uint)t;
            h *= 0xBF58476D1CE4E5B9;
            h ^= h >> 31;
        }
        return h;
    }
}
