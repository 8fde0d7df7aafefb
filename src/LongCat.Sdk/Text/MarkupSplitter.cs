namespace LongCat.Sdk.Text;

/// <summary>
/// Splits a model's streamed text into what it means: a thinking model's reasoning (<see cref="ReasoningSplitter"/>), then, in
/// the answer, tool-call blocks captured instead of shown (<see cref="ToolCallStreamFilter"/>, malformed blocks held back and
/// reported). The one place both readings happen in that order: the engine's output pipeline (after detokenizing and stop
/// sequences) and the remote client (over a server's raw text) use it.
/// </summary>
/// <remarks>One instance per generated message; not thread-safe.</remarks>
/// <param name="reasoning">Reads the reasoning; null: the text is all answer.</param>
/// <param name="toolCalls">Reads the body of a tool-call block; null: no tools, blocks are text.</param>
internal sealed class MarkupSplitter(ReasoningSplitter? reasoning, ToolCallBodyReader? toolCalls)
{
    private readonly ToolCallStreamFilter? _tools = toolCalls is null ? null : new ToolCallStreamFilter(holdMalformed: true, toolCalls);

    /// <summary>Tool calls completed so far.</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _tools?.ToolCalls ?? [];

    /// <summary>Tool-call blocks that could not be read (their markup is not in the answer).</summary>
    public IReadOnlyList<string> MalformedToolCalls => _tools?.Malformed ?? [];

    /// <summary>Adds a text delta; returns the reasoning and answer now safe to show. <paramref name="end"/>: the text is the last,
    /// so everything held back is released (an unfinished tool-call block is reported malformed).</summary>
    public (string Reasoning, string Answer) Push(string text, bool end)
    {
        string thought = "";
        if (reasoning is not null)
        {
            (thought, text) = reasoning.Push(text);
            if (end)
            {
                var (r, a) = reasoning.Flush();
                thought += r;
                text += a;
            }
        }
        if (_tools is not null)
        {
            text = _tools.Push(text);
            if (end) text += _tools.Flush();
        }
        return (thought, text);
    }
}
