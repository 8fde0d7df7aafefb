namespace LongCat.Sdk.Structured;

/// <summary>What a walk reports for each token it reaches.</summary>
internal interface ITrieSink
{
    /// <summary>Trie node <paramref name="node"/> spells tokens; <paramref name="alive"/>: some thread took all their bytes
    /// (else they are only possible past the bottom of the stack: undecided).</summary>
    void Tokens(TokenTrie trie, int node, bool alive);
}

/// <summary>
/// Walks a <see cref="TokenTrie"/> in preorder with a set of grammar threads, one level of threads per depth, skipping the
/// subtree of every byte no thread takes. Cost: the trie nodes visited, each a byte step of the live threads. Owns reusable
/// scratch: one walker per thread of use.
/// </summary>
internal sealed class TrieWalker
{
    private readonly ThreadBuffer _threads = new();
    private int[] _levelStart = new int[16];
    private int[] _levelEnd = new int[16];
    private bool[] _undecided = new bool[16];
    private int _reached;

    /// <summary>While a sink is told of a node: the threads after its bytes (the walk's scratch: read, never keep).</summary>
    public ReadOnlySpan<GrammarThread> Reached => _threads.Slice(_reached, _threads.Count);

    /// <param name="trie">The tokens to try.</param>
    /// <param name="matcher">Steps the threads (its stacks get the pushes: release them after).</param>
    /// <param name="start">The threads before the tokens.</param>
    /// <param name="relative">The threads' stacks are relative to an unknown context: a token that needs to return past
    /// their bottom is reported undecided rather than rejected.</param>
    /// <param name="sink">Told every token reached.</param>
    public void Walk<TSink>(TokenTrie trie, GrammarMatcher matcher, scoped ReadOnlySpan<GrammarThread> start, bool relative, ref TSink sink)
        where TSink : ITrieSink, allows ref struct
    {
        if (_levelStart.Length <= trie.MaxDepth)
        {
            Array.Resize(ref _levelStart, trie.MaxDepth + 1);
            Array.Resize(ref _levelEnd, trie.MaxDepth + 1);
            Array.Resize(ref _undecided, trie.MaxDepth + 1);
        }
        _threads.Count = 0;
        foreach (var t in start) _threads.AddDistinct(t, 0);
        var levelStart = _levelStart;
        var levelEnd = _levelEnd;
        var undecidedAt = _undecided;
        levelStart[0] = 0;
        levelEnd[0] = _threads.Count;
        undecidedAt[0] = false;
        var bytes = trie.Byte;
        var depths = trie.Depth;
        var ends = trie.End;
        var tokenStart = trie.TokenStart;
        var g = matcher.Grammar;
        var next = g.Next;
        var classOf = g.ClassOf;
        var plain = g.Plain;
        int classes = g.ClassCount;
        for (int i = 0; i < bytes.Length;)
        {
            int d = depths[i];
            int from = levelStart[d - 1], fromEnd = levelEnd[d - 1];
            _threads.Count = fromEnd;                        // drops the deeper levels of the previous branch
            bool past = false;
            var items = _threads.Items;
            if (fromEnd - from == 1 && plain[items[from].State])
            {
                // One thread in a state that neither calls nor returns (string bodies, literals): one table lookup.
                var t = items[from];
                int n = next[t.State * classes + classOf[bytes[i]]];
                if (n >= 0)
                {
                    if (fromEnd == items.Length) Array.Resize(ref _threads.Items, fromEnd * 2);
                    _threads.Items[fromEnd] = new GrammarThread(n, t.Stack);
                    _threads.Count = fromEnd + 1;
                }
            }
            else past = matcher.Step(_threads.Slice(from, fromEnd), bytes[i], _threads);
            levelStart[d] = fromEnd;
            levelEnd[d] = _threads.Count;
            bool alive = _threads.Count > fromEnd;
            bool undecided = relative && (past || undecidedAt[d - 1]);
            if (!alive && !undecided)
            {
                i = ends[i];
                continue;
            }
            undecidedAt[d] = undecided;
            if (tokenStart[i + 1] > tokenStart[i])
            {
                _reached = fromEnd;
                sink.Tokens(trie, i, alive);
            }
            i++;
        }
    }
}
