using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>What a split does with the pieces its pattern matches (tokenizer.json's <c>behavior</c>).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Lists reused across the steps of one Encode call.</summary>
internal sealed class PreTokenizerScratch
{
    public readonly List<(int Start, int End)> Matches = [];
    public readonly List<(int Start, int End, bool Flag)> Spans = [];
    public List<ReadOnlyMemory<char>> Current = [];
    public List<ReadOnlyMemory<char>> Next = [];
}

/// <summary>
/// One step of the pre-tokenizer: cuts a piece of text into smaller pieces, which BPE then encodes one by one
/// (merges never cross a piece boundary). Steps run in sequence, each on every piece the previous one produced.
/// </summary>
internal abstract class PreTokenizerStep
{
    /// <summary>Appends the non-empty pieces <paramref name="piece"/> splits into to <paramref name="output"/>.</summary>
    public abstract void Split(ReadOnlyMemory<char> piece, PreTokenizerScratch scratch, List<ReadOnlyMemory<char>> output);

    /// <summary>
    /// Cuts <paramref name="piece"/> at the matches in <c>scratch.Matches</c> (ascending, not overlapping) and keeps, merges or
    /// drops the matched parts as the Rust crate's <c>NormalizedString::split</c> does; <paramref name="invert"/> swaps
    /// matched and unmatched parts first.
    /// </summary>
    protected static void Cut(ReadOnlyMemory<char> piece, PreTokenizerScratch scratch, SplitBehavior behavior, bool invert,
        List<ReadOnlyMemory<char>> output)
    {
        var parts = scratch.Spans;                                   // (start, end, isMatch)
        parts.Clear();
        int prev = 0;
        foreach (var (start, end) in scratch.Matches)
        {
            if (prev != start) parts.Add((prev, start, invert));
            parts.Add((start, end, !invert));
            prev = end;
        }
        if (prev != piece.Length) parts.Add((prev, piece.Length, invert));

        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var (s, e, isMatch) in parts) if (!isMatch) Emit(piece, s, e, output);
                return;
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in parts) Emit(piece, s, e, output);
                return;
            case SplitBehavior.MergedWithNext:
            {
                // Walk backwards: a match joins the piece after it, unless the part after it is itself a match.
                bool nextWasMatch = false;
                int pieceEnd = -1, pieceStart = -1;
                var merged = new Stack<(int, int)>();
                for (int k = parts.Count - 1; k >= 0; k--)
                {
                    var (s, e, isMatch) = parts[k];
                    if (isMatch && !nextWasMatch && pieceEnd >= 0) pieceStart = s;
                    else
                    {
                        if (pieceEnd >= 0) merged.Push((pieceStart, pieceEnd));
                        (pieceStart, pieceEnd) = (s, e);
                    }
                    nextWasMatch = isMatch;
                }
                if (pieceEnd >= 0) merged.Push((pieceStart, pieceEnd));
                while (merged.Count > 0) { var (s, e) = merged.Pop(); Emit(piece, s, e, output); }
                return;
            }
            default:
            {
                // MergedWithPrevious: a match joins the piece before it unless that was a match too.
                // Contiguous: consecutive parts of the same kind join.
                bool previousMatch = false;
                int pieceStart = -1, pieceEnd = -1;
                foreach (var (s, e, isMatch) in parts)
                {
                    bool join = behavior == SplitBehavior.Contiguous ? isMatch == previousMatch : isMatch && !previousMatch;
                    if (join && pieceEnd >= 0) pieceEnd = e;
                    else
                    {
                        if (pieceEnd >= 0) Emit(piece, pieceStart, pieceEnd, output);
                        (pieceStart, pieceEnd) = (s, e);
                    }
                    previousMatch = isMatch;
                }
                if (pieceEnd >= 0) Emit(piece, pieceStart, pieceEnd, output);
                return;
            }
        }
    }

    private static void Emit(ReadOnlyMemory<char> piece, int start, int end, List<ReadOnlyMemory<char>> output)
    {
        if (end > start) output.Add(piece[start..end]);
    }
}

/// <summary><c>Split</c>: cuts at the matches of a regex (Oniguruma syntax) or of a literal string.</summary>
internal sealed class SplitStep(UnicodeRegex? regex, string? literal, SplitBehavior behavior, bool invert) : PreTokenizerStep
{
    public override void Split(ReadOnlyMemory<char> piece, PreTokenizerScratch scratch, List<ReadOnlyMemory<char>> output)
    {
        scratch.Matches.Clear();
        if (regex is not null) regex.Matches(piece.Span, scratch.Matches);
        else if (!string.IsNullOrEmpty(literal))
        {
            var span = piece.Span;
            for (int at = 0; at <= span.Length - literal.Length;)
            {
                int found = span[at..].IndexOf(literal, StringComparison.Ordinal);
                if (found < 0) break;
                scratch.Matches.Add((at + found, at + found + literal.Length));
                at += found + literal.Length;
            }
        }
        Cut(piece, scratch, behavior, invert, output);
    }
}

/// <summary><c>Digits</c>: isolates each numeric character (Rust's <c>char::is_numeric</c>: Nd, Nl, No), or each run of them.</summary>
internal sealed class DigitsStep(bool individualDigits) : PreTokenizerStep
{
    public override void Split(ReadOnlyMemory<char> piece, PreTokenizerScratch scratch, List<ReadOnlyMemory<char>> output)
    {
        scratch.Matches.Clear();
        var span = piece.Span;
        for (int i = 0; i < span.Length;)
        {
            Rune.DecodeFromUtf16(span[i..], out var rune, out int used);
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
                scratch.Matches.Add((i, i + used));
            i += used;
        }
        Cut(piece, scratch, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, invert: false, output);
    }
}

/// <summary>
/// <c>ByteLevel</c> as a pre-tokenizer: optionally puts a space before each piece that does not start with one, and optionally
/// splits with GPT-2's pattern. (Its mapping of bytes to characters happens in BPE, which works on UTF-8 bytes.)
/// </summary>
internal sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    private readonly UnicodeRegex? _gpt2 = useRegex ? new UnicodeRegex(KnownPatterns.Gpt2) : null;

    public override void Split(ReadOnlyMemory<char> piece, PreTokenizerScratch scratch, List<ReadOnlyMemory<char>> output)
    {
        if (addPrefixSpace && !piece.Span.StartsWith(' ')) piece = string.Concat(" ", piece.Span).AsMemory();
        if (_gpt2 is null) { if (piece.Length > 0) output.Add(piece); return; }
        scratch.Matches.Clear();
        _gpt2.Matches(piece.Span, scratch.Matches);
        Cut(piece, scratch, SplitBehavior.Isolated, invert: false, output);
    }
}
