using System.Runtime.CompilerServices;
using LongCat.Sdk.AI;
using LongCat.Sdk.Remote;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;

namespace LongCat.Sdk.SemanticKernel;

/// <summary>
/// A LongCat model as a Semantic Kernel <see cref="IChatCompletionService"/>: a thin layer over <see cref="LongCatChatClient"/>
/// and Semantic Kernel's own function-invocation middleware, so it behaves like the hosted connectors.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Settings: any <see cref="PromptExecutionSettings"/>, read through <see cref="LongCatPromptExecutionSettings.FromExecutionSettings"/>.</item>
/// <item><see cref="FunctionChoiceBehavior"/>: Auto lets the model choose; Required forces a call (the engine opens the
/// tool-call block; after the first round the choice falls back to Auto so the loop ends); None describes the functions but
/// stops generation where a call would begin.</item>
/// <item>Metadata: the answer's (and the last streamed item's) <see cref="KernelContent.Metadata"/> holds
/// <c>"FinishReason"</c> ("Stop", "Length" or "ToolCalls") and <c>"Usage"</c> (a Microsoft.Extensions.AI <c>UsageDetails</c>),
/// where the hosted connectors put theirs.</item>
/// <item>A tool call the model wrote but that does not parse reaches the function-invocation layer as a call with its exception
/// set, which reports it to the model: the answer never holds tool-call markup.</item>
/// <item>With <c>autoInvoke: true</c> (the default) the kernel's functions run, auto-function-invocation filters included, the
/// results go back through the chat template and the loop continues until the model answers in text (at most 128 rounds,
/// Semantic Kernel's usual limit). With <c>autoInvoke: false</c> the answer holds the <see cref="Microsoft.SemanticKernel.FunctionCallContent"/>s.</item>
/// </list>
/// Thread-safe; the engine is not owned. Over a remote engine (<c>AddLongCatChatCompletion(endpoint)</c>, or <c>AddLongCat</c> with
/// an endpoint) the service behaves the same, answered by the server.
/// </remarks>
public sealed class LongCatChatCompletionService : IChatCompletionService
{
    private readonly IChatCompletionService _inner;
    private readonly ILogger? _logger;

    /// <summary>Creates the service over <paramref name="engine"/>.</summary>
    /// <param name="engine">A loaded engine (not owned).</param>
    /// <param name="defaults">Generation settings where a request's settings leave them unset.</param>
    /// <param name="loggerFactory">Logs function invocations and settings LongCat ignores.</param>
    /// <param name="serviceProvider">Services for function invocation (as the kernel's).</param>
    public LongCatChatCompletionService(LongCatEngine engine, GenerationOptions? defaults = null, ILoggerFactory? loggerFactory = null,
        IServiceProvider? serviceProvider = null)
        : this(new LongCatChatClient(engine ?? throw new ArgumentNullException(nameof(engine)), defaults), engine.ModelId, loggerFactory, serviceProvider)
    {
    }

    /// <summary>Creates the service over the engine <paramref name="provider"/> loads on the first request (not owned): building
    /// the kernel never waits for the model.</summary>
    /// <param name="provider">The engine's provider.</param>
    /// <param name="defaults">Generation settings where a request's settings leave them unset.</param>
    /// <param name="loggerFactory">Logs function invocations and settings LongCat ignores.</param>
    /// <param name="serviceProvider">Services for function invocation (as the kernel's).</param>
    public LongCatChatCompletionService(LongCatEngineProvider provider, GenerationOptions? defaults = null, ILoggerFactory? loggerFactory = null,
        IServiceProvider? serviceProvider = null)
        : this(new LongCatChatClient(provider ?? throw new ArgumentNullException(nameof(provider)), defaults), provider.ModelId, loggerFactory, serviceProvider)
    {
    }

    /// <summary>Creates the service over a remote engine's chat client (<c>AddLongCatChatCompletion(endpoint)</c>, or
    /// <c>AddLongCat</c> with an endpoint).</summary>
    internal LongCatChatCompletionService(RemoteChatClient client, ILoggerFactory? loggerFactory, IServiceProvider? serviceProvider)
        : this((IChatClient)client, client.GetService<ChatClientMetadata>()?.DefaultModelId, loggerFactory, serviceProvider)
    {
    }

    private LongCatChatCompletionService(IChatClient client, string? modelId, ILoggerFactory? loggerFactory, IServiceProvider? serviceProvider)
    {
        _client = client;
        _logger = loggerFactory?.CreateLogger<LongCatChatCompletionService>();
        var pipeline = client.AsBuilder().Use((m, o, inner, ct) => inner.GetResponseAsync(m, o, ct), ReasoningAsInnerContent)
            .UseKernelFunctionInvocation(loggerFactory).Build(serviceProvider);
        _inner = pipeline.AsChatCompletionService(serviceProvider);
        Attributes = new Dictionary<string, object?> { [AIServiceExtensions.ModelIdKey] = modelId };
    }

    private readonly IChatClient _client;

    /// <summary>The chat client underneath (no function invocation of its own); <c>ChatClient.GetEngineAsync()</c> gives the engine.</summary>
    /// <exception cref="InvalidOperationException">The service answers from a remote engine (an endpoint), which has no
    /// <see cref="LongCatChatClient"/>.</exception>
    public LongCatChatClient ChatClient => _client as LongCatChatClient ?? throw new InvalidOperationException(
        $"This chat completion service answers from the server at '{((RemoteChatClient)_client).Endpoint}': it has no LongCatChatClient (an in-process engine's client).");

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <inheritdoc/>
    /// <remarks>Function calls in the answer (manual invocation) name their plugin and function separately, as the hosted connectors'
    /// do, so <c>call.InvokeAsync(kernel)</c> finds the function.</remarks>
    public async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        var answer = await _inner.GetChatMessageContentsAsync(chatHistory, LongCatPromptExecutionSettings.FromExecutionSettings(executionSettings, _logger), kernel,
            cancellationToken).ConfigureAwait(false);
        foreach (var message in answer)
        {
            if (kernel is not null) QualifyFunctionCalls(message, kernel);
            AddReasoning(message);
        }
        return answer;
    }

    // The bridge drops Microsoft.Extensions.AI's TextReasoningContent; Semantic Kernel's connectors put reasoning in the message's
    // items as ReasoningContent (StreamingReasoningContent in a stream), before the text.
#pragma warning disable SKEXP0110 // Semantic Kernel's reasoning contents are marked experimental
    private static void AddReasoning(ChatMessageContent message)
    {
        var contents = message.InnerContent switch
        {
            IEnumerable<AIContent> c => c,
            ChatMessage m => m.Contents,
            ChatResponse r => r.Messages.SelectMany(m => m.Contents),
            _ => [],
        };
        string reasoning = string.Concat(contents.OfType<TextReasoningContent>().Select(r => r.Text));
        if (reasoning.Length > 0 && !message.Items.OfType<ReasoningContent>().Any())
            message.Items.Insert(0, new ReasoningContent(reasoning) { ModelId = message.ModelId });
    }

    private static void AddReasoning(StreamingChatMessageContent chunk)
    {
        if (chunk.Items.OfType<StreamingReasoningContent>().Any()) return;
        string reasoning = chunk.InnerContent switch
        {
            GenerationUpdate u => u.Reasoning,                                       // the bridge keeps the update's raw representation
            ChatResponseUpdate update => string.Concat(update.Contents.OfType<TextReasoningContent>().Select(r => r.Text)),
            IEnumerable<AIContent> contents => string.Concat(contents.OfType<TextReasoningContent>().Select(r => r.Text)),
            _ => "",
        };
        if (reasoning.Length > 0) chunk.Items.Insert(0, new StreamingReasoningContent(reasoning) { ModelId = chunk.ModelId });
    }
#pragma warning restore SKEXP0110

    // A remote engine's update carries the server's raw chunk, which has no reasoning once the SDK split it from raw text: an
    // update with reasoning gets its contents as raw representation instead, which the bridge keeps as InnerContent (AddReasoning).
    private static async IAsyncEnumerable<ChatResponseUpdate> ReasoningAsInnerContent(IEnumerable<ChatMessage> messages, ChatOptions? options,
        IChatClient inner, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in inner.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.RawRepresentation is not GenerationUpdate && update.Contents.OfType<TextReasoningContent>().Any())
                update.RawRepresentation = update.Contents.ToList();
            yield return update;
        }
    }

    // The model calls "plugin_function" (Semantic Kernel's tool name); split it where the kernel has that plugin and function. A
    // malformed call carries its error as its raw representation (LongCatChatClient), which the bridge keeps as InnerContent.
    private static void QualifyFunctionCalls(ChatMessageContent message, Kernel kernel)
    {
        for (int i = 0; i < message.Items.Count; i++)
        {
            if (message.Items[i] is not Microsoft.SemanticKernel.FunctionCallContent call) continue;
            string functionName = call.FunctionName;
            string? pluginName = call.PluginName;
            if (pluginName is null)
                foreach (var plugin in kernel.Plugins)
                {
                    string prefix = plugin.Name + "_";
                    if (!functionName.StartsWith(prefix, StringComparison.Ordinal) || !plugin.TryGetFunction(functionName[prefix.Length..], out var f)) continue;
                    (functionName, pluginName) = (f.Name, plugin.Name);
                    break;
                }
            var error = call.Exception ?? call.InnerContent as Exception;
            if (pluginName == call.PluginName && error == call.Exception) continue;
            message.Items[i] = new Microsoft.SemanticKernel.FunctionCallContent(functionName, pluginName, call.Id, call.Arguments)
            {
                InnerContent = call.InnerContent, Metadata = call.Metadata, ModelId = call.ModelId, Exception = error,
            };
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var settings = LongCatPromptExecutionSettings.FromExecutionSettings(executionSettings, _logger);
        await foreach (var chunk in _inner.GetStreamingChatMessageContentsAsync(chatHistory, settings, kernel, cancellationToken).ConfigureAwait(false))
        {
            // The bridge files the stream's UsageContent under "Usage"; the answer's usage is a UsageDetails: one type for both.
            if (chunk.Metadata is { } metadata && metadata.TryGetValue(LongCatChatClient.UsageKey, out var usage) && usage is UsageContent content)
                chunk.Metadata = new Dictionary<string, object?>(metadata) { [LongCatChatClient.UsageKey] = content.Details };
            AddReasoning(chunk);
            yield return chunk;
        }
    }
}
