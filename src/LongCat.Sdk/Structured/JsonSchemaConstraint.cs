using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Structured;

/// <summary>
/// Output that must be one value of a compiled grammar (a JSON schema, any JSON value, a regex or a choice among strings), then
/// one of the end tokens. Each step's mask ORs the cached per-state masks of the live threads (<see cref="TokenMaskCache"/>)
/// and walks only their few stack-dependent tokens against the real stack; an end token is allowed exactly where the value
/// may end. Once the value is complete only the end tokens are allowed (the value cannot grow, or may grow and end, as a
/// number can), so <see cref="IsComplete"/> stays false until an end token is accepted: the engine keeps consulting the mask.
/// </summary>
/// <remarks>
/// <para>Whitespace: none outside strings, except one optional space after each ':' and ',' of an object or array (compact
/// JSON, or json.dumps' default separators). A complete value ends the output: no trailing whitespace.</para>
/// <para>Never forces tokens (<see cref="ForcedTokens"/> is empty): a forced run of text has several tokenizations and the
/// model's own is the better one. A state from which no token of the vocabulary can continue gets an all-zero mask.</para>
/// <para>Rollback is exact: the thread set after every accepted token is kept, and the return stacks pushed since are dropped.</para>
/// <para>Budget (<see cref="SetBudget"/>, JsonSchemaConstraint.Budget.cs): with R tokens left, the end token included, a token
/// is allowed only if the value can still end after it, one token a byte: <see cref="MinBytesToEnd"/> after it at most R − 2.
/// Held from the start (R ≥ <see cref="MinBytesToEnd"/> + 1), every value ends in time wherever the vocabulary has a token
/// per byte: a string closes when the budget says so, a structure opens only if there is room to close it. Far from the
/// limit the mask is the plain one.</para>
/// </remarks>
internal sealed partial class JsonSchemaConstraint : TokenConstraint
{
    private readonly TokenMaskCache _cache;
    private readonly int[] _endTokens;
    private readonly GrammarMatcher _matcher;
    private readonly TrieWalker _walker = new();
    private readonly ThreadBuffer _step = new();
    private readonly List<GrammarThread[]> _states = [];     // [0] the start; one more per accepted token
    private readonly List<int> _marks = [];                  // the stacks' mark before each accepted token
    private bool _ended;                                      // an end token was accepted
    private int _after;                                       // tokens accepted after that

    /// <param name="cache">The grammar and vocabulary, with the masks computed so far.</param>
    /// <param name="endTokens">The tokens that end the output (EOS, end of turn): allowed exactly where the value is complete.</param>
    public JsonSchemaConstraint(TokenMaskCache cache, IEnumerable<int> endTokens)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(endTokens);
        _cache = cache;
        _endTokens = [.. endTokens.Distinct()];
        if (_endTokens.Length == 0) throw new ArgumentException("A grammar constraint needs at least one end token.", nameof(endTokens));
        _matcher = new GrammarMatcher(cache.Grammar, new GrammarStacks());
        _states.Add([new GrammarThread(cache.Grammar.Start, 0)]);
    }

    /// <summary>True once an end token was accepted: nothing is restricted after it.</summary>
    public override bool IsComplete => _ended;

    /// <summary>The value generated so far is complete: an end token may come next.</summary>
    public bool CanEnd
    {
        get
        {
            foreach (var t in _states[^1])
                if (_matcher.CanFinish(t)) return true;
            return false;
        }
    }

    public override IReadOnlyList<int> ForcedTokens() => [];

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        if (_ended) return false;
        if (FillNearBudget(bitmask)) return true;
        bitmask.Clear();
        var threads = _states[^1];
        for (int i = 0; i < threads.Length; i++)
            if (!SeenState(threads, i)) _cache.Get(threads[i].State).OrInto(bitmask);
        var sink = new SetBits { Mask = bitmask };
        foreach (var t in threads)
        {
            if (_cache.Get(t.State).Undecided is not { } undecided) continue;
            int mark = _matcher.Stacks.Mark;
            _walker.Walk(undecided, _matcher, [t], relative: false, ref sink);
            _matcher.Stacks.Release(mark);
        }
        SetEndTokens(bitmask, CanEnd);
        return true;
    }

    private void SetEndTokens(Span<uint> bitmask, bool end)
    {
        foreach (int e in _endTokens)
        {
            if ((uint)(e >> 5) >= (uint)bitmask.Length) continue;
            if (end) bitmask[e >> 5] |= 1u << (e & 31);
            else bitmask[e >> 5] &= ~(1u << (e & 31));
        }
    }

    public override void Accept(int token)
    {
        if (_ended)
        {
            _after++;
            return;
        }
        if (Array.IndexOf(_endTokens, token) >= 0)
        {
            if (!CanEnd) throw new InvalidOperationException($"End token {token} before the constrained value is complete.");
            _ended = true;
            return;
        }
        if (!_cache.Vocabulary.IsText(token)) throw new InvalidOperationException($"Token {token} is not text: it is never allowed inside constrained output.");
        int mark = _matcher.Stacks.Mark;
        int start = _matcher.StepAll(_states[^1], _cache.Vocabulary.Bytes(token), _step);
        if (start == _step.Count)
        {
            _matcher.Stacks.Release(mark);
            throw new InvalidOperationException($"Token {token} is not allowed by the constraint after {_states.Count - 1} token(s).");
        }
        _states.Add(_step.Slice(start, _step.Count).ToArray());
        _marks.Add(mark);
    }

    public override void Rollback(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        int fromAfter = Math.Min(tokens, _after);
        _after -= fromAfter;
        tokens -= fromAfter;
        if (tokens > 0 && _ended)
        {
            _ended = false;
            tokens--;
        }
        if (tokens > _marks.Count) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "More tokens rolled back than accepted.");
        for (; tokens > 0; tokens--)
        {
            _states.RemoveAt(_states.Count - 1);
            _matcher.Stacks.Release(_marks[^1]);
            _marks.RemoveAt(_marks.Count - 1);
        }
    }

    /// <summary>Whether <paramref name="token"/> may come next, by stepping its bytes (the slow twin of the mask, for tests).</summary>
    internal bool Allows(int token)
    {
        if (_ended) return true;
        if (Array.IndexOf(_endTokens, token) >= 0) return CanEnd;
        if (!_cache.Vocabulary.IsText(token)) return false;
        int mark = _matcher.Stacks.Mark;
        int start = _matcher.StepAll(_states[^1], _cache.Vocabulary.Bytes(token), _step);
        _matcher.Stacks.Release(mark);
        return start < _step.Count;
    }

    private static bool SeenState(GrammarThread[] threads, int i)
    {
        for (int j = 0; j < i; j++)
            if (threads[j].State == threads[i].State) return true;
        return false;
    }

    private ref struct SetBits : ITrieSink
    {
        public Span<uint> Mask;

        public readonly void Tokens(TokenTrie trie, int node, bool alive)
        {
            for (int t = trie.TokenStart[node]; t < trie.TokenStart[node + 1]; t++)
            {
                int id = trie.TokenIds[t];
                if ((uint)(id >> 5) < (uint)Mask.Length) Mask[id >> 5] |= 1u << (id & 31);
            }
        }
    }
}
