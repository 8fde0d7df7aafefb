using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Structured;

/// <summary>
/// JSON text pieces as grammar expressions: strings (any, or over an alphabet in one canonical spelling), separators, object
/// keys outside a set, and JSON values as compact literals. The canonical spelling of a character is the one a constraint
/// generates and the one literals are written in: itself in UTF-8, except <c>\"</c>, <c>\\</c>, <c>\b \t \n \f \r</c> and
/// <c>\u00XX</c> for the other controls.
/// </summary>
internal static class JsonStrings
{
    public static readonly GrammarExpr Quote = GrammarExpr.Byte((byte)'"');

    /// <summary>
    /// Characters that are each their own grapheme cluster whatever surrounds them: ASCII less CR (CR LF is one cluster), Latin-1
    /// to Latin Extended-B and spacing modifiers (U+00A0–U+02FF), Greek and Cyrillic less combining marks, CJK unified ideographs.
    /// Strings with minLength/maxLength use only these, so code points (JSON Schema's length), UTF-16 units and grapheme clusters
    /// (what .NET validators such as JsonSchema.Net count) agree.
    /// </summary>
    public static CodePointSet LengthAlphabet { get; } = CodePointSet.FromRanges(
        [(0x00, 0x0C), (0x0E, 0x7F), (0xA0, 0x2FF), (0x370, 0x482), (0x48A, 0x52F), (0x4E00, 0x9FFF)]);

    /// <summary>One character of any JSON string, in any spelling: unescaped, a short escape, or <c>\uXXXX</c> outside the
    /// surrogates (a lone surrogate escape would not decode).</summary>
    public static GrammarExpr AnyChar { get; } = GrammarExpr.Choice(
        CodePointSet.Range(0x20, CodePointSet.MaxScalar).Except(CodePointSet.Of('"')).Except(CodePointSet.Of('\\')).ToUtf8(),
        GrammarExpr.Sequence(GrammarExpr.Byte((byte)'\\'), GrammarExpr.Choice(
            GrammarExpr.Bytes(Set("\"\\/bfnrt")),
            GrammarExpr.Sequence(GrammarExpr.Byte((byte)'u'), GrammarExpr.Choice(
                GrammarExpr.Sequence(GrammarExpr.Bytes(Set("0123456789abcABCefEF")), Hex(), Hex(), Hex()),
                GrammarExpr.Sequence(GrammarExpr.Bytes(Set("dD")), GrammarExpr.ByteRange('0', '7'), Hex(), Hex()))))));

    /// <summary>Any JSON string, quotes included.</summary>
    public static GrammarExpr AnyString { get; } = GrammarExpr.Sequence(Quote, GrammarExpr.Star(AnyChar), Quote);

    /// <summary><c>:</c> or <c>,</c>, then at most one space.</summary>
    public static GrammarExpr Separator(char c) => GrammarExpr.Sequence(GrammarExpr.Byte((byte)c), GrammarExpr.Optional(GrammarExpr.Byte((byte)' ')));

    /// <summary>One character of <paramref name="set"/>, in its canonical spelling.</summary>
    public static GrammarExpr CanonicalChar(CodePointSet set)
    {
        var escaped = new List<GrammarExpr>();
        foreach (var (lo, hi) in set.Ranges)
            for (int c = lo; c <= Math.Min(hi, 0x5C); c++)
                if (c < 0x20 || c == '"' || c == '\\') escaped.Add(GrammarExpr.Literal(Escape(c)));
        var plain = set.Except(CodePointSet.Range(0, 0x1F)).Except(CodePointSet.Of('"')).Except(CodePointSet.Of('\\'));
        return GrammarExpr.Choice([.. escaped, plain.ToUtf8()]);
    }

    /// <summary>The canonical escape of a control character, <c>"</c> or <c>\</c>.</summary>
    public static string Escape(int c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\b' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\f' => "\\f",
        '\r' => "\\r",
        _ => $"\\u{c:x4}",
    };

    /// <summary>
    /// A quoted object key that is none of <paramref name="excluded"/>: printable ASCII less <c>"</c> and <c>\</c> (no escapes, so
    /// no other spelling of an excluded key gets through), walked as the complement of the excluded keys' trie.
    /// </summary>
    public static GrammarExpr KeyOutside(IEnumerable<string> excluded)
    {
        var alphabet = ByteSet.Range(0x20, 0x7E).Except(ByteSet.Of((byte)'"')).Except(ByteSet.Of((byte)'\\'));
        var names = excluded.Where(n => n.All(c => c >= 0x20 && c <= 0x7E && c != '"' && c != '\\')).Distinct().ToList();
        return GrammarExpr.Sequence(Quote, Node(""), Quote);

        GrammarExpr Node(string prefix)
        {
            var children = names.Where(n => n.Length > prefix.Length && n.StartsWith(prefix, StringComparison.Ordinal))
                .Select(n => (byte)n[prefix.Length]).Distinct().ToList();
            var parts = new List<GrammarExpr>();
            if (!names.Contains(prefix)) parts.Add(GrammarExpr.Empty);
            foreach (byte b in children) parts.Add(GrammarExpr.Sequence(GrammarExpr.Byte(b), Node(prefix + (char)b)));
            var others = children.Aggregate(alphabet, (set, b) => set.Except(ByteSet.Of(b)));
            parts.Add(GrammarExpr.Sequence(GrammarExpr.Bytes(others), GrammarExpr.Star(GrammarExpr.Bytes(alphabet))));
            return GrammarExpr.Choice(parts);
        }
    }

    /// <summary>The compact JSON text of <paramref name="value"/>: strings in canonical spelling, numbers as written.</summary>
    public static string Literal(JsonElement value)
    {
        var text = new StringBuilder();
        Write(value, text);
        return text.ToString();
    }

    /// <summary>The quoted canonical spelling of <paramref name="s"/> (lone surrogates become U+FFFD).</summary>
    public static string QuotedLiteral(string s)
    {
        var text = new StringBuilder();
        WriteString(s, text);
        return text.ToString();
    }

    private static void Write(JsonElement value, StringBuilder text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                bool first = true;
                foreach (var p in value.EnumerateObject())
                {
                    if (!first) text.Append(',');
                    first = false;
                    WriteString(p.Name, text);
                    text.Append(':');
                    Write(p.Value, text);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (i++ > 0) text.Append(',');
                    Write(item, text);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, text);
                break;
            default:
                text.Append(value.GetRawText());
                break;
        }
    }

    private static void WriteString(string s, StringBuilder text)
    {
        text.Append('"');
        foreach (var rune in s.EnumerateRunes())
            if (rune.Value < 0x20 || rune.Value == '"' || rune.Value == '\\') text.Append(Escape(rune.Value));
            else text.Append(rune.ToString());
        text.Append('"');
    }

    private static GrammarExpr Hex() => GrammarExpr.Bytes(Set("0123456789abcdefABCDEF"));

    private static ByteSet Set(string chars) => chars.Aggregate(ByteSet.Empty, (set, c) => set.Union(ByteSet.Of((byte)c)));
}
