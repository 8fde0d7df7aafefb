using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>
/// Reads tool calls out of generated text: every <c>&lt;longcat_tool_call&gt;...&lt;/longcat_tool_call&gt;</c> block, its body read
/// by a <see cref="ToolCallBodyReader"/>: LongCat-Flash-Chat's JSON (<c>{"name": ..., "arguments": ...}</c>, whitespace allowed
/// around it) by default, or the 2601 family's XML (<see cref="XmlToolCallReader"/>).
/// Never throws on model output: a block it cannot read is left in the content and reported in
/// <see cref="ToolCallParseResult.Malformed"/>.
/// </summary>
/// <remarks><see cref="ToolCallStreamFilter"/> applies the same rules to a stream; the text it emits, concatenated, equals
/// <see cref="ToolCallParseResult.Content"/>.</remarks>
internal static class ToolCallParser
{
    /// <summary>Reads the JSON-format body (LongCat-Flash-Chat's).</summary>
    public static readonly ToolCallBodyReader Json = TryReadCall;

    /// <summary>The tag that opens a tool-call block.</summary>
    public const string OpenTag = "<longcat_tool_call>";

    /// <summary>The tag that closes a tool-call block.</summary>
    public const string CloseTag = "</longcat_tool_call>";

    /// <summary>Splits <paramref name="text"/> into content and tool calls.</summary>
    /// <param name="text">The model's output.</param>
    /// <param name="reader">Reads a block's body: <see cref="Json"/> (the default) or an XML reader (<see cref="ToolCallSyntaxes.Reader"/>).</param>
    public static ToolCallParseResult Parse(string text, ToolCallBodyReader? reader = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        reader ??= Json;
        if (!text.Contains(OpenTag, StringComparison.Ordinal))
            return new ToolCallParseResult(text, [], []);

        var content = new System.Text.StringBuilder(text.Length);
        var calls = new List<ToolCall>();
        var malformed = new List<string>();
        int pos = 0;
        while (pos < text.Length)
        {
            int open = text.IndexOf(OpenTag, pos, StringComparison.Ordinal);
            if (open < 0) { content.Append(text, pos, text.Length - pos); break; }
            content.Append(text, pos, open - pos);

            int bodyStart = open + OpenTag.Length;
            int close = text.IndexOf(CloseTag, bodyStart, StringComparison.Ordinal);
            if (close < 0)
            {
                // Unterminated: the rest is text, flagged.
                malformed.Add(text[open..]);
                content.Append(text, open, text.Length - open);
                break;
            }

            int end = close + CloseTag.Length;
            if (reader(text.AsSpan(bodyStart, close - bodyStart), out var call))
            {
                calls.Add(call);
            }
            else
            {
                malformed.Add(text[open..end]);
                content.Append(text, open, end - open);
            }
            pos = end;
        }
        return new ToolCallParseResult(content.ToString(), calls, malformed);
    }

    /// <summary>
    /// Reads the JSON between the tags: an object with a non-empty string <c>name</c> and <c>arguments</c> that is an object,
    /// a JSON string holding an object, or absent/null (read as <c>{}</c>). Arguments come back compact.
    /// </summary>
    internal static bool TryReadCall(ReadOnlySpan<char> body, out ToolCall call)
    {
        call = null!;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.Trim().ToString());
        }
        catch (JsonException)
        {
            return false;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (!root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return false;
            string? nameText = name.GetString();
            if (string.IsNullOrWhiteSpace(nameText)) return false;

            string? args;
            if (!root.TryGetProperty("arguments", out var arguments) || arguments.ValueKind == JsonValueKind.Null) args = "{}";
            else if (arguments.ValueKind == JsonValueKind.Object) args = PythonJson.Serialize(arguments, JsonStyle.Compact);
            else if (arguments.ValueKind == JsonValueKind.String) args = ReadStringArguments(arguments.GetString()!);
            else args = null;
            if (args is null) return false;

            call = new ToolCall(nameText, args);
            return true;
        }
    }

    // Some models (and OpenAI-style clients) double-encode: "arguments": "{\"city\": \"Paris\"}".
    private static string? ReadStringArguments(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return "{}";
        try
        {
            using var inner = JsonDocument.Parse(json);
            return inner.RootElement.ValueKind == JsonValueKind.Object
                ? PythonJson.Serialize(inner.RootElement, JsonStyle.Compact)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Reads the body of one tool-call block (the text between its tags) as a call; false when it is not one.</summary>
internal delegate bool ToolCallBodyReader(ReadOnlySpan<char> body, out ToolCall call);

/// <summary>How a model writes a tool call's body.</summary>
internal enum ToolCallSyntax
{
    /// <summary>LongCat-Flash-Chat and Flash-Thinking: <c>{"name": ..., "arguments": {...}}</c>.</summary>
    Json,
    /// <summary>Flash-Thinking-2601 and its family: <c>name\n&lt;longcat_arg_key&gt;k&lt;/longcat_arg_key&gt;\n&lt;longcat_arg_value&gt;v&lt;/longcat_arg_value&gt;</c>.</summary>
    Xml,
}

internal static class ToolCallSyntaxes
{
    /// <summary>The body reader of <paramref name="syntax"/>; XML values are typed by <paramref name="tools"/>' schemas.</summary>
    public static ToolCallBodyReader Reader(this ToolCallSyntax syntax, IReadOnlyList<ToolDefinition>? tools) => syntax == ToolCallSyntax.Json
        ? ToolCallParser.Json
        : (ReadOnlySpan<char> body, out ToolCall call) => XmlToolCallReader.TryReadCall(body, tools, out call);
}
