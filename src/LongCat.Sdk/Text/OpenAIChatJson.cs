using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>
/// Reads conversations and tools in the OpenAI chat shape (what <c>longcat template</c> and an HTTP request carry):
/// messages <c>{"role", "content", "reasoning_content", "tool_calls": [{"id", "type": "function", "function": {"name",
/// "arguments"}}], "name", "tool_call_id"}</c>, content a string, null, or a list of <c>{"type": "text", "text"}</c> parts;
/// tools <c>{"type": "function", "function": {"name", "description", "parameters"}}</c> (a bare function object is read too).
/// Tool-call arguments may be a JSON object or a string holding one.
/// </summary>
internal static class OpenAIChatJson
{
    /// <summary>The messages of a JSON array.</summary>
    /// <exception cref="ArgumentException">The JSON does not have the shape; the message names the path (<c>messages[2].role</c>).</exception>
    public static List<LongCatMessage> ParseMessages(JsonElement messages, string path = "messages")
    {
        if (messages.ValueKind != JsonValueKind.Array) throw Error(path, $"must be an array of messages, not {Kind(messages)}");
        var list = new List<LongCatMessage>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            string at = $"{path}[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw Error(at, $"must be an object, not {Kind(m)}");
            var role = String(m, "role", at) switch
            {
                "system" or "developer" => LongCatRole.System,
                "user" => LongCatRole.User,
                "assistant" => LongCatRole.Assistant,
                "tool" => LongCatRole.Tool,
                null => throw Error(at + ".role", "is required"),
                var other => throw Error(at + ".role", $"'{other}' is not a role (system, developer, user, assistant or tool)"),
            };
            var message = new LongCatMessage(role, Content(m, at))
            {
                Reasoning = String(m, "reasoning_content", at) ?? String(m, "reasoning", at),
                Name = String(m, "name", at),
                ToolCallId = String(m, "tool_call_id", at),
            };
            if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null)
            {
                if (role != LongCatRole.Assistant) throw Error(at + ".tool_calls", "only an assistant message makes tool calls");
                message = message with { ToolCalls = ToolCalls(calls, at + ".tool_calls") };
            }
            list.Add(message);
        }
        return list;
    }

    /// <summary>The tools of a JSON array.</summary>
    /// <exception cref="ArgumentException">The JSON does not have the shape; the message names the path.</exception>
    public static List<ToolDefinition> ParseTools(JsonElement tools, string path = "tools")
    {
        if (tools.ValueKind != JsonValueKind.Array) throw Error(path, $"must be an array of tools, not {Kind(tools)}");
        var list = new List<ToolDefinition>();
        int i = 0;
        foreach (var t in tools.EnumerateArray())
        {
            string at = $"{path}[{i++}]";
            if (t.ValueKind != JsonValueKind.Object) throw Error(at, $"must be an object, not {Kind(t)}");
            var f = t;
            if (t.TryGetProperty("type", out var type))
            {
                if (type.ValueKind != JsonValueKind.String || !type.ValueEquals("function"))
                    throw Error(at + ".type", "must be \"function\" (the only kind of tool a local model can call)");
                if (!t.TryGetProperty("function", out f) || f.ValueKind != JsonValueKind.Object) throw Error(at + ".function", "must be an object");
                at += ".function";
            }
            string name = String(f, "name", at) ?? throw Error(at + ".name", "is required");
            if (name.Length == 0) throw Error(at + ".name", "is empty");
            string description = String(f, "description", at) ?? "";
            var parameters = f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : default;
            if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object)) throw Error(at + ".parameters", $"must be a JSON schema object, not {Kind(parameters)}");
            list.Add(new ToolDefinition(name, description, parameters));
        }
        return list;
    }

    /// <summary>OpenAI's <c>tool_choice</c>: <c>"auto"</c>, <c>"none"</c>, <c>"required"</c>, or
    /// <c>{"type": "function", "function": {"name": ...}}</c> (that function is required); null: auto.</summary>
    /// <exception cref="ArgumentException">Another value; the message names the path.</exception>
    public static ToolChoice ParseToolChoice(JsonElement choice, string path = "tool_choice")
    {
        switch (choice.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return ToolChoice.Auto;
            case JsonValueKind.String:
                return choice.GetString() switch
                {
                    "auto" => ToolChoice.Auto,
                    "none" => ToolChoice.None,
                    "required" => ToolChoice.Required(),
                    var other => throw Error(path, $"'{other}' is not a tool choice (auto, none, required or {{\"type\": \"function\", \"function\": {{\"name\": ...}}}})"),
                };
            case JsonValueKind.Object:
                if (String(choice, "type", path) is { } type && type != "function") throw Error(path + ".type", $"must be \"function\", not '{type}'");
                if (!choice.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object) throw Error(path + ".function", "must be an object naming the function");
                string name = String(f, "name", path + ".function") ?? throw Error(path + ".function.name", "is required");
                return ToolChoice.Required(name);
            default:
                throw Error(path, $"must be a string or an object, not {Kind(choice)}");
        }
    }

    /// <summary>OpenAI's <c>response_format</c> as the engine's constraint: <c>{"type": "text"}</c> (or null): none;
    /// <c>{"type": "json_object"}</c>: one JSON value; <c>{"type": "json_schema", "json_schema": {"name", "schema"}}</c>: a value
    /// of the schema (any JSON value when it gives no schema).</summary>
    /// <exception cref="ArgumentException">Another shape; the message names the path. The schema's keywords are checked when a
    /// request uses it (<see cref="JsonSchemaException"/>).</exception>
    public static OutputConstraint? ParseResponseFormat(JsonElement format, string path = "response_format")
    {
        if (format.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (format.ValueKind != JsonValueKind.Object) throw Error(path, $"must be an object, not {Kind(format)}");
        switch (String(format, "type", path))
        {
            case null:
                throw Error(path + ".type", "is required (text, json_object or json_schema)");
            case "text":
                return null;
            case "json_object":
                return OutputConstraint.Json;
            case "json_schema":
                if (!format.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object)
                    throw Error(path + ".json_schema", "must be an object: {\"name\": ..., \"schema\": {...}}");
                if (!js.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null) return OutputConstraint.Json;
                if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
                    throw Error(path + ".json_schema.schema", $"must be a JSON schema (an object), not {Kind(schema)}");
                return OutputConstraint.JsonSchema(schema);
            case var other:
                throw Error(path + ".type", $"'{other}' is not a response format (text, json_object or json_schema)");
        }
    }

    private static List<ToolCall> ToolCalls(JsonElement calls, string path)
    {
        if (calls.ValueKind != JsonValueKind.Array) throw Error(path, $"must be an array, not {Kind(calls)}");
        var list = new List<ToolCall>();
        int i = 0;
        foreach (var c in calls.EnumerateArray())
        {
            string at = $"{path}[{i++}]";
            if (c.ValueKind != JsonValueKind.Object) throw Error(at, $"must be an object, not {Kind(c)}");
            bool wrapped = c.TryGetProperty("function", out var fn) && fn.ValueKind == JsonValueKind.Object;
            var f = wrapped ? fn : c;
            string fAt = wrapped ? at + ".function" : at;
            string name = String(f, "name", fAt) ?? throw Error(fAt + ".name", "is required");
            string arguments = "{}";
            if (f.TryGetProperty("arguments", out var a))
            {
                arguments = a.ValueKind switch
                {
                    JsonValueKind.Object => a.GetRawText(),
                    JsonValueKind.Null => "{}",
                    JsonValueKind.String => ObjectText(a.GetString()!, fAt + ".arguments"),
                    _ => throw Error(fAt + ".arguments", $"must be an object or a string holding one, not {Kind(a)}"),
                };
            }
            list.Add(new ToolCall(name, arguments, String(c, "id", at)));
        }
        return list;
    }

    private static string ObjectText(string text, string path)
    {
        if (string.IsNullOrWhiteSpace(text)) return "{}";
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error(path, $"must hold a JSON object, not {Kind(doc.RootElement)}");
            return doc.RootElement.GetRawText();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: is not valid JSON: {e.Message}", e);
        }
    }

    // A string, null (empty), or text parts joined.
    private static string Content(JsonElement m, string path)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw Error(path + ".content", $"must be a string, null or a list of text parts, not {Kind(c)}");
        var sb = new StringBuilder();
        int i = 0;
        foreach (var part in c.EnumerateArray())
        {
            string at = $"{path}.content[{i++}]";
            if (part.ValueKind != JsonValueKind.Object) throw Error(at, $"must be an object, not {Kind(part)}");
            string type = String(part, "type", at) ?? throw Error(at + ".type", "is required");
            if (type != "text") throw Error(at + ".type", $"'{type}' is not supported; LongCat models read text only");
            sb.Append(String(part, "text", at) ?? throw Error(at + ".text", "is required"));
        }
        return sb.ToString();
    }

    private static string? String(JsonElement o, string name, string path)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw Error($"{path}.{name}", $"must be a string, not {Kind(v)}");
        try
        {
            return v.GetString();
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{path}.{name}: is not a valid string ({e.Message})", e);
        }
    }

    private static string Kind(JsonElement e) => TokenizerJson.Describe(e.ValueKind);

    private static ArgumentException Error(string path, string problem) => new($"{path}: {problem}.");
}
