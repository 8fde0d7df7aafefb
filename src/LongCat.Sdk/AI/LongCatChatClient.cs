using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.AI;

/// <summary>
/// A <see cref="LongCatEngine"/> as a Microsoft.Extensions.AI <see cref="IChatClient"/>: LongCat's own chat template and
/// tool format, streaming first (the non-streaming call aggregates the stream), cancellation honoured at the next engine step.
/// </summary>
/// <remarks>
/// <para>Options map as <see cref="ChatOptionsConverter"/> describes. Offered tools are rendered into the template's tools
/// section; tool-call markup is never streamed as text: each call the model makes arrives as a <see cref="FunctionCallContent"/>
/// (with a generated call id) on the last update, whose finish reason is then <see cref="ChatFinishReason.ToolCalls"/>.
/// <see cref="FunctionResultContent"/> in the history is rendered back through the template. The last update also carries a
/// <see cref="UsageContent"/>. Wrap the client in Microsoft.Extensions.AI's <c>FunctionInvokingChatClient</c>
/// (<c>.AsBuilder().UseFunctionInvocation()</c>) to run the functions automatically.</para>
/// <para>Thread-safe: any number of calls may run at once; the engine batches them. The client does not own the engine:
/// disposing the client leaves it running.</para>
/// </remarks>
public sealed class LongCatChatClient : IChatClient
{
    /// <summary>The provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "longcat";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.MinP"/> (a number).</summary>
    public const string MinPKey = "min_p";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.RepetitionPenalty"/> (a number).</summary>
    public const string RepetitionPenaltyKey = "repetition_penalty";

    /// <summary>
    /// The engine settings <paramref name="options"/> map to, over <paramref name="defaults"/> (null: <see cref="GenerationOptions"/>'s
    /// defaults): the typed options, <see cref="MinPKey"/> and <see cref="RepetitionPenaltyKey"/>, the tools and the tool mode.
    /// </summary>
    /// <exception cref="ArgumentException">An additional property is not a number, or a tool is not a function.</exception>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions? defaults = null) =>
        ChatOptionsConverter.ToGenerationOptions(options, defaults);

    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a client over <paramref name="engine"/>.</summary>
    /// <param name="engine">A loaded engine (not owned).</param>
    /// <param name="defaults">Generation settings that apply where a request's <see cref="ChatOptions"/> leave them unset
    /// (null: <see cref="GenerationOptions"/>'s defaults).</param>
    public LongCatChatClient(LongCatEngine engine, GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        defaults?.Validate();
        Engine = engine;
        Defaults = defaults ?? new GenerationOptions();
        _metadata = new ChatClientMetadata(ProviderName, new Uri(Path.GetFullPath(engine.ModelDirectory)), engine.ModelId);
    }

    /// <summary>The engine that answers.</summary>
    public LongCatEngine Engine { get; }

    /// <summary>Settings used where a request leaves them unset.</summary>
    public GenerationOptions Defaults { get; }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = ChatMessageConverter.ToLongCat(messages, options?.Instructions);
        var generation = ChatOptionsConverter.ToGenerationOptions(options, Defaults);
        bool oneCall = options?.AllowMultipleToolCalls == false;
        string responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;

        await foreach (var u in Engine.ChatAsync(conversation, generation, cancellationToken).ConfigureAwait(false))
        {
            if (u.FinishReason == FinishReason.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The engine ended the request: it is shutting down.");
            }
            var contents = new List<AIContent>();
            if (u.Text.Length > 0) contents.Add(new TextContent(u.Text));
            if (u.ToolCalls is { Count: > 0 } calls)
                foreach (var call in oneCall ? calls.Take(1) : calls) contents.Add(ChatMessageConverter.ToFunctionCall(call, generation.Tools));
            if (u.Usage is { } usage) contents.Add(new UsageContent(ToUsage(usage)));
            if (contents.Count == 0 && u.FinishReason is null) continue;   // text held back (a possible stop sequence or tool call)

            yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
            {
                ResponseId = responseId,
                MessageId = responseId,
                CreatedAt = created,
                ModelId = Engine.ModelId,
                FinishReason = ToFinishReason(u.FinishReason),
                RawRepresentation = u,
            };
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(LongCatEngine)) return Engine;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the engine belongs to whoever created it.</summary>
    public void Dispose() { }

    private static ChatFinishReason? ToFinishReason(FinishReason? reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        FinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        _ => null,
    };

    private static UsageDetails ToUsage(GenerationUsage usage)
    {
        var details = new UsageDetails
        {
            InputTokenCount = usage.PromptTokens,
            OutputTokenCount = usage.CompletionTokens,
            TotalTokenCount = usage.PromptTokens + usage.CompletionTokens,
        };
        if (usage.DraftedTokens > 0)
            details.AdditionalCounts = new() { ["DraftedTokens"] = usage.DraftedTokens, ["AcceptedDraftTokens"] = usage.AcceptedDraftTokens };
        return details;
    }
}
