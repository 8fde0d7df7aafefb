using System.Collections.Concurrent;

namespace LongCat.Sdk.Text;

/// <summary>
/// A bounded, thread-safe cache of pre-token text → token ids, approximately least-recently-used with O(1) work per access:
/// entries go into a "hot" table; when it holds <see cref="Capacity"/> entries it becomes the "cold" table and the previous
/// cold one is dropped; a hit in the cold table is copied back into the hot one. So at most 2 × Capacity entries are held,
/// and an entry used at least once per Capacity insertions is never evicted. Lookups by span allocate nothing.
/// </summary>
internal sealed class BpeCache
{
    private ConcurrentDictionary<string, int[]> _hot = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, int[]> _cold = new(StringComparer.Ordinal);
    private int _hotCount;
    private readonly Lock _rotate = new();

    public BpeCache(int capacity) => Capacity = capacity;

    /// <summary>Entries per generation.</summary>
    public int Capacity { get; }

    public bool TryGet(ReadOnlySpan<char> key, out int[] ids)
    {
        var hot = Volatile.Read(ref _hot);
        if (hot.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out ids!)) return true;
        var cold = Volatile.Read(ref _cold);
        if (!cold.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out ids!)) return false;
        Add(key.ToString(), ids);
        return true;
    }

    public void Add(string key, int[] ids)
    {
        var hot = Volatile.Read(ref _hot);
        if (!hot.TryAdd(key, ids)) return;
        if (Interlocked.Increment(ref _hotCount) < Capacity) return;
        lock (_rotate)
        {
            if (!ReferenceEquals(hot, _hot)) return;              // another thread rotated already
            Volatile.Write(ref _cold, hot);
            Volatile.Write(ref _hot, new ConcurrentDictionary<string, int[]>(StringComparer.Ordinal));
            Volatile.Write(ref _hotCount, 0);
        }
    }
}
