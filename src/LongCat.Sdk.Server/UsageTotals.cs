using System.Text.Json;

namespace LongCat.Sdk.Server;

/// <summary>A request's usage over its choices: the prompt once (every choice reads the same one), the completions summed;
/// each choice's added (from its own task) as it ends, and recorded in the server's metrics.</summary>
internal sealed class UsageTotals(ServerMetrics metrics)
{
    private readonly Lock _gate = new();

    public int PromptTokens { get; private set; }
    public int CompletionTokens { get; private set; }
    public int ReasoningTokens { get; private set; }

    /// <summary>Adds a choice's usage (any thread).</summary>
    public void Add(GenerationUsage usage)
    {
        int prompt;
        lock (_gate)
        {
            prompt = PromptTokens == 0 ? usage.PromptTokens : 0;
            PromptTokens += prompt;
            CompletionTokens += usage.CompletionTokens;
            ReasoningTokens += usage.ReasoningTokens;
        }
        metrics.Tokens(prompt, usage.CompletionTokens);
        if (usage.CompletionTokens > 0) metrics.FirstToken(usage.TimeToFirstToken);
    }

    /// <summary>Writes <c>"usage": {...}</c>.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", PromptTokens);
        w.WriteNumber("completion_tokens", CompletionTokens);
        w.WriteNumber("total_tokens", PromptTokens + CompletionTokens);
        if (ReasoningTokens > 0)
        {
            w.WriteStartObject("completion_tokens_details");
            w.WriteNumber("reasoning_tokens", ReasoningTokens);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
