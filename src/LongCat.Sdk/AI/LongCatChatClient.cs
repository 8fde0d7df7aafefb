using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.AI;

/// <summary>
/// A <see cref="LongCatEngine"/> as a Microsoft.Extensions.AI <see cref="IChatClient"/>: LongCat's own chat template and
/// tool format, streaming first (the non-streaming call aggregates the stream), cancellation honoured at the next engine step.
/// </summary>
/// <remarks>
/// <para>Options map as <see cref="ToGenerationOptions"/> describes. Offered tools are rendered into the template's tools
/// section; tool-call markup is never streamed as text: each call the model makes arrives as a <see cref="FunctionCallContent"/>
/// (with a generated call id) on the last update, whose finish reason is then <see cref="ChatFinishReason.ToolCalls"/>. A call
/// the model wrote but that does not parse arrives the same way with <see cref="FunctionCallContent.Exception"/> set (and no
/// arguments), so the invocation layer tells the model instead of running it. <see cref="FunctionResultContent"/> in the
/// history is rendered back through the template.</para>
/// <para>A thinking model's reasoning streams as <see cref="TextReasoningContent"/>, apart from the answer's
/// <see cref="TextContent"/> (not at all when <see cref="ChatOptions.Reasoning"/> asks for <see cref="ReasoningOutput.None"/>);
/// <see cref="TextReasoningContent"/> in the history is rendered back as the message's reasoning, which the model's template keeps
/// or drops. An effort of <see cref="ReasoningEffort.None"/> turns thinking off.</para>
/// <para>The last update carries a <see cref="UsageContent"/>, and in <see cref="ChatResponseUpdate.AdditionalProperties"/> the
/// engine's finish reason (<see cref="FinishReasonKey"/>: "Stop", "Length" or "ToolCalls") and the same usage as a
/// <see cref="UsageDetails"/> (<see cref="UsageKey"/>), which is where Semantic Kernel reads them; a non-streaming response's
/// message carries both too. Cancelling throws <see cref="OperationCanceledException"/>. Wrap the client in
/// Microsoft.Extensions.AI's <c>FunctionInvokingChatClient</c> (<c>.AsBuilder().UseFunctionInvocation()</c>) to run the
/// functions automatically.</para>
/// <para>Thread-safe: any number of calls may run at once; the engine batches them. The client does not own the engine:
/// disposing the client leaves it running. Over a <see cref="LongCatEngineProvider"/> the first request waits, asynchronously,
/// for the engine to load.</para>
/// </remarks>
public sealed class LongCatChatClient : IChatClient
{
    /// <summary>The provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "longcat";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.MinP"/> (a number).</summary>
    public const string MinPKey = "min_p";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.RepetitionPenalty"/> (a number).</summary>
    public const string RepetitionPenaltyKey = "repetition_penalty";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.EnableThinking"/> (a bool).</summary>
    public const string EnableThinkingKey = "enable_thinking";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.ThinkingBudget"/> (an int).</summary>
    public const string ThinkingBudgetKey = "thinking_budget";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.ChatTemplateArguments"/>
    /// (a dictionary or a JSON object).</summary>
    public const string ChatTemplateArgumentsKey = "chat_template_kwargs";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key for <see cref="GenerationOptions.HeavyThinking"/> (an int: the
    /// number of paths). The response streams the summary; the paths are not surfaced here.</summary>
    public const string HeavyThinkingKey = "heavy_thinking";

    /// <summary>The additional-properties key of the engine's <see cref="FinishReason"/>, as its name.</summary>
    public const string FinishReasonKey = "FinishReason";

    /// <summary>The additional-properties key of the request's <see cref="UsageDetails"/>.</summary>
    public const string UsageKey = "Usage";

    /// <summary>
    /// The engine settings <paramref name="options"/> map to, over <paramref name="defaults"/> (null: <see cref="GenerationOptions"/>'s
    /// defaults): Temperature, TopP, TopK, MaxOutputTokens, PresencePenalty, FrequencyPenalty, StopSequences and Seed (a seed
    /// outside the <see cref="int"/> range is folded into it); <see cref="MinPKey"/> and <see cref="RepetitionPenaltyKey"/> in
    /// <see cref="ChatOptions.AdditionalProperties"/>; every <see cref="AIFunctionDeclaration"/> tool with its JSON schema; the
    /// tool mode (Auto, None, Required of any or one function); <see cref="ChatOptions.ResponseFormat"/> JSON or a JSON schema
    /// as <see cref="GenerationOptions.Constraint"/> (so <c>GetResponseAsync&lt;T&gt;</c> gets a value that deserializes).
    /// </summary>
    /// <exception cref="ArgumentException">An additional property is not a number, or a tool is not a function.</exception>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions? defaults = null) =>
        ChatOptionsConverter.ToGenerationOptions(options, defaults);

    private readonly ChatClientMetadata _metadata;
    private readonly LongCatEngine? _engine;
    private readonly LongCatEngineProvider? _provider;

    /// <summary>Creates a client over <paramref name="engine"/>.</summary>
    /// <param name="engine">A loaded engine (not owned).</param>
    /// <param name="defaults">Generation settings that apply where a request's <see cref="ChatOptions"/> leave them unset
    /// (null: <see cref="GenerationOptions"/>'s defaults).</param>
    public LongCatChatClient(LongCatEngine engine, GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        defaults?.Validate();
        _engine = engine;
        Defaults = defaults ?? new GenerationOptions();
        _metadata = new ChatClientMetadata(ProviderName, new Uri(Path.GetFullPath(engine.ModelDirectory)), engine.ModelId);
    }

    /// <summary>Creates a client over the engine <paramref name="provider"/> loads on the first request (not owned).</summary>
    /// <param name="provider">The engine's provider.</param>
    /// <param name="defaults">Generation settings where a request's <see cref="ChatOptions"/> leave them unset.</param>
    public LongCatChatClient(LongCatEngineProvider provider, GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        defaults?.Validate();
        _provider = provider;
        Defaults = defaults ?? new GenerationOptions();
        _metadata = new ChatClientMetadata(ProviderName, new Uri(provider.ModelPath), provider.ModelId);
    }

    /// <summary>Settings used where a request leaves them unset.</summary>
    public GenerationOptions Defaults { get; }

    /// <summary>The engine that answers (loading it first when the client is over a provider).</summary>
    public ValueTask<LongCatEngine> GetEngineAsync(CancellationToken cancellationToken = default) =>
        _engine is not null ? ValueTask.FromResult(_engine) : _provider!.GetEngineAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        AggregateAsync(GetStreamingResponseAsync(messages, options, cancellationToken), cancellationToken);

    /// <summary>A stream of this client's updates (or the remote client's) as one response: the last update's finish reason and
    /// usage are copied into the answer's <see cref="ChatMessage.AdditionalProperties"/>, where Semantic Kernel reads them.</summary>
    internal static async Task<ChatResponse> AggregateAsync(IAsyncEnumerable<ChatResponseUpdate> updates, CancellationToken cancellationToken)
    {
        var response = await updates.ToChatResponseAsync(cancellationToken).ConfigureAwait(false);
        if (response.Messages.LastOrDefault() is { } answer)
        {
            if (response.AdditionalProperties is { } properties)
            {
                answer.AdditionalProperties ??= [];
                foreach (var (key, value) in properties) answer.AdditionalProperties[key] = value;
            }
            // Semantic Kernel's bridge drops TextReasoningContent but keeps the raw representation as InnerContent: the
            // message's contents, from which LongCatChatCompletionService restores the reasoning.
            if (answer.RawRepresentation is null && answer.Contents.OfType<TextReasoningContent>().Any()) answer.RawRepresentation = answer.Contents.ToList();
        }
        return response;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = ChatMessageConverter.ToLongCat(messages, options?.Instructions);
        var generation = ChatOptionsConverter.ToGenerationOptions(options, Defaults);
        bool oneCall = options?.AllowMultipleToolCalls == false;
        bool showReasoning = options?.Reasoning?.Output != ReasoningOutput.None;
        string responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        var engine = await GetEngineAsync(cancellationToken).ConfigureAwait(false);

        await foreach (var u in engine.ChatAsync(conversation, generation, cancellationToken).ConfigureAwait(false))
        {
            if (u.FinishReason == FinishReason.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The engine ended the request: it is shutting down.");
            }
            var contents = new List<AIContent>();
            if (u.Reasoning.Length > 0 && showReasoning) contents.Add(new TextReasoningContent(u.Reasoning));
            if (u.Text.Length > 0) contents.Add(new TextContent(u.Text));
            var calls = ChatMessageConverter.ToFunctionCalls(u.ToolCalls, u.MalformedToolCalls, generation.Tools);
            foreach (var call in oneCall ? calls.Take(1) : calls) contents.Add(call);
            var usage = u.Usage is { } used ? ToUsageDetails(used) : null;
            if (usage is not null) contents.Add(new UsageContent(usage));
            if (contents.Count == 0 && u.FinishReason is null) continue;   // text held back (a possible stop sequence or tool call)

            var reason = calls.Count > 0 && u.FinishReason == FinishReason.Stop ? FinishReason.ToolCalls : u.FinishReason;
            yield return new ChatResponseUpdate(ChatRole.Assistant, contents)
            {
                ResponseId = responseId,
                MessageId = responseId,
                CreatedAt = created,
                ModelId = engine.ModelId,
                FinishReason = ToFinishReason(reason),
                RawRepresentation = u,
                AdditionalProperties = reason is null ? null : new() { [FinishReasonKey] = reason.ToString(), [UsageKey] = usage },
            };
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(LongCatEngine)) return _engine ?? _provider!.LoadedEngine;
        if (serviceType == typeof(LongCatEngineProvider)) return _provider;
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

    /// <summary>The engine's usage as Microsoft.Extensions.AI's: token counts, and the drafted and accepted tokens of speculative
    /// decoding in <see cref="UsageDetails.AdditionalCounts"/> ("DraftedTokens", "AcceptedDraftTokens").</summary>
    public static UsageDetails ToUsageDetails(GenerationUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var details = new UsageDetails
        {
            InputTokenCount = usage.PromptTokens,
            OutputTokenCount = usage.CompletionTokens,
            TotalTokenCount = usage.PromptTokens + usage.CompletionTokens,
            ReasoningTokenCount = usage.ReasoningTokens > 0 ? usage.ReasoningTokens : null,
        };
        if (usage.DraftedTokens > 0)
            details.AdditionalCounts = new() { ["DraftedTokens"] = usage.DraftedTokens, ["AcceptedDraftTokens"] = usage.AcceptedDraftTokens };
        return details;
    }
}
