using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Turns a request's sampled tokens into the text it streams: UTF-8-safe detokenization, then stop sequences (held back while they
/// may still match, never emitted), then, when tools are offered, tool-call markup captured instead of shown.
/// </summary>
internal sealed class OutputPipeline
{
    private readonly StreamingDetokenizer? _detokenizer;
    private readonly StopSequenceMatcher? _stops;
    private readonly ToolCallStreamFilter? _tools;
    private readonly StringBuilder _raw = new();
    private string _carry = "";   // text released by the forced output, shown with the first token's text

    /// <param name="tokenizer">Detokenizes the tokens; null streams no text (token-id requests).</param>
    /// <param name="stopSequences">Strings that end the output.</param>
    /// <param name="parseToolCalls">Capture <c>&lt;longcat_tool_call&gt;</c> blocks instead of showing them.</param>
    /// <param name="forcedOutput">Text the answer starts with that the prompt already holds (a forced tool-call opening):
    /// filtered as if generated, so a call it opens is captured whole.</param>
    public OutputPipeline(Tokenizer? tokenizer, IReadOnlyList<string> stopSequences, bool parseToolCalls, string forcedOutput = "")
    {
        if (tokenizer is not null) _detokenizer = new StreamingDetokenizer(tokenizer.TokenBytes);
        if (stopSequences.Count > 0) _stops = new StopSequenceMatcher(stopSequences);
        if (parseToolCalls) _tools = new ToolCallStreamFilter();
        if (forcedOutput.Length > 0 && _detokenizer is not null) _carry = Filter(forcedOutput, final: false).Text;
    }

    /// <summary>Everything the model produced as text (stop sequence excluded), tool markup included.</summary>
    public string RawText => _raw.ToString();

    /// <summary>Tool calls completed so far.</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _tools?.ToolCalls ?? [];

    /// <summary>Tool-call blocks that could not be parsed.</summary>
    public IReadOnlyList<string> MalformedToolCalls => _tools?.Malformed ?? [];

    /// <summary>Feeds one token; returns the text to show now and whether a stop sequence ended the output.</summary>
    public (string Text, bool Stopped) Push(int token)
    {
        if (_detokenizer is null) return ("", false);
        var (text, stopped) = Filter(_detokenizer.Push(token), final: false);
        if (_carry.Length > 0) (text, _carry) = (_carry + text, "");
        return (text, stopped);
    }

    /// <summary>Releases all held-back text at the end of the stream.</summary>
    public string Finish()
    {
        if (_detokenizer is null) return "";
        string text = _carry + Filter(_detokenizer.Flush(), final: true).Text;
        _carry = "";
        return text;
    }

    private (string Text, bool Stopped) Filter(string text, bool final)
    {
        bool stopped = false;
        if (_stops is not null)
        {
            var r = _stops.Push(text);
            text = r.Text;
            stopped = r.Stopped;
            if (final && !stopped) text += _stops.Flush();
        }
        _raw.Append(text);
        if (_tools is not null)
        {
            text = _tools.Push(text);
            if (final || stopped) text += _tools.Flush();
        }
        return (text, stopped);
    }
}
