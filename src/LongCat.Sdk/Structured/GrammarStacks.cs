namespace LongCat.Sdk.Structured;

/// <summary>Where one parse of the output stands: a state of <see cref="CompiledGrammar"/> and its return stack (0: empty).</summary>
internal readonly record struct GrammarThread(int State, int Stack);

/// <summary>
/// Return stacks, hash-consed: a stack is an id naming (parent stack, return state), so equal stacks have equal ids and a set of
/// threads dedupes by value. Entries are only appended; <see cref="Release"/> drops those made after a mark (a mask's trial
/// steps, a rolled-back token), which nothing still refers to.
/// </summary>
internal sealed class GrammarStacks
{
    private int[] _parent = new int[64];
    private int[] _return = new int[64];
    private readonly Dictionary<long, int> _ids = [];
    private int _count = 1;                                  // id 0 is the empty stack

    public int Parent(int stack) => _parent[stack];
    public int Return(int stack) => _return[stack];

    /// <summary>The stack <paramref name="parent"/> with <paramref name="returnState"/> pushed.</summary>
    public int Push(int parent, int returnState)
    {
        long key = ((long)parent << 32) | (uint)returnState;
        if (_ids.TryGetValue(key, out int id)) return id;
        if (_count == _parent.Length)
        {
            Array.Resize(ref _parent, _count * 2);
            Array.Resize(ref _return, _count * 2);
        }
        _parent[_count] = parent;
        _return[_count] = returnState;
        _ids[key] = _count;
        return _count++;
    }

    /// <summary>A mark to <see cref="Release"/> to.</summary>
    public int Mark => _count;

    /// <summary>Drops every stack pushed since <paramref name="mark"/>.</summary>
    public void Release(int mark)
    {
        for (int id = _count - 1; id >= mark; id--) _ids.Remove(((long)_parent[id] << 32) | (uint)_return[id]);
        _count = Math.Min(_count, mark);
    }
}

/// <summary>A growable run of threads; sets live in slices of it (the levels of a trie walk).</summary>
internal sealed class ThreadBuffer
{
    public GrammarThread[] Items = new GrammarThread[64];
    public int Count;

    /// <summary>Appends <paramref name="t"/> unless the slice from <paramref name="start"/> holds it already.</summary>
    public void AddDistinct(GrammarThread t, int start)
    {
        for (int i = start; i < Count; i++)
            if (Items[i] == t) return;
        if (Count == Items.Length) Array.Resize(ref Items, Count * 2);
        Items[Count++] = t;
    }

    public ReadOnlySpan<GrammarThread> Slice(int start, int end) => Items.AsSpan(start, end - start);
}
