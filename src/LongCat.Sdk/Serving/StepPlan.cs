using LongCat.Sdk.Model;

namespace LongCat.Sdk.Serving;

/// <summary>
/// One sequence's part of a step: tokens from position <see cref="Start"/> on. Known tokens not yet in the cache (one while
/// decoding; a prompt chunk; forced tokens) come first, then the drafts to verify, if any.
/// </summary>
internal sealed class StepEntry(Sequence sequence, int start, int pending)
{
    public Sequence Sequence { get; } = sequence;
    /// <summary>First position written (= tokens cached before the step).</summary>
    public int Start { get; } = start;
    /// <summary>Known tokens run this step.</summary>
    public int Pending { get; } = pending;
    /// <summary>Drafts appended after the known tokens, to verify.</summary>
    public IReadOnlyList<int> Drafts { get; private set; } = [];
    /// <summary>Rows of the step: known tokens, then drafts.</summary>
    public int Rows => Pending + Drafts.Count;
    /// <summary>Whether the step reaches the end of the sequence's known tokens, so the logits give its next token.</summary>
    public bool Samples => Start + Pending == Sequence.Count;
    /// <summary>The entry's first row among the step's tokens (its hidden rows), and its first logits row.</summary>
    public int FirstRow { get; set; }
    public int FirstLogitRow { get; set; }

    public void AttachDrafts(IReadOnlyList<int> drafts) => Drafts = drafts;
}

/// <summary>What a step computes: the scheduler's choice of entries, in row order, with the token budget left over.</summary>
internal sealed class StepPlan(int budget)
{
    public List<StepEntry> Entries { get; } = [];
    /// <summary>Tokens the step may still take (drafts come out of it).</summary>
    public int Budget { get; set; } = budget;
    /// <summary>Every entry decodes one known token (with or without drafts): no prompt rows.</summary>
    public bool IsDecode => Entries.All(e => e.Pending == 1);
    /// <summary>Some entry verifies drafts.</summary>
    public bool Verifies => Entries.Any(e => e.Drafts.Count > 0);

    /// <summary>The model's view of the plan: each entry's tokens, read-only block ids and N-gram context; rows numbered.</summary>
    public ForwardBatch ToBatch(int ngramHistory, bool returnHidden)
    {
        var batch = new ForwardBatch { ReturnHidden = returnHidden };
        int row = 0, logitRow = 0;
        foreach (var e in Entries)
        {
            var s = e.Sequence;
            var tokens = new int[e.Rows];
            s.Tokens.Slice(e.Start, e.Pending).CopyTo(tokens);
            for (int i = 0; i < e.Drafts.Count; i++) tokens[e.Pending + i] = e.Drafts[i];
            var context = s.Tokens.Slice(Math.Max(0, e.Start - ngramHistory), Math.Min(ngramHistory, e.Start)).ToArray();
            bool allLogits = e.Drafts.Count > 0;                    // a verify step reads a row per draft, plus the bonus row
            batch.Chunks.Add(new SequenceChunk(s.Blocks.Blocks, e.Start, tokens, context, allLogits));
            e.FirstRow = row;
            e.FirstLogitRow = logitRow;
            row += e.Rows;
            logitRow += allLogits ? e.Rows : 1;
        }
        return batch;
    }
}
