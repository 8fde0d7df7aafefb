using System.ClientModel;
using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatOptions = Microsoft.Extensions.AI.ChatOptions;
using AIFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ToolCall = LongCat.Sdk.Text.ToolCall;

namespace LongCat.Sdk.Remote;

/// <summary>
/// The <see cref="IChatClient"/> of <see cref="LongCatChatClient"/>, answered by an OpenAI-compatible LongCat server (SGLang,
/// vLLM, <c>longcat serve</c>) through Microsoft.Extensions.AI's OpenAI client: the same settings (<see cref="RemoteRequest"/>),
/// the same contents back. Reasoning arrives as <see cref="TextReasoningContent"/> and calls as <see cref="FunctionCallContent"/>
/// whether the server parsed them (<c>reasoning_content</c>, <c>tool_calls</c>) or sent the model's raw text, which the SDK's own
/// readers then split (<see cref="MarkupSplitter"/>: a reasoning block the output opens with <c>&lt;longcat_think&gt;</c>, JSON or
/// XML tool-call blocks typed by the offered tools' schemas, an unreadable block as a call with its exception). The last update
/// carries the usage, the finish reason and <see cref="LongCatChatClient.FinishReasonKey"/> / <see cref="LongCatChatClient.UsageKey"/>
/// as the in-process client's does; the non-streaming call aggregates the stream.
/// </summary>
/// <remarks>
/// A raw stream whose reasoning the prompt opened (no <c>&lt;longcat_think&gt;</c> in the output, only the close tag) cannot be
/// told from an answer while it streams: serve such a model with the server's reasoning parser. Server errors surface as
/// <see cref="ClientResultException"/> with the status and the server's message, as do an error event in the stream and a
/// stream cut before its finish reason. Thread-safe.
/// </remarks>
internal sealed class RemoteChatClient : DelegatingChatClient
{
    // OpenAI's client needs a model for its requests; RemoteRequest writes (or removes) each request's model, so this is never sent.
    private const string UnsentModel = "longcat";

    private readonly ChatClientMetadata _metadata;
    private readonly string? _modelId;

    /// <summary>A client of the server at <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The server's base address (e.g. <c>http://cluster:30000/v1</c>).</param>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c>; null: no header.</param>
    /// <param name="modelId">The served model's name; null: no <c>model</c> is sent and the server answers with the one it serves.</param>
    /// <param name="defaults">Settings where a request's options leave them unset (null: <see cref="GenerationOptions"/>'s defaults).</param>
    /// <exception cref="ArgumentException">A setting is unusable (<see cref="RemoteEndpoint.Validate"/>) or a default is out of range.</exception>
    public RemoteChatClient(Uri endpoint, string? apiKey = null, string? modelId = null, GenerationOptions? defaults = null)
        : base(CreateInner(endpoint, apiKey, modelId))
    {
        defaults?.Validate();
        Defaults = defaults ?? new GenerationOptions();
        Endpoint = endpoint;
        _modelId = modelId;
        _metadata = new ChatClientMetadata(LongCatChatClient.ProviderName, endpoint, modelId);
    }

    /// <summary>The server's base address.</summary>
    public Uri Endpoint { get; }

    /// <summary>Settings used where a request leaves them unset.</summary>
    public GenerationOptions Defaults { get; }

    private static IChatClient CreateInner(Uri endpoint, string? apiKey, string? modelId)
    {
        RemoteEndpoint.Validate(endpoint, apiKey, modelId);
        // A long prompt's prefill on a loaded cluster may take longer than OpenAI's 100 s default before the first byte.
        var options = new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = TimeSpan.FromMinutes(10) };
        if (apiKey is null) options.AddPolicy(new WithoutAuthorization(), PipelinePosition.BeforeTransport);
        return new ChatClient(UnsentModel, new ApiKeyCredential(apiKey ?? "unsent"), options).AsIChatClient();
    }

    /// <inheritdoc/>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<AIChatMessage> messages, AIChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        LongCatChatClient.AggregateAsync(GetStreamingResponseAsync(messages, options, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AIChatMessage> messages,
        AIChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var wire = RemoteRequest.Create(options, Defaults, _modelId, out var settings);
        bool showReasoning = options?.Reasoning?.Output != ReasoningOutput.None;
        // As in-process: tool-call blocks are read only when tools are offered (the XML reader reads JSON bodies too).
        var markup = new MarkupSplitter(new ReasoningSplitter(startInReasoning: false), settings.Tools is { Count: > 0 } ? ToolCallSyntax.Xml.Reader(settings.Tools) : null);
        var serverCalls = new List<FunctionCallContent>();
        UsageDetails? usage = null;
        AIFinishReason? finish = null;
        ChatResponseUpdate? last = null;

        await foreach (var u in base.GetStreamingResponseAsync(RemoteRequest.Messages(messages, options?.Instructions), wire, cancellationToken).ConfigureAwait(false))
        {
            if (u.RawRepresentation is StreamingChatCompletionUpdate raw && ErrorOf(raw) is { } error)
                throw new ClientResultException($"The server ended the stream with an error: {error}");
            last = u;
            finish ??= u.FinishReason;
            var contents = new List<AIContent>();
            foreach (var c in u.Contents)
            {
                switch (c)
                {
                    case TextReasoningContent r:                      // the server's reasoning parser split it
                        if (showReasoning && r.Text.Length > 0) contents.Add(new TextReasoningContent(r.Text));
                        break;
                    case TextContent t:
                        AddText(contents, markup.Push(t.Text, end: false), showReasoning);
                        break;
                    case FunctionCallContent call:                     // the server's tool parser read it: held to the last update
                        serverCalls.Add(call);
                        break;
                    case UsageContent used:
                        usage = used.Details;
                        break;
                    default:
                        contents.Add(c);
                        break;
                }
            }
            if (contents.Count > 0) yield return Update(last, contents);
        }

        if (finish is null)
            throw new ClientResultException("The server's stream ended without a finish reason: the answer is incomplete (the connection was cut or the server stopped).");
        var tail = new List<AIContent>();
        AddText(tail, markup.Push("", end: true), showReasoning);
        var calls = serverCalls.Select(c => Offered(c, settings.Tools))
            .Concat(ChatMessageConverter.ToFunctionCalls(markup.ToolCalls, markup.MalformedToolCalls, settings.Tools)).ToList();
        tail.AddRange(options?.AllowMultipleToolCalls == false ? calls.Take(1) : calls);
        if (usage is not null) tail.Add(new UsageContent(usage));
        var reason = calls.Count > 0 && finish == AIFinishReason.Stop ? AIFinishReason.ToolCalls : finish.Value;
        var end = Update(last, tail);
        end.RawRepresentation = null;
        end.FinishReason = reason;
        end.AdditionalProperties = new() { [LongCatChatClient.FinishReasonKey] = NameOf(reason), [LongCatChatClient.UsageKey] = usage };
        yield return end;
    }

    // An error event in the stream (vLLM and longcat serve send {"error": {...}} once the status line is out): its message.
#pragma warning disable SCME0001 // JsonPatch (experimental) holds the fields OpenAI's types lack, as reasoning_content
    private static string? ErrorOf(StreamingChatCompletionUpdate update) =>
        update.Patch.TryGetValue("$.error.message"u8, out string? message) ? message ?? "(no message)" : null;
#pragma warning restore SCME0001

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata : base.GetService(serviceType, serviceKey);

    private static void AddText(List<AIContent> contents, (string Reasoning, string Answer) text, bool showReasoning)
    {
        if (showReasoning && text.Reasoning.Length > 0) contents.Add(new TextReasoningContent(text.Reasoning));
        if (text.Answer.Length > 0) contents.Add(new TextContent(text.Answer));
    }

    private static ChatResponseUpdate Update(ChatResponseUpdate? from, List<AIContent> contents) => new(ChatRole.Assistant, contents)
    {
        ResponseId = from?.ResponseId,
        MessageId = from?.MessageId ?? from?.ResponseId,
        CreatedAt = from?.CreatedAt,
        ModelId = from?.ModelId,
        RawRepresentation = from?.RawRepresentation,
    };

    // A call the server read, as one the SDK reads: its name matched to the offered tools as in-process (Clock-Now for Clock_Now),
    // its arguments as JSON values, the model's spelling kept as its raw representation. One whose arguments were not JSON keeps its error.
    private static FunctionCallContent Offered(FunctionCallContent call, IReadOnlyList<ToolDefinition>? offered) => call.Exception is null
        ? ChatMessageConverter.ToFunctionCall(new ToolCall(call.Name, ChatMessageConverter.ArgumentsJson(call), call.CallId), offered)
        : call;

    // The engine's FinishReason names, which FinishReasonKey carries in-process.
    private static string NameOf(AIFinishReason reason) =>
        reason == AIFinishReason.Stop ? nameof(FinishReason.Stop)
        : reason == AIFinishReason.Length ? nameof(FinishReason.Length)
        : reason == AIFinishReason.ToolCalls ? nameof(FinishReason.ToolCalls)
        : reason.Value;

    /// <summary>No key: no Authorization header (OpenAI's client insists on a credential, so it gets one this policy never sends).</summary>
    private sealed class WithoutAuthorization : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
