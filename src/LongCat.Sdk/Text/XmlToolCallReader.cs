using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>
/// Reads the body of a LongCat-Flash-Thinking-2601 tool call (LONGCAT-THINKING.md §4, §6.2): the function's name, then
/// <c>&lt;longcat_arg_key&gt;k&lt;/longcat_arg_key&gt;</c> / <c>&lt;longcat_arg_value&gt;v&lt;/longcat_arg_value&gt;</c> pairs.
/// Values are raw text; each takes its type from the tool's schema: a parameter whose <c>type</c> is <c>"string"</c> keeps the
/// text, any other (or an unknown parameter) is read as JSON, then as a Python literal (<c>True</c>, <c>'x'</c>, ...), else kept
/// as text. A body that starts with <c>{</c> is the JSON format (<see cref="ToolCallParser.TryReadCall"/>), as mlx-lm reads it.
/// </summary>
/// <remarks>
/// Stricter than the engines' regexes where they would guess: text other than whitespace between pairs, a key without a
/// value, an empty or repeated key, or a name holding a tag makes the block malformed (reported, never a wrong call). A
/// missing <c>&lt;/longcat_arg_key&gt;</c> or <c>&lt;/longcat_arg_value&gt;</c> is accepted where the next tag settles where it ends (FLM's fallbacks).
/// </remarks>
internal static class XmlToolCallReader
{
    public const string KeyOpen = "<longcat_arg_key>";
    public const string KeyClose = "</longcat_arg_key>";
    public const string ValueOpen = "<longcat_arg_value>";
    public const string ValueClose = "</longcat_arg_value>";

    /// <summary>Reads one call's body (the text between the tool-call tags).</summary>
    /// <param name="body">The body.</param>
    /// <param name="tools">The offered tools, whose schemas type the values; null or a missing tool: every value is read as JSON first.</param>
    /// <param name="call">The call, arguments as compact JSON.</param>
    public static bool TryReadCall(ReadOnlySpan<char> body, IReadOnlyList<ToolDefinition>? tools, out ToolCall call)
    {
        call = null!;
        var text = body.ToString();
        if (text.AsSpan().TrimStart().StartsWith("{")) return ToolCallParser.TryReadCall(body, out call);

        int firstKey = text.IndexOf(KeyOpen, StringComparison.Ordinal);
        string name = (firstKey < 0 ? text : text[..firstKey]).Trim();
        if (name.Length == 0 || name.Contains('<') || name.Contains('\n')) return false;
        var properties = PropertiesOf(tools, name);

        var args = new List<(string Key, string Json)>();
        int pos = firstKey < 0 ? text.Length : firstKey;
        while (pos < text.Length)
        {
            pos = SkipWhitespace(text, pos);
            if (pos == text.Length) break;
            if (!At(text, pos, KeyOpen)) return false;
            int keyStart = pos + KeyOpen.Length;
            int keyEnd = text.IndexOf(KeyClose, keyStart, StringComparison.Ordinal);
            int firstValue = text.IndexOf(ValueOpen, keyStart, StringComparison.Ordinal);
            if (keyEnd >= 0 && firstValue >= 0 && firstValue < keyEnd) keyEnd = -1;                 // that close belongs to a later key
            int valueOpen;
            if (keyEnd >= 0)
            {
                valueOpen = SkipWhitespace(text, keyEnd + KeyClose.Length);
                if (!At(text, valueOpen, ValueOpen)) return false;
            }
            else
            {
                valueOpen = firstValue;                                                           // the close tag is missing
                if (valueOpen < 0) return false;
                keyEnd = valueOpen;
            }
            string key = text[keyStart..keyEnd].Trim();
            if (key.Length == 0 || key.Contains('<') || args.Exists(a => a.Key == key)) return false;

            int valueStart = valueOpen + ValueOpen.Length;
            int valueEnd = text.IndexOf(ValueClose, valueStart, StringComparison.Ordinal);
            int next;
            if (valueEnd >= 0)
            {
                int nextKey = text.IndexOf(KeyOpen, valueStart, StringComparison.Ordinal);
                if (nextKey >= 0 && nextKey < valueEnd) valueEnd = next = nextKey;                // this value's close is missing
                else next = valueEnd + ValueClose.Length;
            }
            else
            {
                int nextKey = text.IndexOf(KeyOpen, valueStart, StringComparison.Ordinal);
                valueEnd = next = nextKey >= 0 ? nextKey : text.Length;
            }
            string value = text[valueStart..valueEnd].Trim();
            args.Add((key, TypedValue(value, IsStringParameter(properties, key))));
            pos = next;
        }

        var json = new StringBuilder("{");
        for (int i = 0; i < args.Count; i++)
        {
            if (i > 0) json.Append(',');
            PythonJson.WriteString(json, args[i].Key, ensureAscii: false);
            json.Append(':').Append(args[i].Json);
        }
        call = new ToolCall(name, json.Append('}').ToString());
        return true;
    }

    /// <summary>The value as compact JSON: a string parameter's text as a JSON string; otherwise JSON, a Python literal, or the text.</summary>
    internal static string TypedValue(string value, bool isString)
    {
        if (!isString)
        {
            if (TryJson(value) is { } json) return json;
            if (PythonLiteral.TryToJson(value) is { } literal) return literal;
        }
        var sb = new StringBuilder();
        PythonJson.WriteString(sb, value, ensureAscii: false);
        return sb.ToString();
    }

    private static string? TryJson(string value)
    {
        if (value.Length == 0) return null;
        try
        {
            using var doc = JsonDocument.Parse(value);
            return PythonJson.Serialize(doc.RootElement, JsonStyle.Compact);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? PropertiesOf(IReadOnlyList<ToolDefinition>? tools, string name)
    {
        if (tools is null) return null;
        foreach (var tool in tools)
        {
            if (tool.Name != name) continue;
            return tool.Parameters.ValueKind == JsonValueKind.Object && tool.Parameters.TryGetProperty("properties", out var p)
                && p.ValueKind == JsonValueKind.Object ? p : null;
        }
        return null;
    }

    // Exactly "type": "string" keeps the raw text (FLM's rule); a type list that allows only strings and null does too.
    internal static bool IsStringParameter(JsonElement? properties, string key)
    {
        if (properties is not { } p || !p.TryGetProperty(key, out var schema) || schema.ValueKind != JsonValueKind.Object
            || !schema.TryGetProperty("type", out var type))
            return false;
        if (type.ValueKind == JsonValueKind.String) return type.ValueEquals("string");
        if (type.ValueKind != JsonValueKind.Array) return false;
        bool hasString = false;
        foreach (var t in type.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.String) return false;
            if (t.ValueEquals("string")) hasString = true;
            else if (!t.ValueEquals("null")) return false;
        }
        return hasString;
    }

    private static int SkipWhitespace(string text, int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        return pos;
    }

    private static bool At(string text, int pos, string tag) => string.CompareOrdinal(text, pos, tag, 0, tag.Length) == 0;
}
