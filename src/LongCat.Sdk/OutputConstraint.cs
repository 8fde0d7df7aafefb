using System.Text.Json;

namespace LongCat.Sdk;

/// <summary>What a generation's output must be, enforced token by token (every token that cannot continue a valid output is
/// masked before sampling): any JSON value, a value of a JSON schema, a match of a regular expression, or one of several
/// strings. Set it as <see cref="GenerationOptions.Constraint"/>; the output ends (end of turn) exactly when it is complete.</summary>
/// <remarks>
/// <para>Schemas and patterns are compiled when the request is made, once per distinct text (cached with the model): an invalid
/// or unsupported one throws <see cref="JsonSchemaException"/> naming the keyword and where it is. docs/STRUCTURED-OUTPUT.md
/// lists the supported keywords, the regular-expression subset and the whitespace the JSON may hold.</para>
/// <para>The model still chooses among the allowed tokens (sampling, seeds and speculative decoding as without a constraint);
/// MaxTokens can end an output before it is complete (<see cref="FinishReason.Length"/>). Where no token of the vocabulary can
/// continue, generation ends with <see cref="FinishReason.NoAllowedToken"/>.</para>
/// </remarks>
public sealed class OutputConstraint
{
    private OutputConstraint(OutputConstraintKind kind, string text, IReadOnlyList<string> choices)
    {
        Kind = kind;
        Text = text;
        Choices = choices;
    }

    /// <summary>Which kind of constraint this is.</summary>
    public OutputConstraintKind Kind { get; }

    /// <summary>The JSON schema (as JSON text) or the regular expression; empty for <see cref="Json"/> and choices.</summary>
    public string Text { get; }

    /// <summary>The strings of a <see cref="Choice"/> constraint; empty otherwise.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>Any one JSON value (object, array, string, number, true, false or null).</summary>
    public static OutputConstraint Json { get; } = new(OutputConstraintKind.Json, "", []);

    /// <summary>One JSON value valid against <paramref name="schema"/> (JSON text of a JSON Schema, draft 2020-12 keywords).</summary>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not JSON; its keywords are checked when a request uses it.</exception>
    public static OutputConstraint JsonSchema(string schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        try
        {
            using var document = JsonDocument.Parse(schema);
            return new(OutputConstraintKind.JsonSchema, document.RootElement.GetRawText(), []);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The JSON schema is not valid JSON: {e.Message}", nameof(schema), e);
        }
    }

    /// <summary>One JSON value valid against <paramref name="schema"/>.</summary>
    public static OutputConstraint JsonSchema(JsonElement schema) =>
        schema.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
            ? new(OutputConstraintKind.JsonSchema, schema.GetRawText(), [])
            : throw new ArgumentException($"A JSON schema is an object or a boolean; got {schema.ValueKind}.", nameof(schema));

    /// <summary>Text matching the whole of <paramref name="pattern"/> (the subset docs/STRUCTURED-OUTPUT.md lists).</summary>
    public static OutputConstraint Regex(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return new(OutputConstraintKind.Regex, pattern, []);
    }

    /// <summary>Exactly one of <paramref name="choices"/>.</summary>
    /// <exception cref="ArgumentException">No choices, or an empty or null one.</exception>
    public static OutputConstraint Choice(params IEnumerable<string> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        string[] list = [.. choices];
        if (list.Length == 0) throw new ArgumentException("A choice constraint needs at least one string.", nameof(choices));
        for (int i = 0; i < list.Length; i++)
            if (string.IsNullOrEmpty(list[i])) throw new ArgumentException($"Choice {i} is null or empty.", nameof(choices));
        return new(OutputConstraintKind.Choice, "", list);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        OutputConstraintKind.Choice => $"Choice({string.Join(", ", Choices)})",
        OutputConstraintKind.Json => "Json",
        _ => $"{Kind}({Text})",
    };
}

/// <summary>The kinds of <see cref="OutputConstraint"/>.</summary>
public enum OutputConstraintKind
{
    /// <summary>Any JSON value.</summary>
    Json,
    /// <summary>A value of a JSON schema.</summary>
    JsonSchema,
    /// <summary>A match of a regular expression.</summary>
    Regex,
    /// <summary>One of several strings.</summary>
    Choice,
}
