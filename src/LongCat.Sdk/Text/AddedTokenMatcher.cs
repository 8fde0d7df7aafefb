using System.Buffers;
using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>A piece of the input: text still to be tokenized, or an added token already recognised (<see cref="TokenId"/> ≥ 0).</summary>
internal readonly record struct TextSegment(ReadOnlyMemory<char> Text, int TokenId)
{
    public bool IsToken => TokenId >= 0;
}

/// <summary>
/// Finds added tokens in text the way Hugging Face tokenizers does (an Aho-Corasick automaton, leftmost-longest, matches
/// never overlapping): scanning left to right, the first position where some token starts wins, and the longest token
/// there. A match that is then discarded (a special token when special tokens are not parsed, a single-word token inside
/// a word) still consumes its text, which stays plain text. lstrip/rstrip widen a match over adjacent whitespace.
/// </summary>
/// <remarks>A character trie; the scan jumps between possible first characters with a vectorized IndexOfAny.</remarks>
internal sealed class AddedTokenMatcher
{
    private readonly AddedToken[] _tokens;
    private readonly Dictionary<long, int> _edges = [];    // (node << 16 | char) -> child node
    private readonly List<int> _terminal = [-1];            // node -> index in _tokens, or -1
    private readonly SearchValues<char> _firstChars;

    /// <param name="tokens">The tokens, in tokenizer.json order (on equal content the first wins, as in the Rust crate).</param>
    /// <param name="patterns">The text each token matches (its content, or its normalized content).</param>
    public AddedTokenMatcher(IReadOnlyList<AddedToken> tokens, IReadOnlyList<string> patterns)
    {
        _tokens = [.. tokens];
        var first = new HashSet<char>();
        for (int t = 0; t < _tokens.Length; t++)
        {
            string p = patterns[t];
            if (p.Length == 0) continue;
            first.Add(p[0]);
            int node = 0;
            foreach (char c in p)
            {
                long key = ((long)node << 16) | c;
                if (!_edges.TryGetValue(key, out int child))
                {
                    child = _terminal.Count;
                    _terminal.Add(-1);
                    _edges[key] = child;
                }
                node = child;
            }
            if (_terminal[node] < 0) _terminal[node] = t;
        }
        _firstChars = SearchValues.Create([.. first]);
    }

    public bool IsEmpty => _terminal.Count == 1;

    /// <summary>Splits <paramref name="text"/> into plain-text segments and added tokens, appended to <paramref name="output"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="parseSpecialTokens">Whether special tokens are recognised at all.</param>
    /// <param name="output">Receives the segments.</param>
    /// <param name="plainText">Sorted, non-overlapping [start, end) ranges of <paramref name="text"/> where no added token may
    /// match: an added token, special or not, whose text overlaps one stays plain text (untrusted content inside a trusted
    /// template: a message that types <c>&lt;longcat_tool_response&gt;</c> gets the characters, not the tag).</param>
    public void Split(ReadOnlyMemory<char> text, bool parseSpecialTokens, List<TextSegment> output, ReadOnlySpan<(int Start, int End)> plainText = default)
    {
        var span = text.Span;
        int startOffset = 0, pos = 0;
        while (pos < span.Length && !IsEmpty)
        {
            int at = span[pos..].IndexOfAny(_firstChars);
            if (at < 0) break;
            at += pos;
            var (length, index) = LongestAt(span, at);
            if (length == 0) { pos = at + 1; continue; }
            pos = at + length;                              // the automaton resumes after the match, used or not
            var token = _tokens[index];
            int start = at, stop = at + length;
            if ((token.Special && !parseSpecialTokens) || Overlaps(plainText, at, at + length)) continue;
            if (token.SingleWord && (EndsWithWordChar(span[..start]) || StartsWithWordChar(span[stop..]))) continue;
            if (token.LeftStrip)
            {
                int s = start;
                while (s > 0 && char.IsWhiteSpace(span[s - 1])) s--;
                start = Math.Max(s, startOffset);
            }
            if (token.RightStrip)
                while (stop < span.Length && char.IsWhiteSpace(span[stop])) stop++;
            if (startOffset < start) output.Add(new TextSegment(text[startOffset..start], -1));
            output.Add(new TextSegment(text[start..stop], token.Id));
            startOffset = stop;
        }
        if (startOffset < span.Length || span.Length == 0) output.Add(new TextSegment(text[startOffset..], -1));
    }

    /// <summary>Whether [start, end) overlaps any of the sorted, disjoint <paramref name="ranges"/>.</summary>
    internal static bool Overlaps(ReadOnlySpan<(int Start, int End)> ranges, int start, int end)
    {
        foreach (var (s, e) in ranges)
        {
            if (s >= end) return false;
            if (e > start && s < e) return true;
        }
        return false;
    }

    private (int Length, int Index) LongestAt(ReadOnlySpan<char> span, int at)
    {
        int node = 0, bestLength = 0, best = -1;
        for (int i = at; i < span.Length && _edges.TryGetValue(((long)node << 16) | span[i], out node); i++)
            if (_terminal[node] >= 0) { bestLength = i - at + 1; best = _terminal[node]; }
        return (bestLength, best);
    }

    // Rust regex's Unicode \w: alphabetic, marks, decimal digits, connector punctuation, join controls (Alphabetic is
    // approximated by the letter and letter-number categories).
    private static bool IsWordChar(Rune r) => r.Value is 0x200C or 0x200D || Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };

    private static bool EndsWithWordChar(ReadOnlySpan<char> s) =>
        s.Length > 0 && Rune.DecodeLastFromUtf16(s, out var r, out _) == OperationStatus.Done && IsWordChar(r);

    private static bool StartsWithWordChar(ReadOnlySpan<char> s) =>
        s.Length > 0 && Rune.DecodeFromUtf16(s, out var r, out _) == OperationStatus.Done && IsWordChar(r);
}
