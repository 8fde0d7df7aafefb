using System.Runtime.CompilerServices;
using System.Text;
using LongCat.Sdk.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Services;
using Microsoft.SemanticKernel.TextGeneration;

namespace LongCat.Sdk.SemanticKernel;

/// <summary>
/// A LongCat model as a Semantic Kernel <see cref="ITextGenerationService"/>: continues the prompt text as it is (no chat
/// template), streaming first. The last item carries the finish reason and token usage in its metadata.
/// </summary>
/// <remarks>Thread-safe; the engine is not owned.</remarks>
public sealed class LongCatTextGenerationService : ITextGenerationService
{
    /// <summary>Metadata key of the finish reason (<see cref="LongCat.Sdk.FinishReason"/> as text).</summary>
    public const string FinishReasonKey = LongCatChatClient.FinishReasonKey;

    /// <summary>Metadata key of the usage (a Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.UsageDetails"/>, as the
    /// chat completion service's).</summary>
    public const string UsageKey = LongCatChatClient.UsageKey;

    private readonly GenerationOptions _defaults;
    private readonly Func<CancellationToken, ValueTask<LongCatEngine>> _engine;
    private readonly ILogger? _logger;

    /// <summary>Creates the service over <paramref name="engine"/>.</summary>
    /// <param name="engine">A loaded engine with a tokenizer (not owned).</param>
    /// <param name="defaults">Generation settings where a request's settings leave them unset.</param>
    /// <param name="loggerFactory">Logs settings LongCat ignores.</param>
    public LongCatTextGenerationService(LongCatEngine engine, GenerationOptions? defaults = null, ILoggerFactory? loggerFactory = null)
        : this(_ => ValueTask.FromResult(engine), engine?.ModelId ?? throw new ArgumentNullException(nameof(engine)), defaults, loggerFactory)
    {
    }

    /// <summary>Creates the service over the engine <paramref name="provider"/> loads on the first request (not owned).</summary>
    /// <param name="provider">The engine's provider.</param>
    /// <param name="defaults">Generation settings where a request's settings leave them unset.</param>
    /// <param name="loggerFactory">Logs settings LongCat ignores.</param>
    public LongCatTextGenerationService(LongCatEngineProvider provider, GenerationOptions? defaults = null, ILoggerFactory? loggerFactory = null)
        : this((provider ?? throw new ArgumentNullException(nameof(provider))).GetEngineAsync, provider.ModelId, defaults, loggerFactory)
    {
    }

    private LongCatTextGenerationService(Func<CancellationToken, ValueTask<LongCatEngine>> engine, string modelId, GenerationOptions? defaults,
        ILoggerFactory? loggerFactory)
    {
        defaults?.Validate();
        _engine = engine;
        _defaults = defaults ?? new GenerationOptions();
        _logger = loggerFactory?.CreateLogger<LongCatTextGenerationService>();
        Attributes = new Dictionary<string, object?> { [AIServiceExtensions.ModelIdKey] = modelId };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Attributes { get; }

    /// <summary>The engine that answers (loading it first when the service is over a provider).</summary>
    public ValueTask<LongCatEngine> GetEngineAsync(CancellationToken cancellationToken = default) => _engine(cancellationToken);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TextContent>> GetTextContentsAsync(string prompt, PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        IReadOnlyDictionary<string, object?>? metadata = null;
        GenerationUpdate? last = null;
        await foreach (var chunk in GetStreamingTextContentsAsync(prompt, executionSettings, kernel, cancellationToken).ConfigureAwait(false))
        {
            text.Append(chunk.Text);
            metadata = chunk.Metadata ?? metadata;
            last = chunk.InnerContent as GenerationUpdate ?? last;
        }
        return [new TextContent(text.ToString(), Attributes[AIServiceExtensions.ModelIdKey] as string, last, Encoding.UTF8, metadata)];
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<StreamingTextContent> GetStreamingTextContentsAsync(string prompt, PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var options = LongCatPromptExecutionSettings.FromExecutionSettings(executionSettings, _logger).ToGenerationOptions(_defaults);
        var engine = await _engine(cancellationToken).ConfigureAwait(false);
        await foreach (var u in engine.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            if (u.FinishReason == FinishReason.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new OperationCanceledException("The engine ended the request: it is shutting down.");
            }
            if (u.Text.Length == 0 && u.FinishReason is null) continue;
            var metadata = u.FinishReason is null ? null : new Dictionary<string, object?>
            {
                [FinishReasonKey] = u.FinishReason.ToString(),
                [UsageKey] = u.Usage is { } usage ? LongCatChatClient.ToUsageDetails(usage) : null,
            };
            yield return new StreamingTextContent(u.Text, 0, engine.ModelId, u, Encoding.UTF8, metadata);
        }
    }
}
