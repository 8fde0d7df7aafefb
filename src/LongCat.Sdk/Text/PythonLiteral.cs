using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// Reads a Python literal (what <c>ast.literal_eval</c> takes for data: <c>True</c>/<c>False</c>/<c>None</c>, numbers, quoted
/// strings, lists, tuples and dicts) and writes it as compact JSON. Tuples become arrays; dict keys must be strings or numbers
/// (numbers become their text). Anything else, or text after the literal, is not one (null).
/// </summary>
internal static class PythonLiteral
{
    private const int MaxDepth = 64;

    /// <summary>The literal as compact JSON, or null when <paramref name="text"/> is not one.</summary>
    public static string? TryToJson(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder();
        int pos = 0;
        if (!Value(text, ref pos, sb, 0)) return null;
        Skip(text, ref pos);
        return pos == text.Length ? sb.ToString() : null;
    }

    private static bool Value(string s, ref int pos, StringBuilder sb, int depth)
    {
        if (depth > MaxDepth) return false;
        Skip(s, ref pos);
        if (pos >= s.Length) return false;
        char c = s[pos];
        if (c is '\'' or '"')
        {
            if (ReadString(s, ref pos) is not { } str) return false;
            PythonJson.WriteString(sb, str, ensureAscii: false);
            return true;
        }
        if (c is '[' or '(') return Sequence(s, ref pos, sb, depth, c == '[' ? ']' : ')');
        if (c == '{') return Dict(s, ref pos, sb, depth);
        foreach (var (word, json) in (ReadOnlySpan<(string, string)>)[("True", "true"), ("False", "false"), ("None", "null")])
        {
            if (string.CompareOrdinal(s, pos, word, 0, word.Length) == 0 && !IsNameChar(s, pos + word.Length))
            {
                pos += word.Length;
                sb.Append(json);
                return true;
            }
        }
        return Number(s, ref pos, sb);
    }

    private static bool Sequence(string s, ref int pos, StringBuilder sb, int depth, char close)
    {
        pos++;
        sb.Append('[');
        for (int n = 0; ; n++)
        {
            Skip(s, ref pos);
            if (pos < s.Length && s[pos] == close) { pos++; break; }
            if (n > 0) sb.Append(',');
            if (!Value(s, ref pos, sb, depth + 1)) return false;
            Skip(s, ref pos);
            if (pos < s.Length && s[pos] == ',') { pos++; continue; }
            if (pos < s.Length && s[pos] == close) { pos++; break; }
            return false;
        }
        sb.Append(']');
        return true;
    }

    private static bool Dict(string s, ref int pos, StringBuilder sb, int depth)
    {
        pos++;
        sb.Append('{');
        for (int n = 0; ; n++)
        {
            Skip(s, ref pos);
            if (pos < s.Length && s[pos] == '}') { pos++; break; }
            if (n > 0) sb.Append(',');
            if (pos >= s.Length) return false;
            string? key;
            if (s[pos] is '\'' or '"') key = ReadString(s, ref pos);
            else
            {
                var number = new StringBuilder();
                key = Number(s, ref pos, number) ? number.ToString() : null;
            }
            if (key is null) return false;
            PythonJson.WriteString(sb, key, ensureAscii: false);
            Skip(s, ref pos);
            if (pos >= s.Length || s[pos] != ':') return false;
            pos++;
            sb.Append(':');
            if (!Value(s, ref pos, sb, depth + 1)) return false;
            Skip(s, ref pos);
            if (pos < s.Length && s[pos] == ',') { pos++; continue; }
            if (pos < s.Length && s[pos] == '}') { pos++; break; }
            return false;
        }
        sb.Append('}');
        return true;
    }

    // A quoted string with Python's common escapes; null when unterminated or an escape is unknown.
    private static string? ReadString(string s, ref int pos)
    {
        char quote = s[pos++];
        var sb = new StringBuilder();
        while (pos < s.Length)
        {
            char c = s[pos++];
            if (c == quote) return sb.ToString();
            if (c == '\n') return null;
            if (c != '\\') { sb.Append(c); continue; }
            if (pos >= s.Length) return null;
            char e = s[pos++];
            switch (e)
            {
                case '\\' or '\'' or '"': sb.Append(e); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'u' when pos + 4 <= s.Length && int.TryParse(s.AsSpan(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int u):
                    sb.Append((char)u);
                    pos += 4;
                    break;
                default: return null;
            }
        }
        return null;
    }

    // An int or float as Python writes it (sign, digits, fraction, exponent); written as JSON (a float's text normalised by double).
    private static bool Number(string s, ref int pos, StringBuilder sb)
    {
        int start = pos;
        if (pos < s.Length && s[pos] is '-' or '+') pos++;
        int digits = pos;
        while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
        bool isFloat = false;
        if (pos < s.Length && s[pos] == '.') { isFloat = true; pos++; while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++; }
        if (pos == digits || (pos == digits + 1 && isFloat)) { pos = start; return false; }
        if (pos < s.Length && s[pos] is 'e' or 'E')
        {
            isFloat = true;
            pos++;
            if (pos < s.Length && s[pos] is '-' or '+') pos++;
            int exp = pos;
            while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            if (pos == exp) { pos = start; return false; }
        }
        if (IsNameChar(s, pos)) { pos = start; return false; }
        var text = s.AsSpan(start, pos - start);
        if (!isFloat)
        {
            if (!System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)) return false;
            sb.Append(big.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d)) return false;
        sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        return true;
    }

    private static bool IsNameChar(string s, int pos) => pos < s.Length && (char.IsLetterOrDigit(s[pos]) || s[pos] == '_');

    private static void Skip(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }
}
