using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// Streams generated text while keeping tool-call blocks out of it: <see cref="Push"/> returns only text that can no
/// longer turn out to be part of a <c>&lt;longcat_tool_call&gt;</c> block. A possible start of the tag is held back until
/// the next characters settle it; a complete block becomes a <see cref="ToolCall"/> and is never emitted. Same rules as
/// <see cref="ToolCallParser.Parse"/>: the concatenation of everything emitted (through <see cref="Flush"/>) equals its
/// <see cref="ToolCallParseResult.Content"/>, and a malformed or unterminated block is emitted as text and flagged, unless
/// the filter was made to <c>holdMalformed</c>: then such a block is only flagged, so no markup ever reaches the text.
/// </summary>
/// <remarks>One instance per generated message; not thread-safe.</remarks>
internal sealed class ToolCallStreamFilter(bool holdMalformed = false, ToolCallBodyReader? reader = null)
{
    private readonly ToolCallBodyReader _reader = reader ?? ToolCallParser.Json;
    private const string OpenTag = ToolCallParser.OpenTag;
    private const string CloseTag = ToolCallParser.CloseTag;

    private readonly List<ToolCall> _calls = [];
    private readonly List<string> _malformed = [];
    private readonly StringBuilder _out = new();
    private string _pending = ""; // not yet emitted: a possible tag prefix, or (in a block) the block from its open tag on
    private bool _inBlock;
    private int _scanFrom;        // in a block: where the search for the close tag resumes

    /// <summary>The tool calls completed so far, in order.</summary>
    public IReadOnlyList<ToolCall> ToolCalls => _calls;

    /// <summary>The malformed blocks seen so far (emitted as text), tags included.</summary>
    public IReadOnlyList<string> Malformed => _malformed;

    /// <summary>True when a block could not be read as a tool call.</summary>
    public bool HasMalformed => _malformed.Count > 0;

    /// <summary>True while inside an open tool-call block whose close tag has not arrived yet.</summary>
    public bool InToolCall => _inBlock;

    /// <summary>Adds a text delta; returns the text that is now safe to show (possibly empty).</summary>
    public string Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (delta.Length == 0) return "";
        _pending += delta;
        _out.Clear();
        while (_inBlock ? TryCloseBlock() : TryOpenBlock()) { }
        return _out.ToString();
    }

    /// <summary>Ends the stream: returns held text, including an unterminated block (which is flagged malformed).</summary>
    public string Flush()
    {
        string rest = _pending;
        if (_inBlock) _malformed.Add(rest);
        bool malformed = _inBlock;
        _pending = "";
        _inBlock = false;
        return malformed && holdMalformed ? "" : rest;
    }

    // Outside a block: emit up to the open tag (true: entered a block) or up to a possible tag prefix (false: need more text).
    private bool TryOpenBlock()
    {
        int open = _pending.IndexOf(OpenTag, StringComparison.Ordinal);
        if (open >= 0)
        {
            _out.Append(_pending, 0, open);
            _pending = _pending[open..];
            _inBlock = true;
            _scanFrom = OpenTag.Length;
            return true;
        }
        int hold = PossibleTagStart(_pending);
        _out.Append(_pending, 0, hold);
        _pending = _pending[hold..];
        return false;
    }

    // In a block: on its close tag, capture the call or emit the malformed block (true: back outside); else wait (false).
    private bool TryCloseBlock()
    {
        int close = _pending.IndexOf(CloseTag, _scanFrom, StringComparison.Ordinal);
        if (close < 0)
        {
            _scanFrom = Math.Max(OpenTag.Length, _pending.Length - CloseTag.Length + 1);
            return false;
        }
        int end = close + CloseTag.Length;
        if (_reader(_pending.AsSpan(OpenTag.Length, close - OpenTag.Length), out var call))
        {
            _calls.Add(call);
        }
        else
        {
            _malformed.Add(_pending[..end]);
            if (!holdMalformed) _out.Append(_pending, 0, end);
        }
        _pending = _pending[end..];
        _inBlock = false;
        return true;
    }

    // The earliest index from which the text is a proper prefix of the open tag (text.Length when there is none).
    private static int PossibleTagStart(string text)
    {
        for (int i = Math.Max(0, text.Length - OpenTag.Length + 1); i < text.Length; i++)
        {
            if (OpenTag.AsSpan().StartsWith(text.AsSpan(i), StringComparison.Ordinal)) return i;
        }
        return text.Length;
    }
}
