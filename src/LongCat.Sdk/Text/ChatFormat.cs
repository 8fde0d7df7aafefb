using System.Text.Json;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Templates;

namespace LongCat.Sdk.Text;

/// <summary>
/// How a model's conversations are written and read: the checkpoint's own chat template when it has one (run by the Jinja
/// interpreter, as transformers' <c>apply_chat_template</c> runs it), else LongCat-Flash-Chat's format (<see cref="ChatTemplate"/>);
/// the tool-call syntax its output uses (JSON, or the 2601 family's XML when the template declares
/// <c>&lt;longcat_arg_key&gt;</c>); and whether it thinks (<c>&lt;longcat_think&gt;</c> and <c>&lt;/longcat_think&gt;</c> are tokens).
/// </summary>
/// <remarks>
/// Template sources, as transformers reads them: <c>chat_template.jinja</c> in the model folder, else <c>chat_template.json</c>'s
/// <c>chat_template</c> (what processors save), else tokenizer_config.json's <c>chat_template</c>: a string, or a list of <c>{"name", "template"}</c> from which <c>default</c> is used (<c>tool_use</c>
/// when tools are offered and it exists). The template is parsed at load: an unsupported construct fails the load.
/// </remarks>
internal sealed class ChatFormat
{
    /// <summary>The largest tokenizer_config.json or chat_template.jinja read.</summary>
    private const long MaxTemplateFileBytes = 16L << 20;

    /// <summary>LongCat-Flash-Chat's built-in format (no template in the checkpoint).</summary>
    public static ChatFormat FlashChat { get; } = new(null, null, null, new Dictionary<string, object?>(), ToolCallSyntax.Json);

    private readonly JinjaTemplate? _template;
    private readonly JinjaTemplate? _toolTemplate;
    private readonly IReadOnlyDictionary<string, object?> _specialTokens;

    private ChatFormat(JinjaTemplate? template, JinjaTemplate? toolTemplate, string? source,
        IReadOnlyDictionary<string, object?> specialTokens, ToolCallSyntax syntax)
    {
        _template = template;
        _toolTemplate = toolTemplate;
        Source = source;
        _specialTokens = specialTokens;
        ToolSyntax = syntax;
    }

    /// <summary>The template's source (the default one of a named list); null for the built-in format.</summary>
    public string? Source { get; }

    /// <summary>Whether prompts come from a template rather than the built-in format.</summary>
    public bool HasTemplate => _template is not null;

    /// <summary>How the model writes a tool call's body.</summary>
    public ToolCallSyntax ToolSyntax { get; }

    /// <summary>The format of a model folder.</summary>
    /// <exception cref="InvalidCheckpointException">tokenizer_config.json or chat_template.jinja cannot be read, or its
    /// <c>chat_template</c> has the wrong shape.</exception>
    /// <exception cref="ChatTemplateException">The template has a syntax error or an unsupported construct (the message names
    /// the file, the construct and the line).</exception>
    public static ChatFormat Load(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        string configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        string jinjaPath = Path.Combine(modelDirectory, "chat_template.jinja");
        var specialTokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        string? source = null, toolSource = null, origin = null;
        if (RegularFile.Exists(configPath))
        {
            using var doc = JsonFile.Read(configPath, MaxTemplateFileBytes);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidCheckpointException(configPath, "not a JSON object");
            foreach (var name in (ReadOnlySpan<string>)["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"])
                if (SpecialToken(root, name) is { } token) specialTokens[name] = token;
            if (root.TryGetProperty("chat_template", out var template))
            {
                origin = "tokenizer_config.json chat_template";
                (source, toolSource) = ReadTemplateField(configPath, template);
            }
        }
        string jsonPath = Path.Combine(modelDirectory, "chat_template.json");
        if (RegularFile.Exists(jsonPath))
        {
            using var doc = JsonFile.Read(jsonPath, MaxTemplateFileBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("chat_template", out var template))
                throw new InvalidCheckpointException(jsonPath, "must be an object with a \"chat_template\"");
            (source, toolSource) = ReadTemplateField(jsonPath, template);
            origin = "chat_template.json";
        }
        if (RegularFile.Exists(jinjaPath))
        {
            source = System.Text.Encoding.UTF8.GetString(RegularFile.ReadAll(jinjaPath, MaxTemplateFileBytes));
            toolSource = null;
            origin = "chat_template.jinja";
        }
        if (source is null) return FlashChat;
        return FromSource(source, toolSource, specialTokens, origin!);
    }

    /// <summary>A format from a template's source (<c>longcat template --template FILE</c>, tests).</summary>
    /// <exception cref="ChatTemplateException">The template has a syntax error or an unsupported construct.</exception>
    public static ChatFormat FromSource(string source, string? toolSource = null, IReadOnlyDictionary<string, object?>? specialTokens = null,
        string origin = "the chat template")
    {
        ArgumentNullException.ThrowIfNull(source);
        var template = Parse(source, origin);
        var toolTemplate = toolSource is null ? null : Parse(toolSource, origin + " (tool_use)");
        var syntax = source.Contains(XmlToolCallReader.KeyOpen, StringComparison.Ordinal) ? ToolCallSyntax.Xml : ToolCallSyntax.Json;
        return new ChatFormat(template, toolTemplate, source, specialTokens ?? new Dictionary<string, object?>(), syntax);
    }

    private static JinjaTemplate Parse(string source, string origin)
    {
        try
        {
            return JinjaTemplate.Parse(source);
        }
        catch (ChatTemplateException e)
        {
            throw new ChatTemplateException($"{origin}: {e.Message}", e) { Line = e.Line };
        }
    }

    // A string, or a list of {"name", "template"} (transformers' named templates).
    private static (string? Default, string? ToolUse) ReadTemplateField(string path, JsonElement field)
    {
        if (field.ValueKind == JsonValueKind.Null) return (null, null);
        if (field.ValueKind == JsonValueKind.String) return (field.GetString(), null);
        if (field.ValueKind != JsonValueKind.Array)
            throw new InvalidCheckpointException(path, $"chat_template must be a string or a list of {{\"name\", \"template\"}}, not {field.ValueKind}");
        string? first = null, def = null, tool = null;
        int i = 0;
        foreach (var entry in field.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("template", out var text) || text.ValueKind != JsonValueKind.String)
                throw new InvalidCheckpointException(path, $"chat_template[{i}] must be an object with string \"name\" and \"template\"");
            string t = text.GetString()!;
            first ??= t;
            if (name.ValueEquals("default")) def = t;
            else if (name.ValueEquals("tool_use")) tool = t;
            i++;
        }
        return (def ?? first, tool);
    }

    private static string? SpecialToken(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        return v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
    }

    /// <summary>Renders a conversation, and says where its untrusted text lies (see <see cref="ChatPrompt"/>).</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="tools">Functions the model may call; null or empty: none.</param>
    /// <param name="addGenerationPrompt">End with the opening of the assistant's turn.</param>
    /// <param name="enableThinking">Passed to the template as <c>enable_thinking</c>; null: not passed (the template's default).</param>
    /// <param name="arguments">Further template variables (chat_template_kwargs).</param>
    /// <exception cref="ArgumentException">A message is null or has null content, or a tool call's arguments are not JSON; with
    /// the built-in format, the conversation is out of order.</exception>
    /// <exception cref="ChatTemplateException">The template raised an error (raise_exception's message) or failed.</exception>
    public ChatPrompt Render(IReadOnlyList<LongCatMessage> messages, IReadOnlyList<ToolDefinition>? tools = null, bool addGenerationPrompt = true,
        bool? enableThinking = null, IReadOnlyDictionary<string, object?>? arguments = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_template is null) return ChatTemplate.RenderPrompt(messages, tools, addGenerationPrompt);
        bool hasTools = tools is { Count: > 0 };
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in _specialTokens) variables[k] = v;
        if (arguments is not null)
            foreach (var (k, v) in arguments) variables[k] = TemplateArgument(k, v);
        if (enableThinking is bool thinking) variables["enable_thinking"] = thinking;
        variables["messages"] = MessageValues(messages);
        variables["tools"] = hasTools ? ToolValues(tools!) : null;
        variables["documents"] = null;
        variables["add_generation_prompt"] = addGenerationPrompt;
        var rendering = (hasTools && _toolTemplate is not null ? _toolTemplate : _template).Render(variables);
        return new ChatPrompt(rendering.Text, rendering.PlainTextRanges);
    }

    /// <summary>The messages as transformers passes them (the OpenAI shape), every text from the conversation marked plain.</summary>
    private static List<object?> MessageValues(IReadOnlyList<LongCatMessage> messages)
    {
        var list = new List<object?>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw new ArgumentException($"messages[{i}] is null.", nameof(messages));
            if (m.Content is null) throw new ArgumentException($"messages[{i}] ({m.Role}) has null content.", nameof(messages));
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["role"] = m.Role switch
                {
                    LongCatRole.System => "system",
                    LongCatRole.User => "user",
                    LongCatRole.Assistant => "assistant",
                    LongCatRole.Tool => "tool",
                    _ => throw new ArgumentException($"messages[{i}] has an unknown role {m.Role}.", nameof(messages)),
                },
                ["content"] = MarkedString.Whole(m.Content),
            };
            if (m.Reasoning is { } reasoning) d["reasoning_content"] = MarkedString.Whole(reasoning);
            if (m.ToolCalls is { Count: > 0 } calls) d["tool_calls"] = ToolCallValues(calls, i);
            if (m.Name is { } name) d["name"] = MarkedString.Whole(name);
            if (m.ToolCallId is { } id) d["tool_call_id"] = MarkedString.Whole(id);
            list.Add(d);
        }
        return list;
    }

    private static List<object?> ToolCallValues(IReadOnlyList<ToolCall> calls, int message)
    {
        var list = new List<object?>(calls.Count);
        for (int c = 0; c < calls.Count; c++)
        {
            var call = calls[c] ?? throw new ArgumentException($"messages[{message}].ToolCalls[{c}] is null.", "messages");
            if (string.IsNullOrEmpty(call.Name)) throw new ArgumentException($"messages[{message}].ToolCalls[{c}]: a tool call has no name.", "messages");
            object? arguments;
            try
            {
                using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson);
                arguments = TemplateValues.FromJson(doc.RootElement, plainText: true);
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"messages[{message}].ToolCalls[{c}]: tool call '{call.Name}' has arguments that are not valid JSON: {e.Message}", "messages", e);
            }
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            if (call.Id is { } id) d["id"] = MarkedString.Whole(id);
            d["type"] = "function";
            d["function"] = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["name"] = MarkedString.Whole(call.Name),
                ["arguments"] = arguments,
            };
            list.Add(d);
        }
        return list;
    }

    /// <summary>The tools in the OpenAI shape <c>{"type": "function", "function": {name, description, parameters}}</c>, as plain text.</summary>
    private static List<object?> ToolValues(IReadOnlyList<ToolDefinition> tools)
    {
        var list = new List<object?>(tools.Count);
        for (int t = 0; t < tools.Count; t++)
        {
            var tool = tools[t] ?? throw new ArgumentException($"tools[{t}] is null.", nameof(tools));
            list.Add(new OrderedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["type"] = "function",
                ["function"] = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["name"] = MarkedString.Whole(tool.Name),
                    ["description"] = MarkedString.Whole(tool.Description ?? ""),
                    ["parameters"] = tool.Parameters.ValueKind == JsonValueKind.Undefined
                        ? new OrderedDictionary<string, object?>(StringComparer.Ordinal)
                        : TemplateValues.FromJson(tool.Parameters, plainText: true),
                },
            });
        }
        return list;
    }

    /// <summary>A caller's template variable as a template value: null, bool, string, integers, floating point or JSON.</summary>
    internal static object? TemplateArgument(string name, object? value) => value switch
    {
        null => null,
        bool or string => value,
        int or long or short or byte => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        float or double => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        JsonElement e => TemplateValues.FromJson(e),
        _ => throw new ArgumentException($"Chat template argument '{name}' has a value of type {value.GetType().Name}; use null, bool, string, a number or a JsonElement.", nameof(value)),
    };
}
