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

    public string String(JsonElement parent, string name, string path) => Text(Required(parent, name, path, JsonValueKind.String), path);

    public string? OptionalString(JsonElement parent, string name, string path)
    {
        if (Optional(parent, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String) throw Invalid(path, $"expected a string, found {Describe(value.ValueKind)}");
        return Text(value, path);
    }

    // A \uD800-style escape without its pair is valid JSON syntax but no string: GetString and JsonProperty.Name throw
    // InvalidOperationException on it (the file's UTF-8 was checked when it was parsed), so every string is read through these.
    private const string LoneSurrogate = "contains an unpaired UTF-16 surrogate escape (\\ud800-\\udfff without its other half)";

    /// <summary>A string value.</summary>
    public string Text(JsonElement value, string path)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(path, LoneSurrogate, e);
        }
    }

    /// <summary>An object's key.</summary>
    public string Key(JsonProperty property, string path)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(path, "the key " + LoneSurrogate, e);
        }
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

    /// <summary>Above this an id is taken for a corrupt file (tables are sized by the largest id; real vocabularies stay under 2^20).</summary>
    public const int MaxTokenId = (1 << 24) - 1;

    public int Id(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id is >= 0 and <= MaxTokenId
            ? id
            : throw Invalid(path, $"expected a token id (an integer from 0 to {MaxTokenId}), found {value.GetRawText()}");

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
