namespace LongCat.Sdk.Server;

/// <summary>
/// Who may call the OpenAI-compatible endpoint (<c>MapLongCatOpenAI</c>) and how much one request may ask. Every limit answers
/// in OpenAI's error shape: a body over <see cref="MaxRequestBodyBytes"/> with 413, a request past
/// <see cref="MaxConcurrentRequests"/> with 429, a prompt over <see cref="MaxPromptTokens"/> or a <c>max_tokens</c> over
/// <see cref="MaxTokensLimit"/> with 400, a missing or wrong key with 401.
/// </summary>
public sealed class LongCatServerOptions
{
    /// <summary>The keys a client may send as <c>Authorization: Bearer KEY</c>. Empty: no key is asked for, and the server
    /// refuses to start on an address that is not loopback (anyone on the network could use the model).</summary>
    public IList<string> ApiKeys { get; set; } = new List<string>();

    /// <summary>Largest request body, in bytes (default 4 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 4L << 20;

    /// <summary>Generation requests (chat and text completions) served at once (default 64); more are refused with 429 and a
    /// <c>Retry-After</c> header. The engine batches those it serves (<see cref="LongCatOptions.MaxSequences"/> decode together,
    /// the rest wait in its queue).</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>The most tokens a request's prompt (the rendered conversation) may have; null: the model's context window.</summary>
    public int? MaxPromptTokens { get; set; }

    /// <summary>The most tokens one choice may generate (default 4096): a larger <c>max_tokens</c> or
    /// <c>max_completion_tokens</c> is refused, and a request that gives neither may generate this many (the model's end of
    /// turn or the context window usually ends it first).</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>The largest <c>n</c> (independent choices of one request; default 8).</summary>
    public int MaxChoices { get; set; } = 8;

    /// <summary>The model's name in <c>/v1/models</c> and the <c>model</c> a request must name (or leave out); null: the model
    /// folder's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ApiKeys, nameof(ApiKeys));
        for (int i = 0; i < ApiKeys.Count; i++)
            if (string.IsNullOrWhiteSpace(ApiKeys[i]) || ApiKeys[i].Any(char.IsWhiteSpace))
                throw new ArgumentException($"ApiKeys[{i}] is empty or holds white space; a key is one token.", nameof(ApiKeys));
        if (MaxRequestBodyBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "MaxRequestBodyBytes must be positive.");
        if (MaxConcurrentRequests <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be positive.");
        if (MaxPromptTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxPromptTokens), MaxPromptTokens, "MaxPromptTokens must be positive (null: the context window).");
        if (MaxTokensLimit <= 0) throw new ArgumentOutOfRangeException(nameof(MaxTokensLimit), MaxTokensLimit, "MaxTokensLimit must be positive.");
        if (MaxChoices <= 0) throw new ArgumentOutOfRangeException(nameof(MaxChoices), MaxChoices, "MaxChoices must be positive.");
        if (ModelId is { } id && string.IsNullOrWhiteSpace(id)) throw new ArgumentException("ModelId is empty (null: the model folder's name).", nameof(ModelId));
    }
}
