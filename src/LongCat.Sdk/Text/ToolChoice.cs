namespace LongCat.Sdk.Text;

/// <summary>How the model may use the tools of a chat request (<see cref="GenerationOptions.Tools"/>).</summary>
public enum ToolChoiceMode
{
    /// <summary>The model decides: it answers in text or calls tools.</summary>
    Auto,

    /// <summary>The model must call a tool: its answer is forced to open a tool-call block.</summary>
    Required,

    /// <summary>The tools are described but the model must not call them: generation stops if it starts a call.</summary>
    None,
}

/// <summary>
/// Whether and which tools the model must call, as OpenAI's <c>tool_choice</c>, Microsoft.Extensions.AI's <c>ChatToolMode</c>
/// and Semantic Kernel's <c>FunctionChoiceBehavior</c> express it.
/// </summary>
/// <remarks>
/// A local model cannot be told to obey, so the engine enforces the choice: <see cref="ToolChoiceMode.Required"/> starts the
/// answer with <see cref="ChatTemplate.RenderToolCallPrefix(string?)"/> (the opening of a <c>&lt;longcat_tool_call&gt;</c> block, with
/// a function's name: the required one, or, when any will do, the offered name the model prefers, decoded under a mask that
/// allows only offered names, and the key of its first required parameter), which the model continues with the arguments; <see cref="ToolChoiceMode.None"/> ends generation
/// where a call would begin, so no call is made and no markup is shown.
/// </remarks>
/// <param name="Mode">Auto, Required or None.</param>
/// <param name="FunctionName">With <see cref="ToolChoiceMode.Required"/>: the one tool the model must call (null: any).</param>
public sealed record ToolChoice(ToolChoiceMode Mode, string? FunctionName = null)
{
    /// <summary>The model decides (the default).</summary>
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);

    /// <summary>The model must not call tools.</summary>
    public static ToolChoice None { get; } = new(ToolChoiceMode.None);

    /// <summary>The model must call a tool: any of those offered, or <paramref name="functionName"/>.</summary>
    public static ToolChoice Required(string? functionName = null) => new(ToolChoiceMode.Required, functionName);

    /// <summary>Throws <see cref="ArgumentException"/> when the choice cannot apply to <paramref name="tools"/>.</summary>
    internal void Validate(IReadOnlyList<ToolDefinition>? tools)
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown ToolChoiceMode.");
        if (FunctionName is not null && Mode != ToolChoiceMode.Required)
            throw new ArgumentException($"ToolChoice: a function name ('{FunctionName}') goes only with ToolChoiceMode.Required.", nameof(FunctionName));
        if (Mode != ToolChoiceMode.Required) return;
        if (tools is not { Count: > 0 })
            throw new ArgumentException("ToolChoice.Required needs at least one tool in GenerationOptions.Tools.", nameof(tools));
        if (FunctionName is not null && !tools.Any(t => t.Name == FunctionName))
            throw new ArgumentException(
                $"ToolChoice.Required('{FunctionName}'): no such tool; offered: {string.Join(", ", tools.Select(t => t.Name))}.", nameof(FunctionName));
    }
}
