namespace LongCat.Sdk.KvCache;

/// <summary>
/// The KV blocks of one sequence, in position order: position p lives in block Blocks[p / BlockSize] at row p % BlockSize.
/// Only a <see cref="KvCacheManager"/> changes it; everyone else reads it.
/// </summary>
internal sealed class BlockTable
{
    private readonly List<int> _blocks = [];

    /// <summary>Block ids in order.</summary>
    public IReadOnlyList<int> Blocks => _blocks;

    /// <summary>Positions whose latents are in the cache.</summary>
    public int TokenCount { get; private set; }

    /// <summary>Allocates blocks so that <paramref name="tokens"/> positions fit; all-or-nothing.</summary>
    /// <exception cref="KvCacheExhaustedException">The pool has too few free blocks; nothing is allocated.</exception>
    public void Reserve(BlockPool pool, int tokens)
    {
        int needed = (tokens + pool.BlockSize - 1) / pool.BlockSize - _blocks.Count;
        if (needed <= 0) return;
        if (!pool.CanAllocate(needed)) throw new KvCacheExhaustedException(needed, pool.FreeCount);
        for (int i = 0; i < needed; i++) _blocks.Add(pool.Allocate());
    }

    /// <summary>Records that positions up to <paramref name="tokens"/> are now cached.</summary>
    public void Commit(int tokens)
    {
        TokenCount = tokens;
    }

    /// <summary>Starts the table with shared blocks already holding <paramref name="tokens"/> positions (a prefix-cache hit).</summary>
    public void Adopt(IReadOnlyList<int> blocks, int tokens)
    {
        if (_blocks.Count != 0) throw new InvalidOperationException("Only an empty table can adopt cached blocks.");
        _blocks.AddRange(blocks);
        TokenCount = tokens;
    }

    /// <summary>Cache row of a position.</summary>
    public int Slot(int position, int blockSize) => Slot(_blocks, position, blockSize);

    /// <summary>Cache row of a position in a sequence whose blocks are <paramref name="blocks"/>.</summary>
    public static int Slot(IReadOnlyList<int> blocks, int position, int blockSize) => blocks[position / blockSize] * blockSize + position % blockSize;

    /// <summary>Forgets positions from <paramref name="tokens"/> on, releasing blocks no longer needed (speculative rollback).</summary>
    public void Truncate(BlockPool pool, int tokens)
    {
        int keep = (tokens + pool.BlockSize - 1) / pool.BlockSize;
        for (int i = _blocks.Count - 1; i >= keep; i--)
        {
            pool.Release(_blocks[i]);
            _blocks.RemoveAt(i);
        }
        TokenCount = Math.Min(TokenCount, tokens);
    }

    /// <summary>Releases every block.</summary>
    public void Release(BlockPool pool) => Truncate(pool, 0);
}
