namespace LongCat.Sdk.KvCache;

/// <summary>
/// Integer ids of fixed-size KV pages with reference counts and a free list; holds no tensors.
/// Allocate and release are O(1). Not thread-safe: owned by the engine loop.
/// </summary>
internal sealed class BlockPool
{
    private readonly int[] _refCounts;
    private readonly Stack<int> _free;

    /// <summary>Creates a pool of <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> tokens.</summary>
    public BlockPool(int blockCount, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        BlockCount = blockCount;
        BlockSize = blockSize;
        _refCounts = new int[blockCount];
        _free = new Stack<int>(Enumerable.Range(0, blockCount).Reverse());
    }

    /// <summary>Total blocks.</summary>
    public int BlockCount { get; }
    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }
    /// <summary>Blocks not held by any sequence.</summary>
    public int FreeCount => _free.Count;

    /// <summary>True when <paramref name="blocks"/> blocks can be allocated now.</summary>
    public bool CanAllocate(int blocks) => blocks <= _free.Count;

    /// <summary>Takes a free block (reference count 1).</summary>
    /// <exception cref="KvCacheExhaustedException">No block is free.</exception>
    public int Allocate()
    {
        if (_free.Count == 0) throw new KvCacheExhaustedException(1, 0);
        int id = _free.Pop();
        if (_refCounts[id] != 0) throw new InvalidOperationException($"KV block {id} is on the free list with {_refCounts[id]} reference(s).");
        _refCounts[id] = 1;
        return id;
    }

    /// <summary>Adds a reference to a held block (prefix sharing).</summary>
    public void Retain(int id)
    {
        if (_refCounts[id] <= 0) throw new InvalidOperationException($"KV block {id} is free and cannot be retained.");
        _refCounts[id]++;
    }

    /// <summary>Drops a reference; the block returns to the free list at zero.</summary>
    public void Release(int id)
    {
        if (_refCounts[id] <= 0) throw new InvalidOperationException($"KV block {id} is released more often than it was taken.");
        if (--_refCounts[id] == 0) _free.Push(id);
    }

    /// <summary>Current reference count of a block.</summary>
    public int RefCount(int id) => _refCounts[id];
}
