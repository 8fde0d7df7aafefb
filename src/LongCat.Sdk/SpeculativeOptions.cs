namespace LongCat.Sdk;

/// <summary>Speculative decoding with the checkpoint's dense MTP head.</summary>
public sealed record SpeculativeOptions
{
    private SpeculativeOptions(int draftTokens) => DraftTokens = draftTokens;

    /// <summary>Tokens the MTP head drafts per step (0: plain decoding). More than one are drafted in a chain.</summary>
    public int DraftTokens { get; }

    /// <summary>Plain decoding.</summary>
    public static SpeculativeOptions None { get; } = new(0);

    /// <summary>Draft <paramref name="draftTokens"/> tokens per step with the MTP head (LongCat's deployments use 1).</summary>
    public static SpeculativeOptions Mtp(int draftTokens = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draftTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(draftTokens, 8);
        return new SpeculativeOptions(draftTokens);
    }
}
