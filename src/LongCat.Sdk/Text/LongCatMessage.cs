namespace LongCat.Sdk.Text;

/// <summary>One turn of a conversation, as <see cref="ChatTemplate"/> renders it.</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Content">The text of the turn; for <see cref="LongCatRole.Tool"/>, the tool's result.</param>
/// <remarks>Records compare <see cref="ToolCalls"/> by reference, not element by element.</remarks>
public sealed record LongCatMessage(LongCatRole Role, string Content)
{
    /// <summary>For an assistant turn: the calls it made, rendered after <see cref="Content"/> as <c>&lt;longcat_tool_call&gt;</c> blocks.</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }

    /// <summary>For an assistant turn of a thinking model: the reasoning it wrote before its answer (rendered as the chat template
    /// renders <c>reasoning_content</c>: templates of thinking models usually keep it only for the current turn's tool loop).</summary>
    public string? Reasoning { get; init; }

    /// <summary>For a tool result: the id of the call it answers (not rendered; LongCat's format matches results to calls by order).</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For a tool result: the name of the function that produced it (not rendered).</summary>
    public string? Name { get; init; }

    /// <summary>A system message.</summary>
    public static LongCatMessage System(string content) => new(LongCatRole.System, content);

    /// <summary>A user message.</summary>
    public static LongCatMessage User(string content) => new(LongCatRole.User, content);

    /// <summary>An assistant message, optionally with the tool calls it made.</summary>
    public static LongCatMessage Assistant(string content, IReadOnlyList<ToolCall>? toolCalls = null) =>
        new(LongCatRole.Assistant, content) { ToolCalls = toolCalls };

    /// <summary>The result of the tool <paramref name="name"/>, answering the call <paramref name="toolCallId"/>.</summary>
    public static LongCatMessage ToolResult(string name, string content, string? toolCallId = null) =>
        new(LongCatRole.Tool, content) { Name = name, ToolCallId = toolCallId };
}
