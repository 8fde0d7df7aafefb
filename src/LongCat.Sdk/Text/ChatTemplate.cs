using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>
/// The LongCat-Flash-Chat prompt format (LONGCAT.md §8, from the model card):
/// <code>
/// [{tool_description}\n\n## Messages\n][SYSTEM:{sys} ][Round 0] USER:{q0} ASSISTANT:{r0}&lt;/longcat_s&gt; [Round 1] USER:{q1} ASSISTANT:
/// </code>
/// No BOS is added. The text holds <c>&lt;/longcat_s&gt;</c> as text: the tokenizer must map it to the special token (id 2).
/// </summary>
/// <remarks>
/// Decisions the model card leaves open, kept self-consistent with <see cref="ToolCallParser"/>:
/// <list type="bullet">
/// <item>Tool calls in an assistant turn follow its content (after a <c>\n</c> when the content is not empty), one
/// <c>&lt;longcat_tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/longcat_tool_call&gt;</c> block per call, placed
/// consecutively as the card's example shows. The JSON is Python's <c>json.dumps(..., ensure_ascii=False)</c>
/// (<c>", "</c> and <c>": "</c>), what HF's Jinja <c>tojson</c> writes; empty arguments render as <c>{}</c>.</item>
/// <item>Tool results are the user side of a new round: <c>[Round N] USER:&lt;longcat_tool_response&gt;\n{content}\n&lt;/longcat_tool_response&gt; ASSISTANT:</c>;
/// consecutive results share that one USER turn, joined by <c>\n</c>, in call order. Their name and id are not rendered.</item>
/// <item>A round is opened by each user turn and by each run of tool results; rounds are joined by one space.</item>
/// <item>Several tools in the description share one <c>### Tool namespace: function</c> header; each tool's block
/// (<c>#### Tool name</c>, <c>Description</c>, <c>InputSchema</c>) is followed by a blank line.</item>
/// </list>
/// </remarks>
internal static class ChatTemplate
{
    /// <summary>The end-of-turn marker (special token id 2) that closes every assistant turn in history.</summary>
    public const string EndOfTurn = "</longcat_s>";

    private const string ToolCallOpen = "<longcat_tool_call>";
    private const string ToolCallClose = "</longcat_tool_call>";
    private const string ToolResponseOpen = "<longcat_tool_response>";
    private const string ToolResponseClose = "</longcat_tool_response>";

    // Verbatim from the model card, including the space after "tools:" and "InputSchema:". The card's "..." after
    // "placed consecutively." is its example of two calls in a row, reproduced here as the card shows it.
    private const string ToolsHeader = "## Tools\nYou have access to the following tools: \n\n### Tool namespace: function\n\n";
    private const string ToolsNote =
        "**Note**: For each function call, return a json object with function name and arguments within <longcat_tool_call></longcat_tool_call> XML tags as follows:\n" +
        "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>\n" +
        "When multiple functions need to be called simultaneously, each function call should be wrapped in its own <longcat_tool_call> tag and placed consecutively. For example:\n" +
        "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>" +
        "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>";

    /// <summary>Renders a conversation as the prompt text the model continues.</summary>
    /// <param name="messages">An optional system message, then user turns, each answered by an assistant turn; an assistant
    /// turn with tool calls may be followed by one or more tool results, which the assistant answers in turn.</param>
    /// <param name="tools">Functions the model may call; null or empty renders no tool description.</param>
    /// <param name="addGenerationPrompt">End with <c> ASSISTANT:</c> so the model writes the next assistant turn (the
    /// conversation must then end with a user turn or tool results). False renders a finished conversation; a trailing
    /// user turn then ends after its content.</param>
    /// <exception cref="ArgumentException">The conversation is out of order; the message names the offending index.</exception>
    public static string Render(IReadOnlyList<LongCatMessage> messages, IReadOnlyList<ToolDefinition>? tools = null, bool addGenerationPrompt = true) =>
        RenderCore(messages, tools, addGenerationPrompt, plainText: null);

    /// <summary>
    /// Renders a conversation as <see cref="Render"/> does, and says where the untrusted content lies: system, user and tool-result
    /// text and the tools' names, descriptions and schemas. Encode it with <see cref="Tokenizer.Encode(string, IReadOnlyList{Range})"/>
    /// so that special-token text typed into a message (<c>&lt;/longcat_s&gt;</c>) stays text instead of ending the turn.
    /// Assistant turns in history are the model's own output and are parsed as it wrote them.
    /// </summary>
    /// <exception cref="ArgumentException">The conversation is out of order; the message names the offending index.</exception>
    public static ChatPrompt RenderPrompt(IReadOnlyList<LongCatMessage> messages, IReadOnlyList<ToolDefinition>? tools = null, bool addGenerationPrompt = true)
    {
        var plainText = new List<Range>();
        string text = RenderCore(messages, tools, addGenerationPrompt, plainText);
        return new ChatPrompt(text, plainText);
    }

    private static string RenderCore(IReadOnlyList<LongCatMessage> messages, IReadOnlyList<ToolDefinition>? tools, bool addGenerationPrompt,
        List<Range>? plainText)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Validate(messages, addGenerationPrompt);

        var sb = new StringBuilder();
        if (tools is { Count: > 0 })
            AppendToolDescription(sb, tools, plainText).Append("\n\n## Messages\n");

        int i = 0;
        if (messages[0].Role == LongCatRole.System)
        {
            AppendPlain(sb.Append("SYSTEM:"), messages[0].Content, plainText).Append(' ');
            i = 1;
        }

        int round = 0;
        while (i < messages.Count)
        {
            if (round > 0) sb.Append(' ');
            sb.Append("[Round ").Append(round++).Append("] USER:");
            if (messages[i].Role == LongCatRole.User)
            {
                AppendPlain(sb, messages[i++].Content, plainText);
            }
            else
            {
                // A run of tool results is one user-side turn.
                for (bool first = true; i < messages.Count && messages[i].Role == LongCatRole.Tool; i++, first = false)
                {
                    if (!first) sb.Append('\n');
                    AppendPlain(sb.Append(ToolResponseOpen).Append('\n'), messages[i].Content, plainText).Append('\n').Append(ToolResponseClose);
                }
            }

            if (i < messages.Count)
            {
                sb.Append(" ASSISTANT:");
                AppendAssistant(sb, messages[i], i);
                sb.Append(EndOfTurn);
                i++;
            }
            else if (addGenerationPrompt)
            {
                sb.Append(" ASSISTANT:");
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The tool description that precedes <c>## Messages</c>: the model card's text with each function's name, description and
    /// <c>json.dumps(parameters, indent=2)</c> (ensure_ascii, so non-ASCII is written <c>\uXXXX</c>).
    /// </summary>
    public static string RenderToolDescription(IReadOnlyList<ToolDefinition> tools) =>
        AppendToolDescription(new StringBuilder(), tools, plainText: null).ToString();

    private static StringBuilder AppendToolDescription(StringBuilder sb, IReadOnlyList<ToolDefinition> tools, List<Range>? plainText)
    {
        ArgumentNullException.ThrowIfNull(tools);
        sb.Append(ToolsHeader);
        for (int t = 0; t < tools.Count; t++)
        {
            var tool = tools[t] ?? throw new ArgumentException($"tools[{t}] is null.", nameof(tools));
            AppendPlain(sb.Append("#### Tool name: "), tool.Name, plainText).Append("\n\n");
            AppendPlain(sb.Append("Description: "), tool.Description, plainText).Append("\n\n");
            AppendPlain(sb.Append("InputSchema: \n"), PythonJson.Serialize(tool.Parameters, JsonStyle.PythonIndent2), plainText).Append("\n\n");
        }
        return sb.Append(ToolsNote);
    }

    // Appends untrusted text, recording where it lies when the caller tracks that.
    private static StringBuilder AppendPlain(StringBuilder sb, string? text, List<Range>? plainText)
    {
        int start = sb.Length;
        sb.Append(text);
        if (plainText is not null && sb.Length > start) plainText.Add(start..sb.Length);
        return sb;
    }

    /// <summary>Renders one tool call as the model writes it: <c>&lt;longcat_tool_call&gt;\n{"name": "f", "arguments": {...}}\n&lt;/longcat_tool_call&gt;</c>.</summary>
    /// <exception cref="ArgumentException"><see cref="ToolCall.ArgumentsJson"/> is not valid JSON.</exception>
    public static string RenderToolCall(ToolCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var sb = new StringBuilder();
        AppendToolCall(sb, call);
        return sb.ToString();
    }

    /// <summary>
    /// The opening of a tool-call block that <see cref="ToolChoiceMode.Required"/> forces the answer to start with:
    /// <c>&lt;longcat_tool_call&gt;\n</c>, then, when one function is required, <c>{"name": "f", "arguments":</c> so the model
    /// writes only the arguments. The rest of the block is the model's.
    /// </summary>
    /// <remarks>The opening ends where a byte-level pre-tokenizer ends a piece (after the tag's line break, or after
    /// <c>":</c>, before the space the model writes with <c>{</c>), so the prompt tokenizes as the training text did.</remarks>
    public static string RenderToolCallPrefix(string? functionName = null) => RenderToolCallPrefix(functionName, default);

    /// <summary>
    /// As <see cref="RenderToolCallPrefix(string?)"/> for <paramref name="tool"/>, and when its schema requires parameters, the
    /// arguments object is opened with the first required one: <c>{"city": "</c> for a string (the model writes the value),
    /// <c>{"a":</c> for any other type. A small model that does not read the schema then still writes the key the function
    /// needs (the guided decoding serving engines apply to a named tool choice, here for the first key); later keys and
    /// every value are the model's.
    /// </summary>
    /// <remarks>Like the name, the opening ends where a byte-level pre-tokenizer ends a piece: after <c>":</c>, or after the
    /// space-and-quote piece that precedes a string value's first letter.</remarks>
    public static string RenderToolCallPrefix(ToolDefinition tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return RenderToolCallPrefix(tool.Name, tool.Parameters);
    }

    private static string RenderToolCallPrefix(string? functionName, JsonElement parameters)
    {
        var sb = new StringBuilder(ToolCallOpen).Append('\n');
        if (functionName is null) return sb.ToString();
        if (functionName.Length == 0) throw new ArgumentException("The function name is empty.", nameof(functionName));
        sb.Append("{\"name\": ");
        PythonJson.WriteString(sb, functionName, ensureAscii: false);
        sb.Append(", \"arguments\":");
        if (FirstRequiredParameter(parameters) is not { } first) return sb.ToString();
        sb.Append(" {");
        PythonJson.WriteString(sb, first.Name, ensureAscii: false);
        return sb.Append(first.IsString ? ": \"" : ":").ToString();
    }

    /// <summary>The first name in the schema's <c>required</c> list, and whether its property's <c>type</c> is <c>"string"</c>.</summary>
    private static (string Name, bool IsString)? FirstRequiredParameter(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("required", out var required)
            || required.ValueKind != JsonValueKind.Array || required.GetArrayLength() == 0 || required[0].ValueKind != JsonValueKind.String)
            return null;
        string name = required[0].GetString()!;
        if (name.Length == 0) return null;
        bool isString = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.Object
            && property.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "string";
        return (name, isString);
    }

    private static void AppendAssistant(StringBuilder sb, LongCatMessage message, int index)
    {
        sb.Append(message.Content);
        if (message.ToolCalls is not { Count: > 0 } calls) return;
        if (message.Content.Length > 0) sb.Append('\n');
        for (int c = 0; c < calls.Count; c++)
        {
            try
            {
                AppendToolCall(sb, calls[c]);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"messages[{index}].ToolCalls[{c}]: {e.Message}", "messages", e);
            }
        }
    }

    private static void AppendToolCall(StringBuilder sb, ToolCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (string.IsNullOrEmpty(call.Name)) throw new ArgumentException("a tool call has no name.", nameof(call));
        string args = string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(args);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"tool call '{call.Name}' has arguments that are not valid JSON: {e.Message}", nameof(call), e);
        }
        using (doc)
        {
            sb.Append(ToolCallOpen).Append("\n{\"name\": ");
            PythonJson.WriteString(sb, call.Name, ensureAscii: false);
            sb.Append(", \"arguments\": ").Append(PythonJson.Serialize(doc.RootElement, JsonStyle.PythonInline))
              .Append("}\n").Append(ToolCallClose);
        }
    }

    private static void Validate(IReadOnlyList<LongCatMessage> messages, bool addGenerationPrompt)
    {
        LongCatRole? previous = null;
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw new ArgumentException($"messages[{i}] is null.", nameof(messages));
            if (m.Content is null) throw new ArgumentException($"messages[{i}] ({m.Role}) has null content.", nameof(messages));
            string? problem = (m.Role, previous) switch
            {
                (LongCatRole.System, null) => null,
                (LongCatRole.System, _) => "a system message may only be the first message",
                (LongCatRole.User, null or LongCatRole.System or LongCatRole.Assistant) => null,
                (LongCatRole.User, _) => "a user turn must follow an assistant turn (two user-side turns in a row)",
                (LongCatRole.Assistant, LongCatRole.User or LongCatRole.Tool) => null,
                (LongCatRole.Assistant, _) => "an assistant turn must answer a user turn or tool results",
                (LongCatRole.Tool, LongCatRole.Tool) => null,
                (LongCatRole.Tool, LongCatRole.Assistant) when MadeToolCalls(messages[i - 1]) => null,
                (LongCatRole.Tool, _) => "a tool result must follow an assistant turn that made tool calls, or another tool result",
                _ => $"unknown role {m.Role}",
            };
            if (problem is not null)
                throw new ArgumentException($"messages[{i}] ({m.Role}): {problem}.", nameof(messages));
            previous = m.Role;
        }

        if (previous is null or LongCatRole.System)
            throw new ArgumentException("The conversation has no user turn.", nameof(messages));
        if (addGenerationPrompt && previous == LongCatRole.Assistant)
            throw new ArgumentException(
                $"messages[{messages.Count - 1}] (Assistant): the conversation ends with an assistant turn; render it with addGenerationPrompt: false.",
                nameof(messages));
    }

    // An assistant turn kept as raw model output carries its calls in its content instead of ToolCalls.
    private static bool MadeToolCalls(LongCatMessage m) =>
        m.ToolCalls is { Count: > 0 } || m.Content.Contains(ToolCallOpen, StringComparison.Ordinal);
}
