using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Picks each step's work (continuous batching): every running sequence's pending token first, then prefill chunks of waiting
/// sequences within the token budget. KV blocks are reserved here, before the forward; when a running sequence needs a block and
/// none is free, the most recently admitted one is preempted (its blocks freed, recomputed later from its tokens).
/// </summary>
internal sealed class Scheduler(BlockPool pool, int maxBatchTokens, int maxSequences, PrefixCache? prefixCache)
{
    private readonly List<Sequence> _running = [];
    private readonly LinkedList<Sequence> _waiting = new();

    public IReadOnlyList<Sequence> Running => _running;
    public int WaitingCount => _waiting.Count;
    public bool Idle => _running.Count == 0 && _waiting.Count == 0;

    public void Add(Sequence s) => _waiting.AddLast(s);

    public IEnumerable<Sequence> All => _running.Concat(_waiting);

    /// <summary>Removes a finished or failed sequence and frees its blocks (after offering its full blocks to the prefix cache).</summary>
    public void Remove(Sequence s, bool keepPrefix)
    {
        // A step that accepted drafts past the end (a stop token or the length limit inside them) leaves cached rows beyond the
        // tokens; only blocks that the tokens fill are known by their key.
        if (keepPrefix && prefixCache is not null)
            prefixCache.Register(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens), s.Table.Blocks, Math.Min(s.Cached, s.Tokens.Count));
        s.Table.Release(pool);
        if (!_running.Remove(s)) _waiting.Remove(s);
    }

    /// <summary>The step's chunks: (sequence, number of its pending tokens to run). Sequences that can never fit are returned in <paramref name="impossible"/>.</summary>
    public List<(Sequence Seq, int Count)> Schedule(List<Sequence> impossible)
    {
        var plan = new List<(Sequence, int)>();
        int budget = maxBatchTokens;

        // Running sequences: one pending token each (the last sampled one), or a recompute chunk after preemption.
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            var s = _running[i];
            int pending = s.Tokens.Count - s.Cached;
            // A decoding sequence with drafts verifies them in the same forward: its pending token plus the drafts.
            if (pending != 1 || s.Drafts.Count + 1 > budget) ClearDrafts(s);
            int n = pending == 1 ? 1 + s.Drafts.Count : Math.Min(pending, budget);
            if (n <= 0) continue;
            bool reserved;
            while (!(reserved = TryReserve(s, n)) && _running[^1] != s) Preempt(_running[^1]);
            if (!reserved)
            {
                // s is now the newest running sequence. Make room by waiting (if others run) or give up (if it is alone).
                _running.RemoveAt(i--);
                if (_running.Count > 0) { ClearDrafts(s); s.Table.Release(pool); _waiting.AddFirst(s); }
                else impossible.Add(s);
                continue;
            }
            plan.Add((s, n));
            budget -= n;
        }

        // Waiting sequences: admitted in order while budget, sequence slots and blocks last.
        while (budget > 0 && _waiting.First is { } node && _running.Count < maxSequences)
        {
            var s = node.Value;
            int blocksForAll = (s.Tokens.Count + 1 + pool.BlockSize - 1) / pool.BlockSize;
            if (blocksForAll > pool.BlockCount)
            {
                _waiting.RemoveFirst();
                impossible.Add(s);
                continue;
            }
            if (s.Cached == 0 && prefixCache is not null)
            {
                // Reuse cached full blocks of the prompt's prefix; at least the last token is computed, for its logits.
                var shared = new List<int>();
                int hit = prefixCache.Match(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens), s.Tokens.Count - 1, shared);
                if (hit > 0) s.Table.Adopt(shared, hit);
            }
            int n = Math.Min(s.Tokens.Count - s.Cached, budget);
            if (!TryReserve(s, n))
            {
                s.Table.Release(pool);                           // do not hold shared blocks while waiting
                break;
            }
            _waiting.RemoveFirst();
            _running.Add(s);
            plan.Add((s, n));
            budget -= n;
        }
        return plan;
    }

    private static void ClearDrafts(Sequence s)
    {
        s.Drafts.Clear();
        s.DraftProbabilities.Clear();
    }

    private bool TryReserve(Sequence s, int n)
    {
        int needed = (s.Cached + n + pool.BlockSize - 1) / pool.BlockSize - s.Table.Blocks.Count;
        while (needed > pool.FreeCount && prefixCache is not null && prefixCache.EvictOne()) { }
        if (needed > pool.FreeCount) return false;
        s.Table.Reserve(pool, s.Cached + n);
        return true;
    }

    private void Preempt(Sequence s)
    {
        ClearDrafts(s);
        s.Table.Release(pool);
        _running.Remove(s);
        _waiting.AddFirst(s);
    }
}
