namespace LongCat.Sdk.Text;

/// <summary>What <see cref="ToolCallParser.Parse"/> found in a model's output.</summary>
/// <param name="Content">The text outside the well-formed tool-call blocks, verbatim (not trimmed); malformed blocks stay in it as text.</param>
/// <param name="ToolCalls">The well-formed calls, in order.</param>
/// <param name="Malformed">The text of each malformed block (bad JSON, no name, unterminated tag), tags included, in order.</param>
internal sealed record ToolCallParseResult(string Content, IReadOnlyList<ToolCall> ToolCalls, IReadOnlyList<string> Malformed)
{
    /// <summary>True when the output held at least one block that looked like a tool call but could not be read as one.</summary>
    public bool HasMalformed => Malformed.Count > 0;
}
