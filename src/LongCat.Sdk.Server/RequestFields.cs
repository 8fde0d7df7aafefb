using System.Text.Json;

namespace LongCat.Sdk.Server;

/// <summary>
/// Typed reads of a request body's top-level fields: each absent or null field is null, each one of the wrong type a 400
/// naming it (<c>temperature must be a number, not a string</c>).
/// </summary>
internal readonly struct RequestFields(JsonElement body)
{
    public JsonElement Body { get; } = body;

    /// <summary>The field, or null when it is absent or JSON null.</summary>
    public JsonElement? Get(string name) =>
        Body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        var v => throw Wrong(name, "a string", v.Value),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw Wrong(name, "true or false", v.Value),
    };

    public float? Float(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetDouble(out double d) && float.IsFinite((float)d) => (float)d,
        var v => throw Wrong(name, "a number", v.Value),
    };

    public long? Long(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out long l) => l,
        var v => throw Wrong(name, "an integer", v.Value),
    };

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? Int(string name, int min, int max, string? why = null)
    {
        if (Long(name) is not long value) return null;
        if (value < min || value > max)
            throw ApiError.BadRequest(name, $"{name} must be between {min} and {max}{why}; got {value}.");
        return (int)value;
    }

    public static ApiError Wrong(string name, string expected, JsonElement value) =>
        ApiError.BadRequest(name, $"{name} must be {expected}, not {Describe(value)}.");

    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
