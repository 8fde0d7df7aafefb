namespace LongCat.Sdk;

/// <summary>Speculative decoding with the checkpoint's dense MTP head.</summary>
public sealed record SpeculativeOptions
{
    private SpeculativeOptions(int draftTokens, int? draftVocabularySize)
    {
        DraftTokens = draftTokens;
        DraftVocabularySize = draftVocabularySize;
    }

    /// <summary>Tokens the MTP head drafts per step (0: plain decoding). More than one are drafted in a chain.</summary>
    public int DraftTokens { get; }

    /// <summary>
    /// Tokens the head drafts from (<see cref="Model.DraftVocabulary"/>): null, the model folder's mtp_draft_vocab.json at its
    /// own size when there is one, else the whole vocabulary; 0, the whole vocabulary; N, the file's N most frequent tokens.
    /// Drafting from fewer tokens makes the head cheaper; the output is the target's either way.
    /// </summary>
    public int? DraftVocabularySize { get; }

    /// <summary>Plain decoding.</summary>
    public static SpeculativeOptions None { get; } = new(0, null);

    /// <summary>Draft <paramref name="draftTokens"/> tokens per step with the MTP head (LongCat's deployments use 1), from
    /// <paramref name="draftVocabularySize"/> tokens (see <see cref="DraftVocabularySize"/>).</summary>
    public static SpeculativeOptions Mtp(int draftTokens = 1, int? draftVocabularySize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draftTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(draftTokens, 8);
        if (draftVocabularySize is < 0) throw new ArgumentOutOfRangeException(nameof(draftVocabularySize), draftVocabularySize, "must not be negative");
        return new SpeculativeOptions(draftTokens, draftVocabularySize);
    }
}
