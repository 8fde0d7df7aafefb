using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LongCat.Sdk.Text;

/// <summary>
/// A tokenizer.json regex (Oniguruma syntax) run with Oniguruma's meaning on .NET's engine. Both backtrack the same way
/// (leftmost match, alternatives in order, greedy quantifiers, lookahead), so the one difference left is that .NET matches
/// UTF-16 code units: a character outside the BMP (most emoji, 𝐀, 𠀀) is two surrogates of category Cs, which
/// <c>\p{L}</c> or <c>[\p{P}\p{S}]</c> would not match. Text holding such characters is matched through a stand-in string
/// with one BMP character per code point, of the same general category (and never whitespace), and the match positions
/// are mapped back.
/// </summary>
internal sealed class UnicodeRegex
{
    private readonly Regex _regex;

    /// <param name="pattern">The pattern as tokenizer.json spells it.</param>
    /// <exception cref="ArgumentException">.NET cannot compile the translated pattern.</exception>
    /// <exception cref="FormatException">The pattern is malformed.</exception>
    public UnicodeRegex(string pattern)
    {
        Pattern = pattern;
        string dotnet = OnigurumaPattern.ToDotNet(pattern);
        _regex = KnownPatterns.Get(dotnet) ?? new Regex(dotnet, KnownPatterns.Options | RegexOptions.Compiled);
    }

    public string Pattern { get; }

    /// <summary>Appends the [start, end) of every match in <paramref name="text"/>, left to right.</summary>
    public void Matches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in _regex.EnumerateMatches(text)) matches.Add((m.Index, m.Index + m.Length));
            return;
        }
        char[] shadow = ArrayPool<char>.Shared.Rent(text.Length);
        int[] origin = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            int n = 0;
            for (int i = 0; i < text.Length;)
            {
                origin[n] = i;
                if (Rune.DecodeFromUtf16(text[i..], out var rune, out int used) != OperationStatus.Done) rune = Rune.ReplacementChar;
                shadow[n++] = rune.IsBmp ? (char)rune.Value : StandIn(Rune.GetUnicodeCategory(rune));
                i += used;
            }
            origin[n] = text.Length;
            foreach (var m in _regex.EnumerateMatches(shadow.AsSpan(0, n))) matches.Add((origin[m.Index], origin[m.Index + m.Length]));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(shadow);
            ArrayPool<int>.Shared.Return(origin);
        }
    }

    /// <summary>
    /// A BMP character of <paramref name="category"/> that tokenizer patterns never name one by one: from scripts such as
    /// Glagolitic, Vai and Bamum and from supplemental punctuation, outside the CJK, kana and Latin ranges patterns do name.
    /// </summary>
    internal static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u2C00',
        UnicodeCategory.LowercaseLetter => '\u2C30',
        UnicodeCategory.TitlecaseLetter => '\u1F88',
        UnicodeCategory.ModifierLetter => '\uA67F',
        UnicodeCategory.OtherLetter => '\uA500',
        UnicodeCategory.NonSpacingMark => '\uA66F',
        UnicodeCategory.SpacingCombiningMark => '\uA823',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\uA620',
        UnicodeCategory.LetterNumber => '\uA6E6',
        UnicodeCategory.OtherNumber => '\uA830',
        UnicodeCategory.ConnectorPunctuation => '\uFE4F',
        UnicodeCategory.DashPunctuation => '\u2E1A',
        UnicodeCategory.OpenPunctuation => '\u2E22',
        UnicodeCategory.ClosePunctuation => '\u2E23',
        UnicodeCategory.InitialQuotePunctuation => '\u2E0C',
        UnicodeCategory.FinalQuotePunctuation => '\u2E0D',
        UnicodeCategory.OtherPunctuation => '\u2E2E',
        UnicodeCategory.MathSymbol => '\u2A00',
        UnicodeCategory.CurrencySymbol => '\u20B0',
        UnicodeCategory.ModifierSymbol => '\uA720',
        UnicodeCategory.OtherSymbol => '\u4DC0',
        UnicodeCategory.Format => '\uFFF9',
        UnicodeCategory.PrivateUse => '\uF8FE',
        _ => '\uFFFE',                                  // unassigned (no supplementary code point is a space, control or separator)
    };
}
