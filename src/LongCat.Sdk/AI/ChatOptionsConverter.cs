using System.Globalization;
using System.Text.Json;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.AI;

/// <summary>
/// Maps Microsoft.Extensions.AI <see cref="ChatOptions"/> onto the engine's <see cref="GenerationOptions"/>: the typed settings,
/// the LongCat-only ones carried in <see cref="ChatOptions.AdditionalProperties"/>, and the tools with their tool mode.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Temperature, TopP, TopK, MaxOutputTokens, PresencePenalty, FrequencyPenalty, StopSequences</term><description>the same-named options.</description></item>
/// <item><term>Seed</term><description>the seed; a value outside the <see cref="int"/> range is folded into it (the same seed still gives the same output).</description></item>
/// <item><term>AdditionalProperties</term><description><c>min_p</c>, <c>repetition_penalty</c> (numbers, or strings holding numbers);
/// <c>enable_thinking</c> (bool), <c>thinking_budget</c> (int), <c>chat_template_kwargs</c> (a dictionary or JSON object),
/// <c>heavy_thinking</c> (int: Heavy Thinking with that many paths); other keys are ignored.</description></item>
/// <item><term>Reasoning</term><description>an effort of None turns a thinking model's thinking off, any other effort on
/// (<see cref="GenerationOptions.EnableThinking"/>; <c>enable_thinking</c> wins when both are given).</description></item>
/// <item><term>Tools</term><description>every <see cref="AIFunctionDeclaration"/> becomes a <see cref="ToolDefinition"/> with its JSON schema; other tool kinds are not supported.</description></item>
/// <item><term>ToolMode</term><description>Auto, None and Required (any or one named function) become <see cref="ToolChoice"/>.</description></item>
/// <item><term>ResponseFormat</term><description><see cref="ChatResponseFormat.Json"/> constrains the answer to one JSON value,
/// <see cref="ChatResponseFormat.ForJsonSchema(JsonElement, string?, string?)"/> (what <c>GetResponseAsync&lt;T&gt;</c> sends) to
/// a value of the schema (<see cref="OutputConstraint"/>), enforced token by token; text: unconstrained.</description></item>
/// </list>
/// <see cref="ChatOptions.Instructions"/> is rendered as the system prompt by <see cref="LongCatChatClient"/>.
/// </remarks>
internal static class ChatOptionsConverter
{
    public const string MinPKey = LongCatChatClient.MinPKey;
    public const string RepetitionPenaltyKey = LongCatChatClient.RepetitionPenaltyKey;
    public const string EnableThinkingKey = LongCatChatClient.EnableThinkingKey;
    public const string ThinkingBudgetKey = LongCatChatClient.ThinkingBudgetKey;
    public const string ChatTemplateArgumentsKey = LongCatChatClient.ChatTemplateArgumentsKey;
    public const string HeavyThinkingKey = LongCatChatClient.HeavyThinkingKey;

    /// <summary>Thinking on for any effort but <see cref="ReasoningEffort.None"/>, off for it; null when no effort is set.</summary>
    public static bool? ThinkingOf(ReasoningOptions? reasoning) => reasoning?.Effort switch
    {
        null => null,
        ReasoningEffort.None => false,
        _ => true,
    };

    private static bool? Flag(AdditionalPropertiesDictionary? properties, string key)
    {
        if (properties is null || !properties.TryGetValue(key, out object? value) || value is null) return null;
        return value switch
        {
            bool b => b,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            JsonElement { ValueKind: JsonValueKind.False } => false,
            string s when bool.TryParse(s, out bool parsed) => parsed,
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a bool; got {value.GetType().Name} '{value}'.", nameof(properties)),
        };
    }

    private static int? Count(AdditionalPropertiesDictionary? properties, string key)
    {
        if (properties is null || !properties.TryGetValue(key, out object? value) || value is null) return null;
        return value switch
        {
            int i => i,
            long l and >= int.MinValue and <= int.MaxValue => (int)l,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out int i) => i,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) => parsed,
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be an integer; got {value.GetType().Name} '{value}'.", nameof(properties)),
        };
    }

    // chat_template_kwargs: a dictionary, or a JSON object (what an HTTP body carries).
    private static IReadOnlyDictionary<string, object?>? TemplateArguments(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(ChatTemplateArgumentsKey, out object? value) || value is null) return null;
        return value switch
        {
            IReadOnlyDictionary<string, object?> d => d,
            IDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            JsonElement { ValueKind: JsonValueKind.Object } e => e.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal),
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{ChatTemplateArgumentsKey}\"] must be a dictionary or a JSON object; got {value.GetType().Name}.", nameof(properties)),
        };
    }

    /// <summary>Applies <paramref name="options"/> over <paramref name="defaults"/> (null: <see cref="GenerationOptions"/>'s defaults).</summary>
    /// <exception cref="ArgumentException">An additional property is not a number, or a tool is not a function.</exception>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GenerationOptions? defaults = null)
    {
        var g = defaults ?? new GenerationOptions();
        if (options is null) return g;
        g = g with
        {
            Temperature = options.Temperature ?? g.Temperature,
            TopP = options.TopP ?? g.TopP,
            TopK = options.TopK ?? g.TopK,
            MaxTokens = options.MaxOutputTokens ?? g.MaxTokens,
            PresencePenalty = options.PresencePenalty ?? g.PresencePenalty,
            FrequencyPenalty = options.FrequencyPenalty ?? g.FrequencyPenalty,
            Seed = options.Seed is long seed ? FoldSeed(seed) : g.Seed,
            StopSequences = options.StopSequences is { Count: > 0 } stops ? [.. g.StopSequences, .. stops] : g.StopSequences,
            MinP = Number(options.AdditionalProperties, MinPKey) ?? g.MinP,
            RepetitionPenalty = Number(options.AdditionalProperties, RepetitionPenaltyKey) ?? g.RepetitionPenalty,
            Constraint = ToConstraint(options.ResponseFormat) ?? g.Constraint,
            EnableThinking = Flag(options.AdditionalProperties, EnableThinkingKey) ?? ThinkingOf(options.Reasoning) ?? g.EnableThinking,
            ThinkingBudget = Count(options.AdditionalProperties, ThinkingBudgetKey) ?? g.ThinkingBudget,
            ChatTemplateArguments = TemplateArguments(options.AdditionalProperties) ?? g.ChatTemplateArguments,
            HeavyThinking = Count(options.AdditionalProperties, HeavyThinkingKey) is int paths ? new HeavyThinkingOptions(paths) : g.HeavyThinking,
        };
        if (options.Tools is not { Count: > 0 } tools) return g;
        return g with { Tools = [.. g.Tools ?? [], .. tools.Select(ToToolDefinition)], ToolChoice = ToToolChoice(options.ToolMode) };
    }

    /// <summary>A function declaration as the chat template advertises it: name, description and JSON schema.</summary>
    /// <exception cref="ArgumentException"><paramref name="tool"/> is not an <see cref="AIFunctionDeclaration"/>.</exception>
    public static ToolDefinition ToToolDefinition(AITool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (tool is not AIFunctionDeclaration function)
            throw new ArgumentException(
                $"ChatOptions.Tools: '{tool.Name}' is a {tool.GetType().Name}; LongCat runs locally and can only call functions (AIFunctionDeclaration).", nameof(tool));
        return new ToolDefinition(function.Name, function.Description, function.JsonSchema);
    }

    /// <summary>The output constraint of a response format: null for text (or none), JSON, or a JSON schema's value.</summary>
    public static OutputConstraint? ToConstraint(ChatResponseFormat? format) => format switch
    {
        null or ChatResponseFormatText => null,
        ChatResponseFormatJson { Schema: { } schema } => OutputConstraint.JsonSchema(schema),
        ChatResponseFormatJson => OutputConstraint.Json,
        _ => throw new ArgumentException($"ChatOptions.ResponseFormat: unknown format {format.GetType().Name}.", nameof(format)),
    };

    /// <summary>The engine's <see cref="ToolChoice"/> for a <see cref="ChatToolMode"/> (null: Auto).</summary>
    public static ToolChoice ToToolChoice(ChatToolMode? mode) => mode switch
    {
        null or AutoChatToolMode => ToolChoice.Auto,
        NoneChatToolMode => ToolChoice.None,
        RequiredChatToolMode required => ToolChoice.Required(required.RequiredFunctionName),
        _ => throw new ArgumentException($"ChatOptions.ToolMode: unknown mode {mode.GetType().Name}.", nameof(mode)),
    };

    // Keeps every int seed as is; a long outside the range is folded (high half XOR low half), deterministically.
    internal static int FoldSeed(long seed) => seed is >= int.MinValue and <= int.MaxValue ? (int)seed : unchecked((int)(seed ^ (seed >> 32)));

    private static float? Number(AdditionalPropertiesDictionary? properties, string key)
    {
        if (properties is null || !properties.TryGetValue(key, out object? value) || value is null) return null;
        float? number = value switch
        {
            float f => f,
            double d => (float)d,
            decimal m => (float)m,
            int or long or short or byte or uint or ulong => Convert.ToSingle(value, CultureInfo.InvariantCulture),
            string s when float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) => parsed,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetSingle(),
            JsonElement { ValueKind: JsonValueKind.String } e when float.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) => parsed,
            _ => null,
        };
        return number ?? throw new ArgumentException(
            $"ChatOptions.AdditionalProperties[\"{key}\"] must be a number; got {value.GetType().Name} '{value}'.", nameof(properties));
    }
}
