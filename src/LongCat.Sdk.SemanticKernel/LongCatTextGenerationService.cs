using System.Runtime.CompilerServices;
using System.Text;
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
    public const string FinishReasonKey = "FinishReason";

    /// <summary>Metadata key of the <see cref="GenerationUsage"/>.</summary>
    public const string UsageKey = "Usage";

    private readonly GenerationOptions _defaults;

    /// <summary>Creates the service over <paramref name="engine"/>.</summary>
    /// <param name="engine">A loaded engine with a tokenizer (not owned).</param>
    /// <param name="defaults">Generation settings where a request's settings leave them unset.</param>
    public LongCatTextGenerationService(LongCatEngine engine, GenerationOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        defaults?.Validate();
        Engine = engine;
        _defaults = defaults ?? new GenerationOptions();
        Attributes = new Dictionary<string, object?> { [AIServiceExtensions.ModelIdKey] = engine.ModelId };
    }

    /// <summary>The engine that answers.</summary>
    public LongCatEngine Engine { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Attributes { get; }

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
        return [new TextContent(text.ToString(), Engine.ModelId, last, Encoding.UTF8, metadata)];
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<StreamingTextContent> GetStreamingTextContentsAsync(string prompt, PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var options = LongCatPromptExecutionSettings.FromExecutionSettings(executionSettings).ToGenerationOptions(_defaults);
        await foreach (var u in Engine.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false))
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
                [UsageKey] = u.Usage,
            };
            yield return new StreamingTextContent(u.Text, 0, Engine.ModelId, u, Encoding.UTF8, metadata);
        }
    }
}
