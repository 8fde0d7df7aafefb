using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// Rewrites a regular expression written for Oniguruma (what Hugging Face tokenizers compiles tokenizer.json patterns with)
/// into .NET syntax with the same meaning. .NET lacks possessive quantifiers: <c>X?+</c>, <c>X*+</c>, <c>X++</c>,
/// <c>X{n,m}+</c> become the atomic groups <c>(?&gt;X?)</c> and so on, which match exactly the same. Everything else the
/// tokenizer patterns use (<c>\p{L}</c>, <c>\s</c>, classes, lookahead, <c>(?i:…)</c>) already means the same in both,
/// except that .NET works on UTF-16 code units: <see cref="UnicodeRegex"/> takes care of characters outside the BMP.
/// </summary>
internal static class OnigurumaPattern
{
    /// <summary>The .NET form of <paramref name="pattern"/>.</summary>
    /// <exception cref="FormatException">Unbalanced brackets or parentheses.</exception>
    public static string ToDotNet(string pattern)
    {
        int i = 0;
        string result = Sequence(pattern, ref i, inGroup: false);
        if (i != pattern.Length) throw new FormatException($"unbalanced ')' at {i}");
        return result;
    }

    // Translates atoms until the end or the ')' closing the current group (left unread).
    private static string Sequence(string p, ref int i, bool inGroup)
    {
        var output = new StringBuilder(p.Length + 8);
        int lastAtom = -1;                              // where the last quantifiable atom starts in output
        while (i < p.Length)
        {
            char c = p[i];
            if (c == ')')
            {
                if (!inGroup) throw new FormatException($"unbalanced ')' at {i}");
                break;
            }
            if (c is '?' or '*' or '+' or '{' && IsQuantifier(p, i, out int end))
            {
                string quantifier = p[i..end];
                i = end;
                if (i < p.Length && p[i] == '+' && lastAtom >= 0)
                {
                    i++;
                    string atom = output.ToString(lastAtom, output.Length - lastAtom);
                    output.Length = lastAtom;
                    output.Append("(?>").Append(atom).Append(quantifier).Append(')');
                }
                else
                {
                    if (i < p.Length && p[i] == '?') { quantifier += "?"; i++; }
                    output.Append(quantifier);
                }
                continue;
            }
            lastAtom = output.Length;
            if (c == '\\') output.Append(Escape(p, ref i));
            else if (c == '[') output.Append(Class(p, ref i));
            else if (c == '(')
            {
                int headerEnd = GroupHeaderEnd(p, i);
                output.Append(p, i, headerEnd - i);
                i = headerEnd;
                output.Append(Sequence(p, ref i, inGroup: true));
                if (i >= p.Length) throw new FormatException("unbalanced '('");
                output.Append(')');
                i++;
            }
            else { output.Append(c); i++; }
        }
        return output.ToString();
    }

    private static bool IsQuantifier(string p, int i, out int end)
    {
        end = i + 1;
        if (p[i] != '{') return true;
        int close = p.IndexOf('}', i);
        if (close < 0) return false;
        foreach (char ch in p.AsSpan(i + 1, close - i - 1)) if (!char.IsAsciiDigit(ch) && ch != ',') return false;
        end = close + 1;
        return close > i + 1;
    }

    private static string Escape(string p, ref int i)
    {
        int start = i;
        i += 2;
        if (i <= p.Length && p[i - 1] is 'p' or 'P' or 'x' && i < p.Length && p[i] == '{')
        {
            int close = p.IndexOf('}', i);
            i = close < 0 ? p.Length : close + 1;
        }
        return p[start..Math.Min(i, p.Length)];
    }

    private static string Class(string p, ref int i)
    {
        int start = i++;
        if (i < p.Length && p[i] == '^') i++;
        if (i < p.Length && p[i] == ']') i++;               // a leading ']' is a literal
        while (i < p.Length && p[i] != ']')
        {
            if (p[i] == '\\') Escape(p, ref i);
            else if (p[i] == '[') Class(p, ref i);
            else i++;
        }
        if (i >= p.Length) throw new FormatException($"unbalanced '[' at {start}");
        i++;
        return p[start..i];
    }

    // "(" or "(?:" "(?i:" "(?=" "(?!" "(?<=" "(?<!" "(?>" "(?<name>": where the group's body starts.
    private static int GroupHeaderEnd(string p, int i)
    {
        if (i + 1 >= p.Length || p[i + 1] != '?') return i + 1;
        int j = i + 2;
        if (j < p.Length && p[j] is '=' or '!' or '>' or ':') return j + 1;
        if (j < p.Length && p[j] == '<')
        {
            if (j + 1 < p.Length && p[j + 1] is '=' or '!') return j + 2;
            int close = p.IndexOf('>', j);
            return close < 0 ? p.Length : close + 1;
        }
        while (j < p.Length && p[j] is not (':' or ')')) j++; // inline options: (?i:...) or (?i)
        return j < p.Length && p[j] == ':' ? j + 1 : j;
    }
}
