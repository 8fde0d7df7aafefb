using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Serving;

/// <summary>What one token (or the end of the stream) releases: answer text, reasoning text, and whether a stop sequence ended the output.</summary>
internal readonly record struct OutputPiece(string Text, string Reasoning, bool Stopped);

/// <summary>
/// Turns a request's sampled tokens into the text it streams: UTF-8-safe detokenization, then stop sequences (held back while they
/// may still match, never emitted), then, for a thinking model, the reasoning split from the answer (<see cref="ReasoningSplitter"/>),
/// then, when tools are offered, tool-call markup in the answer captured instead of shown: a block that parses becomes a
/// <see cref="ToolCall"/>, one that does not is reported in <see cref="MalformedToolCalls"/>, never shown.
/// </summary>
internal sealed class OutputPipeline
{
    private readonly StreamingDetokenizer? _detokenizer;
    private readonly StopSequenceMatcher? _stops;
    private readonly MarkupSplitter _markup;
    private readonly int _reasoningOpenToken, _reasoningEndToken;
    private readonly bool _hasReasoning;
    private readonly StringBuilder _raw = new();
    private bool _reasoningByToken;
    private bool _anyToken;

    /// <param name="tokenizer">Detokenizes the tokens; null streams no text (token-id requests).</param>
    /// <param name="stopSequences">Strings that end the output.</param>
    /// <param name="toolCalls">Reads the body of <c>&lt;longcat_tool_call&gt;</c> blocks, which are then captured instead of shown; null: no tools.</param>
    /// <param name="reasoning">The thinking format's tags: null when the model has none; else whether the prompt left a think block
    /// open, and the ids of <c>&lt;longcat_think&gt;</c> (a first token that opens the reasoning) and <c>&lt;/longcat_think&gt;</c>
    /// (reasoning tokens are counted until it).</param>
    public OutputPipeline(Tokenizer? tokenizer, IReadOnlyList<string> stopSequences, ToolCallBodyReader? toolCalls = null,
        (bool StartInReasoning, int OpenToken, int EndToken)? reasoning = null)
    {
        if (tokenizer is not null) _detokenizer = new StreamingDetokenizer(tokenizer.TokenBytes);
        if (stopSequences.Count > 0) _stops = new StopSequenceMatcher(stopSequences);
        _markup = new MarkupSplitter(reasoning is { } thinking ? new ReasoningSplitter(thinking.StartInReasoning) : null, toolCalls);
        if (reasoning is { } r)
        {
            _hasReasoning = true;
            _reasoningByToken = r.StartInReasoning;
            _reasoningOpenToken = r.OpenToken;
            _reasoningEndToken = r.EndToken;
        }
    }

    /// <summary>Everything the model produced as text (stop sequence excluded), reasoning and tool markup included.</summary>
    public string RawText => _raw.ToString();

    /// <summary>Tool calls completed so far.</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _markup.ToolCalls;

    /// <summary>Tool-call blocks that could not be parsed (their markup is not in the text).</summary>
    public IReadOnlyList<string> MalformedToolCalls => _markup.MalformedToolCalls;

    /// <summary>Tokens generated inside the reasoning (before the token that closes it).</summary>
    public int ReasoningTokens { get; private set; }

    /// <summary>Feeds one token; returns what it releases.</summary>
    public OutputPiece Push(int token)
    {
        if (_reasoningByToken)
        {
            if (token == _reasoningEndToken) _reasoningByToken = false;
            else ReasoningTokens++;
        }
        else if (!_anyToken && _hasReasoning && token == _reasoningOpenToken) _reasoningByToken = true;   // the model opened it
        _anyToken = true;
        return _detokenizer is null ? default : Filter(_detokenizer.Push(token), final: false);
    }

    /// <summary>Releases all held-back text at the end of the stream.</summary>
    public OutputPiece Finish()
    {
        return _detokenizer is null ? default : Filter(_detokenizer.Flush(), final: true);
    }

    private OutputPiece Filter(string text, bool final)
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
        var (reasoning, answer) = _markup.Push(text, end: final || stopped);
        return new OutputPiece(answer, reasoning, stopped);
    }
}
