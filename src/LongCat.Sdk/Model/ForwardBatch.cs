namespace LongCat.Sdk.Model;

/// <summary>One sequence's part of a forward step: new tokens appended after the cached ones.</summary>
/// <param name="Blocks">The sequence's KV block ids in position order (read only: the caller reserved them for every position written).</param>
/// <param name="StartPosition">Position of the first new token (= tokens already cached).</param>
/// <param name="Tokens">New token ids; their latents are written at positions [StartPosition, StartPosition + Tokens.Length).</param>
/// <param name="NgramHistory">Up to N−1 token ids immediately before <paramref name="Tokens"/> (Flash-Lite's N-gram context; empty otherwise).</param>
/// <param name="AllLogits">True to return logits at every new position; false for the last one only.</param>
internal sealed record SequenceChunk(IReadOnlyList<int> Blocks, int StartPosition, int[] Tokens, int[] NgramHistory, bool AllLogits);

/// <summary>An MTP step for one sequence: positions [StartPosition, StartPosition + NextTokens.Length), each paired with the token after it.</summary>
/// <param name="Blocks">The sequence's KV block ids (already holding the target's latents for these positions).</param>
/// <param name="StartPosition">First position.</param>
/// <param name="NextTokens">Token p+1 for each position p.</param>
/// <param name="AllLogits">Draft logits for every position, or only the last.</param>
internal sealed record MtpChunk(IReadOnlyList<int> Blocks, int StartPosition, int[] NextTokens, bool AllLogits);

/// <summary>
/// A step's work: chunks of one or more sequences (prefill chunks and decode tokens alike) run through one forward.
/// The model never sees requests, only this; it reads the chunks' block ids and never changes who owns a block.
/// </summary>
internal sealed class ForwardBatch
{
    /// <summary>The sequences' chunks, in output order.</summary>
    public List<SequenceChunk> Chunks { get; } = [];

    /// <summary>Return every token's final-normed hidden state in <see cref="ForwardResult.Hidden"/> (the MTP head's input).</summary>
    public bool ReturnHidden { get; init; }

    /// <summary>Optional capture of intermediate values (tests, diagnostics).</summary>
    public ForwardTrace? Trace { get; init; }

    /// <summary>Total new tokens.</summary>
    public int TokenCount => Chunks.Sum(c => c.Tokens.Length);

    /// <summary>Rows of logits the forward returns.</summary>
    public int LogitRows => Chunks.Sum(c => c.AllLogits ? c.Tokens.Length : 1);
}

/// <summary>Intermediate values of a forward, downloaded for inspection (tests compare them with golden references).</summary>
internal sealed class ForwardTrace
{
    /// <summary>Residual stream: [0] embedding output, [1..n] after each decoder block, [n+1] after the final norm; each [T·H].</summary>
    public List<float[]> Hidden { get; } = [];
    /// <summary>Selected expert ids per decoder block, [T·K] each, in selection order.</summary>
    public List<int[]> RouterIds { get; } = [];
    /// <summary>Routing weights (score × routed_scaling_factor) per block, [T·K].</summary>
    public List<float[]> RouterWeights { get; } = [];
    /// <summary>N-gram hash ids [T·K(N−1)] (Flash-Lite).</summary>
    public int[]? NgramIds { get; set; }
}
