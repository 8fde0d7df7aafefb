namespace LongCat.Sdk.Structured;

/// <summary>
/// Per (grammar, vocabulary), for each automaton state: the tokens it accepts on its own (<see cref="TokenMaskCache.Entry"/>)
/// after which the distance to the end of its rule (<see cref="GrammarDistances"/>, callees' pending returns included) is
/// above the state's own, with that distance. Near a token budget these are the only accepted tokens that can leave a value
/// unable to end in time; every other accepted token keeps the distance. Computed on a state's first use near a budget by
/// one walk of the vocabulary trie, then shared. Thread-safe.
/// </summary>
internal sealed class TokenRises(CompiledGrammar grammar, TokenVocabulary vocabulary) : StateTable<TokenRises.Entry>(grammar, vocabulary)
{
    /// <summary>A state's rising tokens: <see cref="Tokens"/>[i] leaves the rule at distance <see cref="Distances"/>[i].</summary>
    internal sealed class Entry(int[] tokens, int[] distances)
    {
        public int[] Tokens { get; } = tokens;
        public int[] Distances { get; } = distances;
        /// <summary>The largest of <see cref="Distances"/> (−1: no token rises).</summary>
        public int Max { get; } = distances.Length == 0 ? -1 : distances.Max();
    }

    protected override Entry Compute(int state)
    {
        var sink = new Collect
        {
            Walker = Walker, Distances = Grammar.Distances, Stacks = Stacks, Own = Grammar.Distances[state], Rising = [], After = [],
        };
        Walk(state, ref sink);
        return new Entry([.. sink.Rising], [.. sink.After]);
    }

    // Accepted tokens only (alive: some thread took them within the rule); a thread's distance counts only its relative stack.
    private struct Collect : ITrieSink
    {
        public TrieWalker Walker;
        public GrammarDistances Distances;
        public GrammarStacks Stacks;
        public int Own;
        public List<int> Rising;
        public List<int> After;

        public readonly void Tokens(TokenTrie trie, int node, bool alive)
        {
            if (!alive) return;
            int best = GrammarDistances.Unreachable;
            foreach (var t in Walker.Reached) best = Math.Min(best, Distances.ToEnd(t, Stacks));
            if (best <= Own) return;
            for (int t = trie.TokenStart[node]; t < trie.TokenStart[node + 1]; t++)
            {
                Rising.Add(trie.TokenIds[t]);
                After.Add(best);
            }
        }
    }
}
