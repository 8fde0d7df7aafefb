namespace LongCat.Sdk;

/// <summary>Speculative decoding with the checkpoint's dense MTP head (bindable from configuration:
/// <c>"Speculative": { "DraftTokens": 1, "DraftVocabularySize": 1024 }</c>).</summary>
public sealed record SpeculativeOptions
{
    /// <summary>Tokens the MTP head drafts per step, 0 to 8 (0: plain decoding; default 1, as LongCat's deployments use). More
    /// than one are drafted in a chain.</summary>
    public int DraftTokens { get; init; } = 1;

    /// <summary>
    /// Tokens the head drafts from: null, the model folder's mtp_draft_vocab.json at its own size when there is one, else the
    /// whole vocabulary; 0, the whole vocabulary; N, the file's N most frequent tokens. Drafting from fewer tokens makes the
    /// head cheaper; the output is the model's either way.
    /// </summary>
    public int? DraftVocabularySize { get; init; }

    /// <summary>Plain decoding.</summary>
    public static SpeculativeOptions None { get; } = new() { DraftTokens = 0 };

    /// <summary>Draft <paramref name="draftTokens"/> tokens per step with the MTP head, from <paramref name="draftVocabularySize"/>
    /// tokens (see <see cref="DraftVocabularySize"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static SpeculativeOptions Mtp(int draftTokens = 1, int? draftVocabularySize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draftTokens);
        var options = new SpeculativeOptions { DraftTokens = draftTokens, DraftVocabularySize = draftVocabularySize };
        options.Validate();
        return options;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (DraftTokens is < 0 or > 8)
            throw new ArgumentOutOfRangeException(nameof(DraftTokens), DraftTokens, "Speculative.DraftTokens must be between 0 and 8 (0: plain decoding).");
        if (DraftVocabularySize is < 0)
            throw new ArgumentOutOfRangeException(nameof(DraftVocabularySize), DraftVocabularySize, "Speculative.DraftVocabularySize must not be negative (0: the whole vocabulary).");
    }
}
