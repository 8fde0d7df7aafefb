using System.Numerics.Tensors;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Chooses a sequence's token from a logits row: the constraint's mask, then the sampler at the token's index in the sequence
/// (<see cref="Sampler.Sample(Span{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, long)"/>). The target's rows and the MTP head's
/// drafts go through the same code, so a draft is the token the target would choose whenever their logits agree.
/// </summary>
/// <remarks>Owns one vocabulary-sized row and one bitmask, reused: nothing is allocated per token.</remarks>
internal sealed class TokenChooser(int vocab)
{
    private readonly float[] _row = new float[vocab];
    private readonly uint[] _mask = new uint[TokenConstraint.BitmaskWords(vocab)];

    /// <summary>The token at index <paramref name="index"/> of <paramref name="s"/> from <paramref name="logits"/> ([V]), with
    /// <paramref name="history"/> as the generated tokens before it (for the penalties); −1 when the sequence's constraint allows
    /// no token of the vocabulary.</summary>
    public int Choose(Sequence s, ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int index)
    {
        logits.CopyTo(_row);
        return Choose(s, history, index);
    }

    /// <summary>
    /// As <see cref="Choose(Sequence, ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> for a draft from logits over
    /// <paramref name="ids"/> only (the draft vocabulary; null: the whole vocabulary), −∞ elsewhere. Returns −1 when the
    /// constraint allows none of the tokens the logits cover.
    /// </summary>
    public int ChooseDraft(Sequence s, ReadOnlySpan<float> logits, IReadOnlyList<int>? ids, ReadOnlySpan<int> history, int index)
    {
        if (ids is null) logits.CopyTo(_row);
        else
        {
            Array.Fill(_row, float.NegativeInfinity);
            for (int j = 0; j < ids.Count; j++) _row[ids[j]] = logits[j];
        }
        if (s.Constraint is { IsComplete: false } c && FillMask(c, s, index))
        {
            TokenConstraint.Mask(_row, _mask);
            if (!float.IsFinite(TensorPrimitives.Max(_row))) return -1;
        }
        return s.Sampler.Sample(_row, s.Prompt, history, index);
    }

    // −1 when the constraint allows no token at all (a pattern the vocabulary cannot spell): the loop ends the sequence.
    private int Choose(Sequence s, ReadOnlySpan<int> history, int index)
    {
        if (s.Constraint is { IsComplete: false } c && FillMask(c, s, index))
        {
            TokenConstraint.Mask(_row, _mask);
            if (_mask.AsSpan().IndexOfAnyExcept(0u) < 0) return -1;
        }
        return s.Sampler.Sample(_row, s.Prompt, history, index);
    }

    // The tokens before index (drafts, or verified drafts) are not in s yet but each uses one of its Remaining: the budget at
    // index is what is left after them.
    private bool FillMask(TokenConstraint c, Sequence s, int index)
    {
        c.SetBudget(s.Remaining - (index - s.Count));
        return c.FillNextTokenBitmask(_mask);
    }
}
