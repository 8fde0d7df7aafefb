namespace LongCat.Sdk.Text;

/// <summary>Who speaks a <see cref="LongCatMessage"/>.</summary>
public enum LongCatRole
{
    /// <summary>Instructions for the whole conversation; at most one, and only as the first message.</summary>
    System,

    /// <summary>A user turn; each one opens a new <c>[Round N]</c>.</summary>
    User,

    /// <summary>A model turn: text, tool calls, or both.</summary>
    Assistant,

    /// <summary>The result of a tool call, sent back to the model on the user side of a round.</summary>
    Tool,
}
