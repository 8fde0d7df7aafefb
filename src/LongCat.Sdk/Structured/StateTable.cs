namespace LongCat.Sdk.Structured;

/// <summary>
/// Something known per automaton state of a (grammar, vocabulary) pair, computed on the state's first use by one walk of the
/// vocabulary trie from that state alone (relative stacks, released after), then shared. Thread-safe.
/// </summary>
internal abstract class StateTable<TEntry> where TEntry : class
{
    private readonly TEntry?[] _entries;
    private readonly GrammarMatcher _matcher;                // relative stacks of the walks, released after each
    private readonly TrieWalker _walker = new();
    private readonly Lock _lock = new();

    protected StateTable(CompiledGrammar grammar, TokenVocabulary vocabulary)
    {
        Grammar = grammar;
        Vocabulary = vocabulary;
        _entries = new TEntry?[grammar.StateCount];
        _matcher = new GrammarMatcher(grammar, new GrammarStacks());
    }

    public CompiledGrammar Grammar { get; }
    public TokenVocabulary Vocabulary { get; }

    /// <summary>States whose entry has been computed (for tests and statistics).</summary>
    public int CachedStates => _entries.Count(e => e is not null);

    /// <summary>The entry of <paramref name="state"/>, computed now if it is the first ask.</summary>
    public TEntry Get(int state)
    {
        var entry = Volatile.Read(ref _entries[state]);
        if (entry is not null) return entry;
        lock (_lock)
        {
            return _entries[state] ??= Compute(state);
        }
    }

    /// <summary>Computes a state's entry (under the table's lock): typically one <see cref="Walk"/>.</summary>
    protected abstract TEntry Compute(int state);

    /// <summary>The walker (its <see cref="TrieWalker.Reached"/> threads) and stacks a sink may read during <see cref="Walk"/>.</summary>
    protected TrieWalker Walker => _walker;
    protected GrammarStacks Stacks => _matcher.Stacks;

    /// <summary>Walks the whole vocabulary trie from <paramref name="state"/> alone, reporting to <paramref name="sink"/>.</summary>
    protected void Walk<TSink>(int state, ref TSink sink) where TSink : ITrieSink, allows ref struct
    {
        int mark = _matcher.Stacks.Mark;
        _walker.Walk(Vocabulary.Trie, _matcher, [new GrammarThread(state, 0)], relative: true, ref sink);
        _matcher.Stacks.Release(mark);
    }
}
