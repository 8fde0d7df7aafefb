namespace LongCat.Sdk.Serving;

/// <summary>
/// What a sequence may generate next: forced tokens, an allowed-token mask, or anything (a forced tool-call opening, a trie of
/// tool names; JSON schemas later). The engine loop asks it before every token it chooses for the sequence, speculative
/// verification included, and tells it every token that was generated. Its state follows the accepted tokens and can be
/// rolled back (a drafter tries tokens ahead). One instance per request; used only by the engine loop.
/// </summary>
internal abstract class TokenConstraint
{
    /// <summary>True once it restricts nothing more: every token is allowed from here on.</summary>
    public abstract bool IsComplete { get; }

    /// <summary>
    /// Tokens that must come next whatever the model would say (a jump-forward run), appended without a forward step; empty when
    /// the model chooses.
    /// </summary>
    public abstract IReadOnlyList<int> ForcedTokens();

    /// <summary>
    /// Writes the tokens allowed next as a bitmask over the vocabulary (bit v % 32 of word v / 32) and returns true; returns false
    /// (leaving the mask as it was) when every token is allowed.
    /// </summary>
    public abstract bool FillNextTokenBitmask(Span<uint> bitmask);

    /// <summary>
    /// The tokens the sequence may still generate, the end token included; the engine calls it before each mask. A constraint
    /// that can plan with it (end a JSON value before the budget runs out) restricts its next masks; by default it is ignored.
    /// </summary>
    public virtual void SetBudget(int remainingTokens) { }

    /// <summary>
    /// The most tokens the constraint may still need to be complete by the shortest way (0: it may end now, or it asks for
    /// nothing): a constraint before it in the output (a thinking model's reasoning) ends in time to leave them.
    /// </summary>
    public virtual int MinTokensToComplete => 0;

    /// <summary>Advances past <paramref name="token"/>.</summary>
    /// <exception cref="InvalidOperationException">The token is not allowed here.</exception>
    public abstract void Accept(int token);

    /// <summary>Undoes the last <paramref name="tokens"/> accepted tokens.</summary>
    public abstract void Rollback(int tokens);

    /// <summary>Sets every logit whose bit is clear in <paramref name="bitmask"/> to −∞.</summary>
    public static void Mask(Span<float> logits, ReadOnlySpan<uint> bitmask)
    {
        for (int w = 0, v = 0; v < logits.Length; w++, v += 32)
        {
            uint bits = bitmask[w];
            if (bits == uint.MaxValue) continue;
            int end = Math.Min(32, logits.Length - v);
            if (bits == 0)
            {
                logits.Slice(v, end).Fill(float.NegativeInfinity);     // most words of a grammar's mask: a vector fill
                continue;
            }
            for (int j = 0; j < end; j++)
                if ((bits & (1u << j)) == 0) logits[v + j] = float.NegativeInfinity;
        }
    }

    /// <summary>Words of a bitmask over <paramref name="vocab"/> tokens.</summary>
    public static int BitmaskWords(int vocab) => (vocab + 31) / 32;
}

/// <summary>
/// The output must start with one of several token sequences (the openings of the offered tools' calls): a trie walked token by
/// token. Where every remaining alternative continues with the same token it is forced; where they part, the model chooses
/// among exactly the tokens that continue one (the rest masked). Complete once one alternative has been generated whole.
/// </summary>
internal sealed class TokenTrieConstraint : TokenConstraint
{
    private readonly int[][] _alternatives;
    private readonly List<int> _accepted = [];    // tokens accepted while constrained
    private int _after;                           // tokens accepted after completion

    /// <param name="alternatives">Non-empty token sequences; none may be a proper prefix of another.</param>
    /// <exception cref="ArgumentException">No alternatives, an empty one, or one that prefixes another.</exception>
    public TokenTrieConstraint(IReadOnlyList<int[]> alternatives)
    {
        ArgumentNullException.ThrowIfNull(alternatives);
        if (alternatives.Count == 0) throw new ArgumentException("A trie constraint needs at least one alternative.", nameof(alternatives));
        _alternatives = [.. alternatives];
        foreach (var a in _alternatives)
        {
            if (a is not { Length: > 0 }) throw new ArgumentException("A trie constraint's alternatives must not be empty.", nameof(alternatives));
            if (_alternatives.Any(b => b != a && b.Length > a.Length && b.AsSpan().StartsWith(a) ))
                throw new ArgumentException("No alternative of a trie constraint may be a prefix of another.", nameof(alternatives));
        }
    }

    public override bool IsComplete => _alternatives.Any(a => a.AsSpan().SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_accepted)));

    public override IReadOnlyList<int> ForcedTokens()
    {
        var forced = new List<int>();
        if (IsComplete) return forced;
        int depth = _accepted.Count;
        var alive = Alive().ToList();
        while (alive.Count > 0 && alive.All(a => a.Length > depth && a[depth] == alive[0][depth]))
        {
            forced.Add(alive[0][depth]);
            depth++;
            if (alive.Any(a => a.Length == depth)) break;      // one alternative ends here: the rest is the model's (or nothing)
        }
        return forced;
    }

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        if (IsComplete) return false;
        bitmask.Clear();
        int depth = _accepted.Count;
        foreach (var a in Alive())
        {
            int token = a[depth];
            if ((uint)(token / 32) >= (uint)bitmask.Length)
                throw new InvalidOperationException($"Constraint token {token} lies outside a bitmask of {bitmask.Length * 32} tokens.");
            bitmask[token / 32] |= 1u << (token % 32);
        }
        return true;
    }

    public override void Accept(int token)
    {
        if (IsComplete || _after > 0)
        {
            _after++;
            return;
        }
        int depth = _accepted.Count;
        if (!Alive().Any(a => a[depth] == token))
            throw new InvalidOperationException($"Token {token} does not continue any alternative of the constraint at depth {depth}.");
        _accepted.Add(token);
    }

    public override void Rollback(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        int fromAfter = Math.Min(tokens, _after);
        _after -= fromAfter;
        tokens -= fromAfter;
        if (tokens > _accepted.Count) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "More tokens rolled back than accepted.");
        _accepted.RemoveRange(_accepted.Count - tokens, tokens);
    }

    // Alternatives that continue past the accepted tokens (a complete one is excluded: the caller checks IsComplete first).
    private IEnumerable<int[]> Alive()
    {
        int depth = _accepted.Count;
        return _alternatives.Where(a => a.Length > depth && a.AsSpan(0, depth).SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_accepted)));
    }
}
