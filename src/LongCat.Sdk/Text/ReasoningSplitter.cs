using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// Splits a thinking model's streamed output into reasoning and answer: <c>{reasoning}\n&lt;/longcat_think&gt;\n{answer}</c>
/// (LONGCAT-THINKING.md §4). Starts in the reasoning when the prompt left a think block open; otherwise an output that opens
/// with <c>&lt;longcat_think&gt;</c> (whitespace before it allowed) enters it, and any other output is all answer. Text that may
/// still turn out to be a tag, or whitespace at the reasoning's end, is held back until the next text settles it.
/// </summary>
/// <remarks>
/// The reasoning loses the whitespace around it (the line breaks the format puts next to its tags), the answer the
/// whitespace it starts with. No end tag: everything after the start is reasoning, as Meituan's and vLLM's parsers read it.
/// Concatenated, the emitted reasoning is <see cref="Split"/>'s reasoning and the emitted answer its answer.
/// One instance per generated message; not thread-safe.
/// </remarks>
internal sealed class ReasoningSplitter
{
    /// <summary>The tag that opens a reasoning block.</summary>
    public const string OpenTag = "<longcat_think>";

    /// <summary>The tag that closes a reasoning block.</summary>
    public const string CloseTag = "</longcat_think>";

    private enum State { Start, Reasoning, AnswerStart, Answer }

    private State _state;
    private string _pending = "";
    private bool _reasoningStarted;          // reasoning text was emitted (leading whitespace is dropped before it)

    /// <param name="startInReasoning">The prompt ends inside an open think block (its generation prompt opened it).</param>
    public ReasoningSplitter(bool startInReasoning) => _state = startInReasoning ? State.Reasoning : State.Start;

    /// <summary>True while the output is (still) reasoning.</summary>
    public bool InReasoning => _state == State.Reasoning;

    /// <summary>Splits a whole output as the stream would.</summary>
    public static (string Reasoning, string Answer) Split(string text, bool startInReasoning)
    {
        var splitter = new ReasoningSplitter(startInReasoning);
        var (r1, a1) = splitter.Push(text);
        var (r2, a2) = splitter.Flush();
        return (r1 + r2, a1 + a2);
    }

    /// <summary>Adds a text delta; returns the reasoning and answer text now safe to show.</summary>
    public (string Reasoning, string Answer) Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        _pending += delta;
        var reasoning = new StringBuilder();
        var answer = new StringBuilder();
        bool progressed = true;
        while (progressed && _pending.Length > 0)
        {
            progressed = _state switch
            {
                State.Start => StepStart(),
                State.Reasoning => StepReasoning(reasoning),
                State.AnswerStart => StepAnswerStart(),
                _ => StepAnswer(answer),
            };
        }
        return (reasoning.ToString(), answer.ToString());
    }

    /// <summary>Ends the stream: releases held text (trailing whitespace of an unfinished reasoning is dropped).</summary>
    public (string Reasoning, string Answer) Flush()
    {
        string rest = _pending;
        _pending = "";
        switch (_state)
        {
            case State.Reasoning:
                return (TrimReasoningStart(rest).TrimEnd(), "");
            case State.AnswerStart:
                return ("", rest.TrimStart());
            default:
                _state = State.Answer;
                return ("", rest);
        }
    }

    // Before anything: skip whitespace; an open tag enters the reasoning, anything else makes the output all answer.
    private bool StepStart()
    {
        string trimmed = _pending.TrimStart();
        if (trimmed.StartsWith(OpenTag, StringComparison.Ordinal))
        {
            _pending = trimmed[OpenTag.Length..];
            _state = State.Reasoning;
            return true;
        }
        if (trimmed.Length == 0 || OpenTag.StartsWith(trimmed, StringComparison.Ordinal)) return false;   // wait
        _state = State.Answer;
        return true;
    }

    private bool StepReasoning(StringBuilder reasoning)
    {
        int close = _pending.IndexOf(CloseTag, StringComparison.Ordinal);
        if (close >= 0)
        {
            reasoning.Append(TrimReasoningStart(_pending[..close]).TrimEnd());
            _pending = _pending[(close + CloseTag.Length)..];
            _state = State.AnswerStart;
            return true;
        }
        // Hold back a possible start of the close tag and trailing whitespace (dropped if the tag follows).
        int hold = TagPrefixStart(_pending, CloseTag);
        while (hold > 0 && char.IsWhiteSpace(_pending[hold - 1])) hold--;
        string ready = TrimReasoningStart(_pending[..hold]);
        reasoning.Append(ready);
        _pending = _pending[hold..];
        return false;
    }

    // Drops whitespace before the first reasoning character (the line break after the open tag).
    private string TrimReasoningStart(string text)
    {
        if (!_reasoningStarted) text = text.TrimStart();
        if (text.Length > 0) _reasoningStarted = true;
        return text;
    }

    private bool StepAnswerStart()
    {
        string trimmed = _pending.TrimStart();
        _pending = trimmed;
        if (trimmed.Length == 0) return false;
        _state = State.Answer;
        return true;
    }

    private bool StepAnswer(StringBuilder answer)
    {
        answer.Append(_pending);
        _pending = "";
        return false;
    }

    // The earliest index from which the text is a proper prefix of the tag (text.Length when there is none).
    private static int TagPrefixStart(string text, string tag)
    {
        for (int i = Math.Max(0, text.Length - tag.Length + 1); i < text.Length; i++)
            if (tag.AsSpan().StartsWith(text.AsSpan(i), StringComparison.Ordinal)) return i;
        return text.Length;
    }
}
