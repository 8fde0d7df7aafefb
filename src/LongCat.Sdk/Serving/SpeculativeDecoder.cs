using LongCat.Sdk.Model;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Speculative decoding with the MTP head, batched (gpt-fast's <c>speculative_decode</c> spread over a step): drafts are proposed
/// after each step, attached to the next step's plan, verified in its forward, and the rejected ones' latents rolled back.
/// Owns every sequence's draft state; the MTP head is a model component it calls.
/// </summary>
/// <remarks>
/// <para>Verification is one rule for greedy and sampled requests: row i's token is the one the target chooses there by itself
/// (the sequence's constraint, then its sampler at that token's index, <see cref="TokenChooser"/>); draft i is accepted while
/// it equals that token, and the first token that differs (or the bonus token after the last draft) is the target's. So the
/// output is exactly plain decoding's, token for token, for greedy and for seeded sampling alike, whatever the drafts were
/// or how many there were. Sampled drafts are raced against the same noise as the target (<see cref="SamplingNoise"/>), which is
/// what makes them agree as often as they do.</para>
/// <para>The head at position p reads token p+1 and predicts p+2: after a step, it runs over every position of a speculating
/// sequence whose next token is now known (prompt chunks included: its own cache needs them), and chains further drafts from
/// its own output state.</para>
/// </remarks>
internal sealed class SpeculativeDecoder
{
    private readonly MtpHead? _head;
    private readonly TokenChooser _chooser;
    private readonly Dictionary<Sequence, Drafts> _drafts = [];
    private readonly List<int> _history = [];

    /// <summary>A sequence's drafts for the tokens from index <see cref="FirstIndex"/> on.</summary>
    private sealed record Drafts(int FirstIndex, List<int> Tokens);

    public SpeculativeDecoder(MtpHead? head, int vocab)
    {
        _head = head;
        _chooser = new TokenChooser(vocab);
    }

    /// <summary>Drafted and accepted tokens (for the statistics).</summary>
    public long Drafted { get; private set; }
    public long Accepted { get; private set; }

    /// <summary>Whether the step's forward must return hidden rows for the head.</summary>
    public bool NeedsHidden(StepPlan plan) => _head is not null && plan.Entries.Any(e => e.Sequence.DraftTokens > 0);

    /// <summary>Drops a sequence's drafts (it ended).</summary>
    public void Forget(Sequence s) => _drafts.Remove(s);

    /// <summary>Adds each decoding sequence's drafts to its entry, where the step's token budget and the KV room allow.</summary>
    public void Attach(StepPlan plan, Scheduler scheduler)
    {
        foreach (var e in plan.Entries)
        {
            var s = e.Sequence;
            if (!_drafts.Remove(s, out var d) || e.Pending != 1 || !e.Samples || d.FirstIndex != s.Count) continue;
            int n = Math.Min(d.Tokens.Count, plan.Budget);
            while (n > 0 && !scheduler.TryReserve(s, e.Start + 1 + n)) n--;    // fewer drafts rather than none
            if (n == 0) continue;
            e.AttachDrafts(d.Tokens.GetRange(0, n));
            plan.Budget -= n;
        }
    }

    /// <summary>
    /// The tokens entry <paramref name="e"/> produces from the step's logits, into <paramref name="tokens"/>: with drafts, the
    /// accepted drafts and one more of the target's; without, one token. Returns the drafts accepted. Changes nothing in the
    /// sequence: the loop appends the tokens (stops and forced tokens apply there) after rolling back the rejected drafts.
    /// </summary>
    public int Choose(StepEntry e, ForwardResult result, List<int> tokens)
    {
        var s = e.Sequence;
        var c = s.Constraint;
        bool history = s.Sampler.ReadsHistory && e.Drafts.Count > 0;
        if (history)
        {
            _history.Clear();
            _history.AddRange(s.Generated);
        }
        tokens.Clear();
        int accepted = 0, told = 0;                          // drafts accepted; tokens the constraint was told (undone below)
        for (int i = 0; ; i++)
        {
            var generated = history ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_history) : s.Generated;
            int token = _chooser.Choose(s, result.Row(e.FirstLogitRow + i), generated, s.Count + i);
            tokens.Add(token);
            if (i == e.Drafts.Count || token != e.Drafts[i]) break;
            if (c is not null)
            {
                // A token after which the constraint forces more ends the run: the forced tokens come next, not the drafts.
                bool forcing = !c.IsComplete;
                c.Accept(token);
                told++;
                if (forcing && c.ForcedTokens().Count > 0) break;
            }
            accepted++;                                      // draft i holds: the next row is the target at its position
            if (history) _history.Add(token);
        }
        c?.Rollback(told);
        Drafted += e.Drafts.Count;
        Accepted += accepted;
        return accepted;
    }

    /// <summary>
    /// Runs the head over the step's newly known positions of every speculating sequence and proposes its drafts for the next
    /// step (chained up to its <see cref="Sequence.DraftTokens"/>, as far as its length and the KV room allow).
    /// </summary>
    /// <exception cref="Exception">The head failed; the caller fails the sequences involved.</exception>
    public void Propose(StepPlan plan, ForwardResult result, Scheduler scheduler)
    {
        if (_head is null || result.Hidden is not { } hidden) return;
        var heads = new List<(Sequence Seq, MtpChunk Chunk)>();
        var rows = new List<int>();
        foreach (var e in plan.Entries)
        {
            var s = e.Sequence;
            if (s.DraftTokens == 0 || s.Status != SequenceStatus.Running) continue;
            int valid = s.Cached - e.Start;                    // positions of this step that stayed in the cache
            if (valid <= 0 || e.Start + valid >= s.Count) continue;
            var next = s.Tokens.Slice(e.Start + 1, valid).ToArray();
            heads.Add((s, new MtpChunk(s.Blocks.Blocks, e.Start, next, AllLogits: false)));
            for (int i = 0; i < valid; i++) rows.Add(e.FirstRow + i);
        }
        if (heads.Count == 0) return;
        var logits = _head.Forward(heads.Select(h => h.Chunk).ToList(), hidden, [.. rows], draftVocabulary: true);

        // Chain: draft j+1 comes from the head at the position of draft j, fed the head's own output state (one row per chunk).
        var chain = new List<(Sequence Seq, int Row, Drafts Drafts)>();
        for (int i = 0; i < heads.Count; i++)
        {
            var s = heads[i].Seq;
            if (s.Pending != 1) continue;                      // still prefilling, or forced tokens to run: no drafts yet
            var d = new Drafts(s.Count, []);
            if (Draft(s, d, logits.Row(i)) && d.Tokens.Count < Room(s)) chain.Add((s, i, d));
        }
        while (chain.Count > 0)
        {
            var chunks = new List<MtpChunk>();
            var from = new List<int>();
            var next = new List<(Sequence Seq, int Row, Drafts Drafts)>();
            foreach (var (s, row, d) in chain)
            {
                // The head at position p reads token p+1: the last draft (index Count−1+j) is read at position Count−2+j.
                int position = s.Count - 2 + d.Tokens.Count;
                if (!scheduler.TryReserve(s, position + 1)) continue;   // no room to draft further: verify what there is
                chunks.Add(new MtpChunk(s.Blocks.Blocks, position, [d.Tokens[^1]], AllLogits: false));
                from.Add(row);
                next.Add((s, chunks.Count - 1, d));
            }
            if (chunks.Count == 0) break;
            var more = _head.Forward(chunks, logits.Hidden!, [.. from], draftVocabulary: true);
            chain.Clear();
            foreach (var (s, row, d) in next)
                if (Draft(s, d, more.Row(row)) && d.Tokens.Count < Room(s)) chain.Add((s, row, d));
            logits = more;
        }
    }

    // Drafts one more token into d from the head's logits row; false when the sequence's constraint allows none of its tokens.
    private bool Draft(Sequence s, Drafts d, ReadOnlySpan<float> row)
    {
        var c = s.Constraint;
        bool constrained = c is { IsComplete: false };
        if (constrained) foreach (int t in d.Tokens) c!.Accept(t);           // the constraint as it would be after the drafts
        ReadOnlySpan<int> history = s.Generated;
        if (s.Sampler.ReadsHistory && d.Tokens.Count > 0)
        {
            _history.Clear();
            _history.AddRange(s.Generated);
            _history.AddRange(d.Tokens);
            history = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_history);
        }
        int token = _chooser.ChooseDraft(s, row, _head!.DraftVocabulary, history, s.Count + d.Tokens.Count);
        if (constrained) c!.Rollback(d.Tokens.Count);
        if (token < 0) return false;
        d.Tokens.Add(token);
        _drafts[s] = d;
        return true;
    }

    private static int Room(Sequence s) => Math.Min(s.DraftTokens, s.Remaining);
}
