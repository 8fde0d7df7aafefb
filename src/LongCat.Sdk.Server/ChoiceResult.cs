using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Server;

/// <summary>One choice of a non-streamed answer, gathered from its updates.</summary>
internal sealed class ChoiceResult
{
    public StringBuilder Text { get; } = new();
    public StringBuilder Reasoning { get; } = new();
    public List<ToolCall> ToolCalls { get; } = [];
    public FinishReason? FinishReason { get; private set; }
    public GenerationUsage? Usage { get; private set; }

    public void Add(GenerationUpdate u)
    {
        Text.Append(u.Text);
        Reasoning.Append(u.Reasoning);
        if (u.ToolCalls is { } calls) ToolCalls.AddRange(calls);
        // A tool-call block the parser could not read goes back as text, as vLLM returns it: the caller sees what the model wrote.
        foreach (string raw in u.MalformedToolCalls ?? []) Text.Append(raw);
        if (u.FinishReason is { } reason) FinishReason = reason;
        if (u.Usage is { } usage) Usage = usage;
    }

    /// <summary>OpenAI's <c>finish_reason</c> for the engine's; a constraint that allowed no token counts as a stop.</summary>
    public static string FinishName(FinishReason reason) => reason switch
    {
        Sdk.FinishReason.Length => "length",
        Sdk.FinishReason.ToolCalls => "tool_calls",
        _ => "stop",
    };
}
