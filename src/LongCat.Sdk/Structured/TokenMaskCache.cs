using System.Numerics.Tensors;

namespace LongCat.Sdk.Structured;

/// <summary>
/// xgrammar's split, per (grammar, vocabulary): for each automaton state, the tokens it accepts whatever the stack holds, and
/// the few that leave the state's rule (their fate depends on the caller: checked per step against the real stack). Computed
/// on a state's first use by one walk of the whole vocabulary trie, then shared by every constraint on this grammar.
/// Thread-safe.
/// </summary>
internal sealed class TokenMaskCache(CompiledGrammar grammar, TokenVocabulary vocabulary) : StateTable<TokenMaskCache.Entry>(grammar, vocabulary)
{
    /// <summary>Per state, the accepted tokens that raise the distance to the end (budget-aware masks): made on first need.</summary>
    public TokenRises Rises =>
        Volatile.Read(ref _rises) ?? Interlocked.CompareExchange(ref _rises, new TokenRises(Grammar, Vocabulary), null) ?? _rises;
    private TokenRises? _rises;

    /// <summary>The tokens a state accepts on its own, and those that depend on the stack.</summary>
    internal sealed class Entry(uint[]? dense, int[] sparse, TokenTrie? undecided)
    {
        /// <summary>Accepted tokens as a bitmask (when many), or null.</summary>
        public uint[]? Dense { get; } = dense;
        /// <summary>Accepted tokens as ids (when few; empty with <see cref="Dense"/>).</summary>
        public int[] Sparse { get; } = sparse;
        /// <summary>Tokens that leave the rule: allowed or not by the stack. Null when none.</summary>
        public TokenTrie? Undecided { get; } = undecided;

        /// <summary>Sets the bits of the accepted tokens in <paramref name="mask"/>.</summary>
        public void OrInto(Span<uint> mask)
        {
            if (Dense is { } dense)
            {
                int n = Math.Min(dense.Length, mask.Length);
                TensorPrimitives.BitwiseOr(mask[..n], dense.AsSpan(0, n), mask[..n]);
                return;
            }
            foreach (int id in Sparse)
                if ((uint)(id >> 5) < (uint)mask.Length) mask[id >> 5] |= 1u << (id & 31);
        }
    }

    protected override Entry Compute(int state)
    {
        var sink = new Collect { Accepted = [], Undecided = [] };
        Walk(state, ref sink);
        var undecided = sink.Undecided.Count == 0 ? null : TokenTrie.BuildSorted(Vocabulary, sink.Undecided);
        int words = (Vocabulary.Size + 31) / 32;
        if (sink.Accepted.Count <= words) return new Entry(null, [.. sink.Accepted], undecided);
        var dense = new uint[words];
        foreach (int id in sink.Accepted) dense[id >> 5] |= 1u << (id & 31);
        return new Entry(dense, [], undecided);
    }

    private struct Collect : ITrieSink
    {
        public List<int> Accepted;
        public List<int> Undecided;

        public readonly void Tokens(TokenTrie trie, int node, bool alive)
        {
            var target = alive ? Accepted : Undecided;
            for (int t = trie.TokenStart[node]; t < trie.TokenStart[node + 1]; t++) target.Add(trie.TokenIds[t]);
        }
    }
}
