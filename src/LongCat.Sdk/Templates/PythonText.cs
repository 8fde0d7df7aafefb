using System.Globalization;
using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Templates;

/// <summary>Python's string and number formatting where it differs from .NET's.</summary>
internal static class PythonText
{
    /// <summary>The characters Python's <c>str.isspace</c> accepts (BMP).</summary>
    public static readonly char[] WhitespaceChars =
        [.. Enumerable.Range(0, 0x10000).Select(c => (char)c).Where(c => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f')];

    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary><c>repr(float)</c>: shortest round-trip digits, <c>1.0</c>, <c>1e+16</c>, <c>inf</c>, <c>nan</c>.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.AsSpan().IndexOfAny('.', 'E') < 0) r += ".0";
        string s = PythonJson.PythonNumber(r);
        return d == 0 && double.IsNegative(d) ? "-0.0" : s;
    }

    /// <summary><c>repr(str)</c>: single quotes unless the text has one and no double quote; non-printables escaped.</summary>
    public static string StringRepr(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, s[i + 1]);
                if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(cp), cp)) sb.Append(c).Append(s[i + 1]);
                else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                i++;
            }
            else if (IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c), c)) sb.Append(c);
            else if (c < 0x100) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return sb.Append(quote).ToString();
    }

    private static bool IsPrintable(UnicodeCategory category, int c) => c == ' ' || category is not (UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);

    /// <summary>Python's <c>strip</c>/<c>lstrip</c>/<c>rstrip</c> as [start, end) of <paramref name="s"/>.</summary>
    public static (int Start, int End) StripBounds(string s, string? chars, bool left, bool right)
    {
        bool Strippable(char c) => chars is null ? IsSpace(c) : chars.Contains(c);
        int start = 0, end = s.Length;
        if (left) while (start < end && Strippable(s[start])) start++;
        if (right) while (end > start && Strippable(s[end - 1])) end--;
        return (start, end);
    }

    /// <summary>Python's <c>str.split</c>/<c>rsplit</c> as ranges of <paramref name="s"/>.</summary>
    public static List<(int Start, int End)> Split(string s, string? sep, int maxSplit, bool fromRight)
    {
        var parts = new List<(int, int)>();
        if (sep is null)
        {
            // Runs of whitespace separate; leading and trailing whitespace gives no empty pieces.
            var words = new List<(int, int)>();
            int i = 0;
            while (i < s.Length)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                int start = i;
                while (i < s.Length && !IsSpace(s[i])) i++;
                words.Add((start, i));
            }
            if (maxSplit < 0 || words.Count <= maxSplit + 1) return words;
            if (!fromRight)
            {
                parts.AddRange(words.Take(maxSplit));
                int restStart = words[maxSplit].Item1;
                int restEnd = s.Length;
                while (restEnd > restStart && IsSpace(s[restEnd - 1])) restEnd--;
                parts.Add((restStart, restEnd));
            }
            else
            {
                int keep = words.Count - maxSplit;
                int restEnd = words[keep - 1].Item2;
                int restStart = 0;
                while (restStart < restEnd && IsSpace(s[restStart])) restStart++;
                parts.Add((restStart, restEnd));
                parts.AddRange(words.Skip(keep));
            }
            return parts;
        }
        if (sep.Length == 0) throw new ChatTemplateException("empty separator");
        var cuts = new List<int>();
        if (!fromRight)
        {
            for (int at = s.IndexOf(sep, StringComparison.Ordinal); at >= 0 && (maxSplit < 0 || cuts.Count < maxSplit);
                 at = s.IndexOf(sep, at + sep.Length, StringComparison.Ordinal))
                cuts.Add(at);
        }
        else
        {
            for (int end = s.Length; end >= sep.Length && (maxSplit < 0 || cuts.Count < maxSplit);)
            {
                int at = s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
                if (at < 0) break;
                cuts.Insert(0, at);
                end = at;
            }
        }
        int from = 0;
        foreach (int at in cuts) { parts.Add((from, at)); from = at + sep.Length; }
        parts.Add((from, s.Length));
        return parts;
    }

    /// <summary>Python's <c>str.splitlines</c> as ranges of <paramref name="s"/> (line breaks left out).</summary>
    public static List<(int Start, int End)> SplitLines(string s)
    {
        var lines = new List<(int, int)>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            lines.Add((start, i));
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add((start, s.Length));
        return lines;
    }

    /// <summary>jinja2's <c>title</c> filter: upper-case the first letter of each word (words start after <c>-</c>, whitespace, or an opening bracket).</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool separator = c is '-' or '(' or '{' or '[' or '<' || IsSpace(c);
            sb.Append(separator ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>C's <c>strftime</c> for the directives chat templates use.</summary>
    public static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char d = format[++i];
            sb.Append(d switch
            {
                'Y' => t.Year.ToString("0000", c),
                'y' => (t.Year % 100).ToString("00", c),
                'm' => t.Month.ToString("00", c),
                'd' => t.Day.ToString("00", c),
                'e' => t.Day.ToString(c).PadLeft(2),
                'H' => t.Hour.ToString("00", c),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", c),
                'M' => t.Minute.ToString("00", c),
                'S' => t.Second.ToString("00", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'B' => c.DateTimeFormat.GetMonthName(t.Month),
                'b' or 'h' => c.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'A' => c.DateTimeFormat.GetDayName(t.DayOfWeek),
                'a' => c.DateTimeFormat.GetAbbreviatedDayName(t.DayOfWeek),
                'j' => t.DayOfYear.ToString("000", c),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'F' => t.ToString("yyyy-MM-dd", c),
                'T' => t.ToString("HH:mm:ss", c),
                '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}
