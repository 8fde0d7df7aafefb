using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Structured;

internal sealed partial class JsonSchemaCompiler
{
    /// <summary>
    /// The body of one tool call as LongCat writes it between <c>&lt;longcat_tool_call&gt;</c> and <c>&lt;/longcat_tool_call&gt;</c>:
    /// <c>\n{"name": NAME, "arguments": ARGS}\n</c>, NAME one of <paramref name="tools"/> and ARGS a value of that tool's
    /// parameter schema (none: an object with no properties). The tools' schemas go under one document's <c>$defs</c> (their
    /// local <c>$ref</c>s rewritten to point there), as the branches of an <c>anyOf</c> of call objects.
    /// </summary>
    /// <exception cref="JsonSchemaException">A tool's parameter schema is invalid or unsupported (the message names the tool).</exception>
    public static CompiledGrammar ToolCalls(IReadOnlyList<ToolDefinition> tools) => CompileToolCalls(tools, ToolCallSyntax.Json);

    /// <summary>
    /// The body of one tool call in the 2601 family's XML (<see cref="XmlToolCallReader"/>): <c>NAME\n</c>, then for each property
    /// of that tool's schema, in the schema's order (required ones always, the others optionally),
    /// <c>&lt;longcat_arg_key&gt;KEY&lt;/longcat_arg_key&gt;\n&lt;longcat_arg_value&gt;VALUE&lt;/longcat_arg_value&gt;\n</c>. A
    /// parameter the reader keeps as text (<c>"type": "string"</c>) is raw text without <c>&lt;</c>; any other is a JSON value of
    /// its schema, as the reader parses it.
    /// </summary>
    /// <exception cref="JsonSchemaException">A tool's parameter schema is invalid or unsupported (the message names the tool).</exception>
    public static CompiledGrammar XmlToolCalls(IReadOnlyList<ToolDefinition> tools) => CompileToolCalls(tools, ToolCallSyntax.Xml);

    // Raw text of a string value: any character but '<' (which would start the closing tag).
    private static readonly GrammarExpr RawText = GrammarExpr.Star(CodePointSet.FromRanges([(0, '<' - 1), ('<' + 1, 0xD7FF), (0xE000, 0x10FFFF)]).ToUtf8());

    private GrammarExpr XmlArguments(JsonElement schema, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
            return GrammarExpr.Empty;
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array)
            foreach (var name in r.EnumerateArray())
                if (name.ValueKind == JsonValueKind.String) required.Add(name.GetString()!);
        var items = new List<GrammarExpr>();
        foreach (var p in properties.EnumerateObject())
        {
            if (p.Name.Contains('<') || p.Name.Trim().Length != p.Name.Length || p.Name.Length == 0)
                throw new JsonSchemaException(path + "/properties", "properties", $"the parameter name '{p.Name}' cannot be written in the XML format.");
            var value = XmlToolCallReader.IsStringParameter(properties, p.Name) ? RawText : Value(p.Value, path + "/properties/" + p.Name);
            var pair = GrammarExpr.Sequence(
                GrammarExpr.Literal(XmlToolCallReader.KeyOpen + p.Name + XmlToolCallReader.KeyClose + "\n" + XmlToolCallReader.ValueOpen),
                value,
                GrammarExpr.Literal(XmlToolCallReader.ValueClose + "\n"));
            items.Add(required.Contains(p.Name) ? pair : GrammarExpr.Optional(pair));
        }
        return GrammarExpr.Sequence(items);
    }

    private static CompiledGrammar CompileToolCalls(IReadOnlyList<ToolDefinition> tools, ToolCallSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(tools);
        if (tools.Count == 0) throw new ArgumentException("No tools to call.", nameof(tools));
        var defs = new JsonObject();
        var branches = new JsonArray();
        for (int i = 0; i < tools.Count; i++)
        {
            var parameters = tools[i].Parameters;
            JsonNode schema = parameters.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
                ? RewriteRefs(JsonNode.Parse(parameters.GetRawText())!, $"#/$defs/tool{i}")
                : new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            defs[$"tool{i}"] = schema;
            branches.Add((JsonNode)new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["name"] = new JsonObject { ["const"] = tools[i].Name },
                    ["arguments"] = new JsonObject { ["$ref"] = $"#/$defs/tool{i}" },
                },
                ["required"] = new JsonArray("name", "arguments"),
                ["additionalProperties"] = false,
            });
        }
        using var document = JsonDocument.Parse(new JsonObject { ["anyOf"] = branches, ["$defs"] = defs }.ToJsonString());
        var root = document.RootElement;
        try
        {
            var compiler = new JsonSchemaCompiler(root, []);
            var grammar = syntax == ToolCallSyntax.Json
                ? compiler.Build(_ => GrammarExpr.Sequence(GrammarExpr.Literal("\n"), compiler.Value(root, "#"), GrammarExpr.Literal("\n")))
                : compiler.Build(_ => GrammarExpr.Choice(tools.Select((t, i) => GrammarExpr.Sequence(
                    GrammarExpr.Literal(t.Name + "\n"), compiler.XmlArguments(root.GetProperty("$defs").GetProperty($"tool{i}"), $"#/$defs/tool{i}")))));
            if (grammar.MatchesNothing) throw new JsonSchemaException("#", "schema", "no tool's parameters can be written.");
            return grammar;
        }
        catch (JsonSchemaException e) when (e.Path is { } path && path.StartsWith("#/$defs/tool", StringComparison.Ordinal))
        {
            // Name the tool and the pointer inside its own schema.
            string rest = path["#/$defs/tool".Length..];
            int slash = rest.IndexOf('/');
            int index = int.Parse(slash < 0 ? rest : rest[..slash], System.Globalization.CultureInfo.InvariantCulture);
            string inner = "#" + (slash < 0 ? "" : rest[slash..]);
            string keyword = e.Keyword ?? "schema";
            int at = e.Message.IndexOf($"'{keyword}': ", StringComparison.Ordinal);
            throw new JsonSchemaException($"tool '{tools[index].Name}' parameters {inner}", keyword,
                at < 0 ? e.Message : e.Message[(at + keyword.Length + 4)..]);
        }
    }

    // Local references ("#", "#/...") of a schema moved to base: "#/$defs/Foo" becomes base + "/$defs/Foo".
    private static JsonNode RewriteRefs(JsonNode node, string baseRef)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key == "$ref" && value is JsonValue v && v.TryGetValue(out string? r) && r.StartsWith('#'))
                        o[key] = baseRef + r[1..];
                    else if (value is not null) RewriteRefs(value, baseRef);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    if (item is not null) RewriteRefs(item, baseRef);
                break;
        }
        return node;
    }
}
