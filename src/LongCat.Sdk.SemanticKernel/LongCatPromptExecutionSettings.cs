using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LongCat.Sdk.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;

namespace LongCat.Sdk.SemanticKernel;

/// <summary>
/// Semantic Kernel execution settings for LongCat, under the JSON names Semantic Kernel's own connectors use (so prompt
/// templates and plain <see cref="PromptExecutionSettings"/> with extension data carry over): <c>temperature</c>,
/// <c>top_p</c>, <c>top_k</c>, <c>min_p</c>, <c>max_tokens</c>, <c>stop_sequences</c>, <c>seed</c>,
/// <c>presence_penalty</c>, <c>frequency_penalty</c>, <c>repetition_penalty</c>, and <c>response_format</c>. Unset values fall
/// back to the service's defaults.
/// </summary>
public sealed class LongCatPromptExecutionSettings : PromptExecutionSettings
{
    private float? _temperature, _topP, _minP, _presencePenalty, _frequencyPenalty, _repetitionPenalty;
    private int? _topK, _maxTokens;
    private long? _seed;
    private IList<string>? _stopSequences;
    private object? _responseFormat;
    private bool? _enableThinking;
    private int? _thinkingBudget;

    /// <summary>Softmax temperature; 0 is greedy.</summary>
    [JsonPropertyName("temperature")]
    public float? Temperature { get => _temperature; set { ThrowIfFrozen(); _temperature = value; } }

    /// <summary>Nucleus sampling: keep the most likely tokens up to this probability mass.</summary>
    [JsonPropertyName("top_p")]
    public float? TopP { get => _topP; set { ThrowIfFrozen(); _topP = value; } }

    /// <summary>Keep only the k most likely tokens (0: off).</summary>
    [JsonPropertyName("top_k")]
    public int? TopK { get => _topK; set { ThrowIfFrozen(); _topK = value; } }

    /// <summary>Drop tokens less likely than min-p × the top probability.</summary>
    [JsonPropertyName("min_p")]
    public float? MinP { get => _minP; set { ThrowIfFrozen(); _minP = value; } }

    /// <summary>Most tokens to generate.</summary>
    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get => _maxTokens; set { ThrowIfFrozen(); _maxTokens = value; } }

    /// <summary>Strings that end generation (never part of the output).</summary>
    [JsonPropertyName("stop_sequences")]
    public IList<string>? StopSequences { get => _stopSequences; set { ThrowIfFrozen(); _stopSequences = value; } }

    /// <summary>Sampling seed: the same seed, prompt and settings give the same output.</summary>
    [JsonPropertyName("seed")]
    public long? Seed { get => _seed; set { ThrowIfFrozen(); _seed = value; } }

    /// <summary>OpenAI presence penalty, in [-2, 2].</summary>
    [JsonPropertyName("presence_penalty")]
    public float? PresencePenalty { get => _presencePenalty; set { ThrowIfFrozen(); _presencePenalty = value; } }

    /// <summary>OpenAI frequency penalty, in [-2, 2].</summary>
    [JsonPropertyName("frequency_penalty")]
    public float? FrequencyPenalty { get => _frequencyPenalty; set { ThrowIfFrozen(); _frequencyPenalty = value; } }

    /// <summary>CTRL / Hugging Face repetition penalty (1: off).</summary>
    [JsonPropertyName("repetition_penalty")]
    public float? RepetitionPenalty { get => _repetitionPenalty; set { ThrowIfFrozen(); _repetitionPenalty = value; } }

    /// <summary>
    /// The answer's format, enforced while decoding, as Semantic Kernel's OpenAI connector takes it: a <see cref="Type"/> (its JSON
    /// schema, as <c>GetResponseAsync&lt;T&gt;</c> makes it), <c>"json_object"</c> (any JSON value), <c>"text"</c>, a JSON schema
    /// (as a <see cref="JsonElement"/>, <see cref="JsonNode"/> or JSON text), OpenAI's <c>{"type": "json_schema", "json_schema":
    /// {"schema": ...}}</c> or <c>{"type": "json_object"}</c>, or a <see cref="ChatResponseFormat"/>.
    /// </summary>
    [JsonPropertyName("response_format")]
    public object? ResponseFormat { get => _responseFormat; set { ThrowIfFrozen(); _responseFormat = value; } }

    /// <summary>Whether a thinking model reasons before it answers (the chat template's <c>enable_thinking</c>; null: its default).</summary>
    [JsonPropertyName("enable_thinking")]
    public bool? EnableThinking { get => _enableThinking; set { ThrowIfFrozen(); _enableThinking = value; } }

    /// <summary>The most tokens a thinking model may reason before <c>&lt;/longcat_think&gt;</c> is forced (null: no limit).</summary>
    [JsonPropertyName("thinking_budget")]
    public int? ThinkingBudget { get => _thinkingBudget; set { ThrowIfFrozen(); _thinkingBudget = value; } }

    /// <inheritdoc/>
    public override void Freeze()
    {
        if (IsFrozen) return;
        base.Freeze();
        if (_stopSequences is not null) _stopSequences = _stopSequences.ToList().AsReadOnly();
    }

    /// <inheritdoc/>
    public override PromptExecutionSettings Clone() => new LongCatPromptExecutionSettings
    {
        ServiceId = ServiceId,
        ModelId = ModelId,
        FunctionChoiceBehavior = FunctionChoiceBehavior,
        ExtensionData = ExtensionData is null ? null : new Dictionary<string, object>(ExtensionData),
        Temperature = Temperature, TopP = TopP, TopK = TopK, MinP = MinP, MaxTokens = MaxTokens,
        StopSequences = StopSequences?.ToList(), Seed = Seed,
        PresencePenalty = PresencePenalty, FrequencyPenalty = FrequencyPenalty, RepetitionPenalty = RepetitionPenalty,
        ResponseFormat = ResponseFormat, EnableThinking = EnableThinking, ThinkingBudget = ThinkingBudget,
    };

    private static readonly JsonSerializerOptions Permissive = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        AllowTrailingCommas = true,
    };

    /// <summary>Other connectors' names for LongCat's settings (Ollama's <c>stop</c> and <c>num_predict</c>, OpenAI's
    /// <c>max_completion_tokens</c>, Gemini's <c>max_output_tokens</c>), read where the LongCat name is not given.</summary>
    private static readonly (string Alias, string Name)[] Aliases =
        [("stop", "stop_sequences"), ("max_completion_tokens", "max_tokens"), ("max_output_tokens", "max_tokens"), ("num_predict", "max_tokens")];

    /// <summary>
    /// Reads any settings as LongCat settings: these settings as they are, plain <see cref="PromptExecutionSettings"/> (or another
    /// connector's) through their JSON form, so extension data such as <c>{"temperature": 0.2, "max_tokens": "64"}</c> sets the
    /// typed properties (numbers may be strings; names are matched ignoring case; <c>stop</c> may be one string or a list, and
    /// the aliases other connectors use are read: <c>stop</c>, <c>num_predict</c>, <c>max_completion_tokens</c>,
    /// <c>max_output_tokens</c>). Keys LongCat does not read stay in <see cref="PromptExecutionSettings.ExtensionData"/> and are
    /// logged as ignored through <paramref name="logger"/>. Function choice, service id and model id carry over.
    /// </summary>
    /// <exception cref="ArgumentException">A known setting has a value of the wrong type; the message names it.</exception>
    public static LongCatPromptExecutionSettings FromExecutionSettings(PromptExecutionSettings? settings, ILogger? logger = null)
    {
        switch (settings)
        {
            case null: return new LongCatPromptExecutionSettings();
            case LongCatPromptExecutionSettings { ExtensionData: null or { Count: 0 } } longCat: return longCat;
        }
        var copy = settings.Clone();
        copy.FunctionChoiceBehavior = null;   // carried over as is below, not through JSON
        // A response format may be a Type or a ChatResponseFormat (OpenAI's connector takes both): carried over as is too.
        object? responseFormat = null;
        if (copy.GetType().GetProperty("ResponseFormat") is { CanRead: true, CanWrite: true } property && property.GetValue(copy) is { } typed)
        {
            responseFormat = typed;
            property.SetValue(copy, null);
        }
        if (copy.ExtensionData?.Keys.FirstOrDefault(k => string.Equals(k, "response_format", StringComparison.OrdinalIgnoreCase)) is { } formatKey)
        {
            responseFormat ??= copy.ExtensionData[formatKey];
            copy.ExtensionData = new Dictionary<string, object>(copy.ExtensionData);
            copy.ExtensionData.Remove(formatKey);
        }
        LongCatPromptExecutionSettings? result;
        try
        {
            var json = JsonSerializer.SerializeToNode(copy, copy.GetType(), Permissive) as JsonObject ?? [];
            foreach (var (alias, name) in Aliases)
            {
                if (Find(json, alias) is not { } key) continue;
                var value = json[key];
                json.Remove(key);
                if (Find(json, name) is not null) continue;                         // the LongCat name wins
                json[name] = name == "stop_sequences" && value is JsonValue one ? new JsonArray(one.DeepClone()) : value;
            }
            result = json.Deserialize<LongCatPromptExecutionSettings>(Permissive);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Execution settings: '{e.Path?.TrimStart('$', '.')}' has a value LongCat cannot read ({e.Message})", nameof(settings), e);
        }
        result ??= new LongCatPromptExecutionSettings();
        result.ServiceId = settings.ServiceId;
        result.ModelId = settings.ModelId;
        result.FunctionChoiceBehavior = settings.FunctionChoiceBehavior;
        if (responseFormat is not null) result.ResponseFormat = responseFormat;
        if (logger is not null && result.ExtensionData is { Count: > 0 } unknown)
            foreach (string key in unknown.Keys)
                logger.LogWarning("Execution setting '{Setting}' is not one LongCat reads; it is ignored.", key);
        return result;
    }

    private static string? Find(JsonObject json, string name) =>
        json.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>These settings as Microsoft.Extensions.AI options (tools excluded): what the chat client maps to the engine.</summary>
    internal ChatOptions ToChatOptions()
    {
        var options = new ChatOptions
        {
            Temperature = Temperature, TopP = TopP, TopK = TopK, MaxOutputTokens = MaxTokens, Seed = Seed,
            PresencePenalty = PresencePenalty, FrequencyPenalty = FrequencyPenalty,
            StopSequences = StopSequences?.ToList(),
            ResponseFormat = ToChatResponseFormat(ResponseFormat),
        };
        if (MinP is not null) (options.AdditionalProperties ??= [])[LongCatChatClient.MinPKey] = MinP.Value;
        if (RepetitionPenalty is not null) (options.AdditionalProperties ??= [])[LongCatChatClient.RepetitionPenaltyKey] = RepetitionPenalty.Value;
        if (EnableThinking is not null) (options.AdditionalProperties ??= [])[LongCatChatClient.EnableThinkingKey] = EnableThinking.Value;
        if (ThinkingBudget is not null) (options.AdditionalProperties ??= [])[LongCatChatClient.ThinkingBudgetKey] = ThinkingBudget.Value;
        return options;
    }

    /// <summary><see cref="ResponseFormat"/> as Microsoft.Extensions.AI's format (null: text).</summary>
    /// <exception cref="ArgumentException">A value of another kind, or a string that is neither a format name nor JSON.</exception>
    internal static ChatResponseFormat? ToChatResponseFormat(object? format)
    {
        switch (format)
        {
            case null: return null;
            case ChatResponseFormat f: return f;
            case Type type: return ChatResponseFormat.ForJsonSchema(AIJsonUtilities.CreateJsonSchema(type), type.Name);
            case JsonNode node: return ToChatResponseFormat(JsonSerializer.SerializeToElement(node));
            case string text:
                switch (text.Trim())
                {
                    case "text": return ChatResponseFormat.Text;
                    case "json_object" or "json": return ChatResponseFormat.Json;
                }
                try
                {
                    using var document = JsonDocument.Parse(text);
                    return ToChatResponseFormat(document.RootElement.Clone());
                }
                catch (JsonException e)
                {
                    throw new ArgumentException($"response_format: '{text}' is neither \"text\", \"json_object\" nor a JSON schema ({e.Message}).", nameof(format), e);
                }
            case JsonElement { ValueKind: JsonValueKind.String } name: return ToChatResponseFormat(name.GetString());
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                // OpenAI's shapes: {"type": "text" | "json_object" | "json_schema", "json_schema": {"name", "schema"}}; else a schema.
                if (e.TryGetProperty("type", out var kind) && kind.ValueKind == JsonValueKind.String)
                    switch (kind.GetString())
                    {
                        case "text": return ChatResponseFormat.Text;
                        case "json_object": return ChatResponseFormat.Json;
                        case "json_schema":
                            if (e.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object && js.TryGetProperty("schema", out var schema))
                                return ChatResponseFormat.ForJsonSchema(schema.Clone(), js.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null);
                            throw new ArgumentException("response_format: type \"json_schema\" needs \"json_schema\": {\"schema\": ...}.", nameof(format));
                    }
                return ChatResponseFormat.ForJsonSchema(e.Clone());
            default:
                throw new ArgumentException($"response_format: a {format.GetType().Name} is not a format LongCat reads (a Type, \"json_object\", a JSON schema or a ChatResponseFormat).", nameof(format));
        }
    }

    /// <summary>The engine's options: these settings over <paramref name="defaults"/>.</summary>
    internal GenerationOptions ToGenerationOptions(GenerationOptions? defaults) => LongCatChatClient.ToGenerationOptions(ToChatOptions(), defaults);
}
