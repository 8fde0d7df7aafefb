using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Reads the JSON files of a model folder (config.json, generation_config.json, the shard index, the draft vocabulary,
/// tokenizer.json) as <see cref="RegularFile"/>s of bounded size, and parses them refusing invalid UTF-8: System.Text.Json
/// accepts it and throws InvalidOperationException at the first read of the string, so it is found here, up front, with the
/// JSON path of the value or key that holds it.
/// </summary>
/// <remarks>An unpaired surrogate escape (<c>"\ud800"</c>) is valid UTF-8 and valid JSON syntax, but no string either: readers
/// of string values still guard their reads against it.</remarks>
internal static class JsonFile
{
    /// <summary>Reads and parses <paramref name="path"/> (errors as <see cref="RegularFile.Resolve"/>).</summary>
    public static JsonDocument Read(string path, long maxBytes, Func<string, Exception?, LongCatException>? error = null, int maxDepth = 64)
    {
        error ??= (problem, inner) => new InvalidCheckpointException(path, problem, inner);
        return Parse(RegularFile.ReadAll(path, maxBytes, error), error, maxDepth);
    }

    /// <summary>Parses UTF-8 JSON; invalid UTF-8 and invalid JSON are exceptions from <paramref name="error"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, Func<string, Exception?, LongCatException> error, int maxDepth = 64)
    {
        int bad = FirstInvalidUtf8(utf8.Span);
        if (bad >= 0)
        {
            string where = PathAt(utf8.Span, bad);
            throw error($"not valid UTF-8 (byte {bad}{(where.Length > 0 ? ", in " + where : "")})", null);
        }
        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw error($"not valid JSON: {e.Message}", e);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Unicode.Utf8.IsValid(utf8)) return -1;
        for (int i = 0; i < utf8.Length;)
        {
            if (Rune.DecodeFromUtf8(utf8[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }

    /// <summary>
    /// The JSON path of the token that holds byte <paramref name="offset"/> (<c>model.vocab["ab"]</c>, <c>added_tokens[3].content</c>;
    /// a key is named as <c>… (a key)</c>), or "" when the text is not JSON up to there.
    /// </summary>
    public static string PathAt(ReadOnlySpan<byte> json, long offset)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 1024 });
        var open = new List<(string Path, int NextIndex)>();       // the containers around the reader; NextIndex -1 for objects
        string key = "";
        try
        {
            while (reader.Read())
            {
                bool here = reader.TokenStartIndex <= offset && offset < reader.BytesConsumed;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        key = Encoding.UTF8.GetString(reader.ValueSpan);
                        if (here) return Child(open, key) + " (a key)";
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        open.Add((Child(open, key), reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.RemoveAt(open.Count - 1);
                        Advance(open);
                        break;
                    default:
                        if (here) return Child(open, key);
                        Advance(open);
                        break;
                }
            }
        }
        catch (JsonException) { }
        return "";

        static void Advance(List<(string Path, int NextIndex)> open)
        {
            if (open.Count > 0 && open[^1].NextIndex >= 0) open[^1] = (open[^1].Path, open[^1].NextIndex + 1);
        }
    }

    // The path of the next value in the innermost open container: its index in an array, its key in an object.
    private static string Child(List<(string Path, int NextIndex)> open, string key)
    {
        if (open.Count == 0) return "";
        var (path, index) = open[^1];
        if (index >= 0) return $"{path}[{index}]";
        bool plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return plain ? (path.Length == 0 ? key : $"{path}.{key}") : $"{path}[\"{key}\"]";
    }
}
