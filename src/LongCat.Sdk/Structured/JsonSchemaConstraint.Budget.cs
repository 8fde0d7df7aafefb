using System.Numerics.Tensors;

namespace LongCat.Sdk.Structured;

// Budget-aware completion. With R tokens left the value can still be completed while its distance to the end D (fewest bytes,
// GrammarDistances) is at most R: one token a byte. So a token is allowed only if D after it is at most Cap = R − 1. Held
// from the start, that completes every value in time where the vocabulary has a token per byte: with the end token when one
// is left, else as the last token (the request then ends at MaxTokens with a complete value). No token is kept back for the
// end token: a constraint that allows any text then changes nothing, not even the last token. A caller whose output must be
// followed by its end token (a tool call's closing tag) passes one token less. Three regimes, cheapest first:
//   far   (every thread's D plus the most a token can raise it is within Cap): the plain mask, nothing checked;
//   near  (some thread's D within Cap): per thread, its cached mask less its rising tokens (TokenRises) that land past Cap,
//         and its stack-dependent tokens walked exactly; a thread already past Cap adds nothing (another one keeps D);
//   tight (every thread past Cap: the slack is spent): the single-byte tokens along a shortest path (D drops by one).
// A regime that allows nothing (the budget was short from the start, a byte has no token) falls through to the plain mask.
internal sealed partial class JsonSchemaConstraint
{
    private int _budget = int.MaxValue;                       // tokens left, the end token included
    private int[] _toEnd = new int[8];                        // the live threads' distances, this step
    private uint[] _scratch = [];                             // one thread's mask in the near regime

    /// <summary>The fewest bytes that complete the value from here (0: it may end now), over every live parse.</summary>
    public int MinBytesToEnd
    {
        get
        {
            if (_ended) return 0;
            var distances = _cache.Grammar.Distances;
            int min = GrammarDistances.Unreachable;
            foreach (var t in _states[^1]) min = Math.Min(min, distances.ToEnd(t, _matcher.Stacks));
            return min;
        }
    }

    /// <summary>The fewest bytes that complete the value, one token each at worst (the tight regime spells them a byte a token).</summary>
    public override int MinTokensToComplete => Math.Min(MinBytesToEnd, GrammarDistances.Unreachable);

    /// <summary>Restricts the next masks to tokens after which the value can still end within <paramref name="remainingTokens"/>.</summary>
    public override void SetBudget(int remainingTokens) => _budget = remainingTokens;

    // True when it wrote the mask: the budget is near and some token fits it.
    private bool FillNearBudget(Span<uint> bitmask)
    {
        if (_budget == int.MaxValue) return false;
        var distances = _cache.Grammar.Distances;
        var threads = _states[^1];
        if (_toEnd.Length < threads.Length) _toEnd = new int[threads.Length * 2];
        int nearest = int.MaxValue, farthest = 0;
        for (int i = 0; i < threads.Length; i++)
        {
            int d = _toEnd[i] = distances.ToEnd(threads[i], _matcher.Stacks);
            nearest = Math.Min(nearest, d);
            farthest = Math.Max(farthest, d);
        }
        long cap = (long)_budget - 1;
        if (farthest + (long)distances.MaxRise * _cache.Vocabulary.Trie.MaxDepth <= cap) return false;
        return nearest <= cap && FillNear(bitmask, (int)cap) || FillTight(bitmask, (int)cap);
    }

    private bool FillNear(Span<uint> bitmask, int cap)
    {
        bitmask.Clear();
        var threads = _states[^1];
        var distances = _cache.Grammar.Distances;
        var sink = new WithinBudget { Mask = bitmask, Walker = _walker, Distances = distances, Stacks = _matcher.Stacks, Cap = cap };
        for (int i = 0; i < threads.Length; i++)
        {
            if (_toEnd[i] > cap) continue;
            var t = threads[i];
            var entry = _cache.Get(t.State);
            var rises = _cache.Rises.Get(t.State);
            int stack = _toEnd[i] - distances[t.State];                        // the callers' part of the distance
            if (rises.Max + stack <= cap) entry.OrInto(bitmask);
            else
            {
                if (_scratch.Length != bitmask.Length) _scratch = new uint[bitmask.Length];
                _scratch.AsSpan().Clear();
                entry.OrInto(_scratch);
                for (int k = 0; k < rises.Tokens.Length; k++)
                {
                    int id = rises.Tokens[k];
                    if (rises.Distances[k] + stack > cap && (uint)(id >> 5) < (uint)_scratch.Length) _scratch[id >> 5] &= ~(1u << (id & 31));
                }
                TensorPrimitives.BitwiseOr(bitmask, _scratch, bitmask);
            }
            if (entry.Undecided is not { } undecided) continue;
            int mark = _matcher.Stacks.Mark;
            _walker.Walk(undecided, _matcher, [t], relative: false, ref sink);
            _matcher.Stacks.Release(mark);
        }
        return Finish(bitmask);
    }

    // Each byte steps every thread; its token is allowed if some thread after it is within Cap (one byte nearer the end).
    private bool FillTight(Span<uint> bitmask, int cap)
    {
        bitmask.Clear();
        var threads = _states[^1];
        var distances = _cache.Grammar.Distances;
        var byteTokens = _cache.Vocabulary.ByteTokens;
        for (int b = 0; b < 256; b++)
        {
            int id = byteTokens[b];
            if (id < 0 || (uint)(id >> 5) >= (uint)bitmask.Length) continue;
            int mark = _matcher.Stacks.Mark;
            _step.Count = 0;
            _matcher.Step(threads, (byte)b, _step);
            int best = GrammarDistances.Unreachable;
            for (int j = 0; j < _step.Count; j++) best = Math.Min(best, distances.ToEnd(_step.Items[j], _matcher.Stacks));
            _matcher.Stacks.Release(mark);
            if (best <= cap) bitmask[id >> 5] |= 1u << (id & 31);
        }
        return Finish(bitmask);
    }

    // The end tokens where the value is complete; false when nothing at all is allowed.
    private bool Finish(Span<uint> bitmask)
    {
        bool end = CanEnd;
        if (!end && bitmask.IndexOfAnyExcept(0u) < 0) return false;
        SetEndTokens(bitmask, end);
        return true;
    }

    // Sets the tokens whose threads (the walker's, at the token's node) can finish within Cap bytes.
    private ref struct WithinBudget : ITrieSink
    {
        public Span<uint> Mask;
        public TrieWalker Walker;
        public GrammarDistances Distances;
        public GrammarStacks Stacks;
        public int Cap;

        public readonly void Tokens(TokenTrie trie, int node, bool alive)
        {
            int best = GrammarDistances.Unreachable;
            foreach (var t in Walker.Reached) best = Math.Min(best, Distances.ToEnd(t, Stacks));
            if (best <= Cap) new SetBits { Mask = Mask }.Tokens(trie, node, alive);
        }
    }
}
