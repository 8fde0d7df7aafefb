using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Turns a request's sampled tokens into the text it streams: UTF-8-safe detokenization, then stop sequences (held back while they
/// may still match, never emitted), then, when tools are offered, tool-call markup captured instead of shown: a block that
/// parses becomes a <see cref="ToolCall"/>, one that does not is reported in <see cref="MalformedToolCalls"/>, never shown.
/// </summary>
internal sealed class OutputPipeline
{
    private readonly StreamingDetokenizer? _detokenizer;
    private readonly StopSequenceMatcher? _stops;
    private readonly ToolCallStreamFilter? _tools;
    private readonly StringBuilder _raw = new();

    /// <param name="tokenizer">Detokenizes the tokens; null streams no text (token-id requests).</param>
    /// <param name="stopSequences">Strings that end the output.</param>
    /// <param name="parseToolCalls">Capture <c>&lt;longcat_tool_call&gt;</c> blocks instead of showing them.</param>
    public OutputPipeline(Tokenizer? tokenizer, IReadOnlyList<string> stopSequences, bool parseToolCalls)
    {
        if (tokenizer is not null) _detokenizer = new StreamingDetokenizer(tokenizer.TokenBytes);
        if (stopSequences.Count > 0) _stops = new StopSequenceMatcher(stopSequences);
        if (parseToolCalls) _tools = new ToolCallStreamFilter(holdMalformed: true);
    }

    /// <summary>Everything the model produced as text (stop sequence excluded), tool markup included.</summary>
    public string RawText => _raw.ToString();

    /// <summary>Tool calls completed so far.</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _tools?.ToolCalls ?? [];

    /// <summary>Tool-call blocks that could not be parsed (their markup is not in the text).</summary>
    public IReadOnlyList<string> MalformedToolCalls => _tools?.Malformed ?? [];

    /// <summary>Feeds one token; returns the text to show now and whether a stop sequence ended the output.</summary>
    public (string Text, bool Stopped) Push(int token)
    {
        return _detokenizer is null ? ("", false) : Filter(_detokenizer.Push(token), final: false);
    }

    /// <summary>Releases all held-back text at the end of the stream.</summary>
    public string Finish()
    {
        return _detokenizer is null ? "" : Filter(_detokenizer.Flush(), final: true).Text;
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
