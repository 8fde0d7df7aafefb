using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>
/// Reading helpers for tokenizer.json that turn every problem into an <see cref="InvalidCheckpointException"/> (malformed)
/// or an <see cref="UnsupportedTokenizerException"/> (well formed, not implemented) naming the file and the JSON path.
/// </summary>
internal readonly struct TokenizerJson(string file)
{
    public string File => file;

    public InvalidCheckpointException Invalid(string path, string problem, Exception? inner = null) =>
        new(file, $"field '{path}': {problem}", inner);

    public UnsupportedTokenizerException Unsupported(string path, string what) => new(file, path, what);

    public JsonElement Required(JsonElement parent, string name, string path, JsonValueKind kind)
    {
        if (!parent.TryGetProperty(name, out var value)) throw Invalid(path, "missing");
        if (value.ValueKind != kind) throw Invalid(path, $"expected {Describe(kind)}, found {Describe(value.ValueKind)}");
        return value;
    }

    /// <summary>The property, or null when it is absent or JSON null.</summary>
    public JsonElement? Optional(JsonElement parent, string name)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value;
    }

    public string String(JsonElement parent, string name, string path) => Required(parent, name, path, JsonValueKind.String).GetString()!;

    public string? OptionalString(JsonElement parent, string name, string path)
    {
        if (Optional(parent, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String) throw Invalid(path, $"expected a string, found {Describe(value.ValueKind)}");
        return value.GetString();
    }

    public bool Bool(JsonElement parent, string name, string path, bool fallback)
    {
        if (Optional(parent, name) is not { } value) return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(path, $"expected true or false, found {Describe(value.ValueKind)}"),
        };
    }

    public int Id(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id
            : throw Invalid(path, $"expected a token id (an integer ≥ 0), found {value.GetRawText()}");

    /// <summary>The component's "type", which must be one of <paramref name="supported"/>.</summary>
    public string Type(JsonElement component, string path, params string[] supported)
    {
        if (component.ValueKind != JsonValueKind.Object) throw Invalid(path, $"expected an object, found {Describe(component.ValueKind)}");
        string type = String(component, "type", path + ".type");
        if (!supported.Contains(type))
            throw Unsupported(path + ".type", $"'{type}' is not supported (supported: {string.Join(", ", supported)})");
        return type;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
