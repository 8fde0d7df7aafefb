using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Picks each step's work (continuous batching) and owns the KV cache manager: the only code that reserves, commits, rolls
/// back, frees, evicts or preempts. Every running sequence's pending tokens come first, then prefill chunks of waiting
/// sequences within the token budget. When a running sequence needs a block and none is free, the most recently admitted one
/// is preempted (its blocks freed, recomputed later from its tokens). Owned by the engine loop thread.
/// </summary>
internal sealed class Scheduler(KvCacheManager kv, int maxBatchTokens, int maxSequences)
{
    private readonly List<Sequence> _running = [];
    private readonly LinkedList<Sequence> _waiting = new();

    public bool Idle => _running.Count == 0 && _waiting.Count == 0;
    public int RunningCount => _running.Count;
    /// <summary>Sequences admitted but not yet running (new ones, and preempted ones waiting to be recomputed).</summary>
    public int WaitingCount => _waiting.Count;
    public IEnumerable<Sequence> All => _running.Concat(_waiting);

    /// <summary>Free KV blocks (those only the prefix cache holds count as free).</summary>
    public int FreeBlocks => kv.FreeBlocks;
    public int BlockCount => kv.BlockCount;
    public long PrefixHitTokens => kv.PrefixHitTokens;
    /// <summary>Running sequences sent back to wait (their blocks freed) so that others could go on.</summary>
    public long Preemptions { get; private set; }

    public void Add(Sequence s)
    {
        s.Status = SequenceStatus.Waiting;
        _waiting.AddLast(s);
    }

    /// <summary>
    /// The step's entries, blocks reserved for every row. Sequences that can never fit (more blocks than the cache has, or alone
    /// and still short of blocks) are moved to <paramref name="impossible"/>, removed.
    /// </summary>
    public StepPlan Schedule(List<Sequence> impossible)
    {
        var plan = new StepPlan(maxBatchTokens);
        // Running sequences: their pending token (decoding), or the next chunk of a prompt or of forced tokens.
        for (int i = 0; i < _running.Count && plan.Budget > 0; i++)
        {
            var s = _running[i];
            int n = Math.Min(s.Pending, plan.Budget);
            bool reserved;
            while (!(reserved = kv.TryReserve(s.Blocks, s.Cached + n)) && _running[^1] != s) Preempt(_running[^1]);
            if (!reserved)
            {
                // s is now the newest running sequence: make room by waiting (if others run) or give up (if it is alone).
                _running.RemoveAt(i--);
                if (_running.Count > 0)
                {
                    Requeue(s);
                    Preemptions++;
                }
                else Drop(s, impossible);
                continue;
            }
            plan.Entries.Add(new StepEntry(s, s.Cached, n));
            plan.Budget -= n;
        }

        // Waiting sequences: admitted in order while budget, sequence slots and blocks last.
        while (plan.Budget > 0 && _waiting.First is { } node && _running.Count < maxSequences)
        {
            var s = node.Value;
            if (kv.BlocksFor(s.Count + 1) > kv.BlockCount)
            {
                _waiting.RemoveFirst();
                Drop(s, impossible);
                continue;
            }
            if (s.Cached == 0) kv.AdoptPrefix(s.Blocks, s.Tokens);              // reuse cached full blocks of the prefix
            int n = Math.Min(s.Pending, plan.Budget);
            if (!kv.TryReserve(s.Blocks, s.Cached + n))
            {
                kv.Free(s.Blocks);                                               // do not hold shared blocks while waiting
                break;
            }
            _waiting.RemoveFirst();
            _running.Add(s);
            s.Status = SequenceStatus.Running;
            plan.Entries.Add(new StepEntry(s, s.Cached, n));
            plan.Budget -= n;
        }
        return plan;
    }

    /// <summary>The forward wrote every row of the plan: each entry's positions are now in the cache.</summary>
    /// <remarks>A prompt whose prefill this step completes offers its full blocks to the prefix cache at once, not only when it
    /// ends: requests that share it and arrive while it runs (the paths of Heavy Thinking, one system prompt across many
    /// chats) reuse its blocks instead of computing them again.</remarks>
    public void Commit(StepPlan plan)
    {
        foreach (var e in plan.Entries)
        {
            var s = e.Sequence;
            kv.Commit(s.Blocks, e.Start + e.Rows);
            if (e.Start < s.PromptLength && e.Start + e.Rows >= s.PromptLength) kv.Share(s.Blocks, s.Prompt);
        }
    }

    /// <summary>Grows a running sequence's blocks to hold <paramref name="tokens"/> positions without preempting anyone
    /// (drafts and their verification); false when the room is not there.</summary>
    public bool TryReserve(Sequence s, int tokens) => s.Status == SequenceStatus.Running && kv.TryReserve(s.Blocks, tokens);

    /// <summary>Forgets positions from <paramref name="tokens"/> on (rejected drafts).</summary>
    public void Rollback(Sequence s, int tokens) => kv.Truncate(s.Blocks, tokens);

    /// <summary>Removes an ended sequence and frees its blocks; with <paramref name="keepPrefix"/>, its full blocks go to the prefix cache.</summary>
    public void Remove(Sequence s, bool keepPrefix)
    {
        // Accepted drafts past a stop leave cached rows beyond the tokens: only blocks that the tokens fill are known by their key.
        kv.Free(s.Blocks, s.Tokens, keepPrefix ? Math.Min(s.Cached, s.Count) : 0);
        if (!_running.Remove(s)) _waiting.Remove(s);
        s.Status = SequenceStatus.Finished;
    }

    private void Preempt(Sequence s)
    {
        Preemptions++;
        _running.Remove(s);
        Requeue(s);
    }

    private void Requeue(Sequence s)
    {
        kv.Free(s.Blocks);
        s.Status = SequenceStatus.Waiting;
        _waiting.AddFirst(s);
    }

    // Out of the queues for good; the loop fails its request.
    private void Drop(Sequence s, List<Sequence> impossible)
    {
        kv.Free(s.Blocks);
        impossible.Add(s);
    }
}
