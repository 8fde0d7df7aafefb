using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Templates;

internal enum TokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Text, int Line, long IntValue = 0, double FloatValue = 0)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
    public bool IsOp(string op) => Kind == TokenKind.Operator && Text == op;
}

/// <summary>
/// Splits a template into tokens as jinja2's lexer does with Hugging Face's settings: <c>trim_blocks</c> (the first newline
/// after a block or comment tag is dropped), <c>lstrip_blocks</c> (spaces and tabs before a block or comment tag at the start
/// of a line are dropped), <c>-</c>/<c>+</c> whitespace control, newlines normalised to <c>\n</c> and one trailing newline of
/// the source dropped (<c>keep_trailing_newline=False</c>).
/// </summary>
internal static class TemplateLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"];

    public static List<Token> Tokenize(string source)
    {
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n')) source = source[..^1];

        var tokens = new List<Token>();
        int pos = 0, line = 1;
        bool lineStarting = true;
        while (pos < source.Length)
        {
            int open = FindTagOpen(source, pos);
            string data = open < 0 ? source[pos..] : source[pos..open];
            if (open < 0)
            {
                Emit(tokens, data, ref line);
                break;
            }

            char kind = source[open + 1];
            char sign = open + 2 < source.Length && source[open + 2] is '-' or '+' ? source[open + 2] : '\0';
            if (sign == '-')
            {
                data = data.TrimEnd(PythonText.WhitespaceChars);
            }
            else if (sign != '+' && kind != '{')
            {
                // lstrip_blocks: whitespace between the line start and a block or comment tag goes.
                int lineStart = data.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < data.Length && data.AsSpan(lineStart).IndexOfAnyExcept(PythonText.WhitespaceChars) < 0)
                    data = data[..lineStart];
            }
            Emit(tokens, data, ref line);
            line += CountNewlines(source, pos + data.Length, open);
            pos = open + 2 + (sign != '\0' ? 1 : 0);

            if (kind == '#')
            {
                int close = source.IndexOf("#}", pos, StringComparison.Ordinal);
                if (close < 0) throw new ChatTemplateException($"line {line}: unexpected end of template: the comment is not closed.", line);
                bool stripAfter = source[close - 1] == '-' && close - 1 >= pos;
                bool keepNewline = source[close - 1] == '+' && close - 1 >= pos;
                line += CountNewlines(source, pos, close);
                pos = close + 2;
                pos = SkipAfterTag(source, pos, stripAfter, trimNewline: !keepNewline, ref line);
                lineStarting = pos > 0 && source[pos - 1] == '\n';
                continue;
            }

            if (kind == '%' && IsRawTag(source, pos))
                throw new ChatTemplateException($"line {line}: unsupported tag 'raw'.", line);

            tokens.Add(new Token(kind == '{' ? TokenKind.VariableBegin : TokenKind.BlockBegin, "", line));
            pos = LexTag(source, pos, kind == '{' ? '}' : '%', tokens, ref line);
            lineStarting = pos > 0 && source[pos - 1] == '\n';
        }
        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    private static void Emit(List<Token> tokens, string data, ref int line)
    {
        if (data.Length == 0) return;
        tokens.Add(new Token(TokenKind.Data, data, line));
        line += CountNewlines(data, 0, data.Length);
    }

    private static int CountNewlines(string s, int from, int to) => from >= to ? 0 : s.AsSpan(from, to - from).Count('\n');

    private static int FindTagOpen(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private static bool IsRawTag(string s, int pos)
    {
        int i = pos;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        return string.CompareOrdinal(s, i, "raw", 0, 3) == 0 && (i + 3 >= s.Length || !char.IsLetterOrDigit(s[i + 3]) && s[i + 3] != '_');
    }

    // After a tag: '-' strips all whitespace; trim_blocks drops one newline after a block or comment tag.
    private static int SkipAfterTag(string s, int pos, bool stripAfter, bool trimNewline, ref int line)
    {
        if (stripAfter)
        {
            while (pos < s.Length && PythonText.IsSpace(s[pos])) { if (s[pos] == '\n') line++; pos++; }
        }
        else if (trimNewline && pos < s.Length && s[pos] == '\n')
        {
            pos++;
            line++;
        }
        return pos;
    }

    private static int LexTag(string s, int pos, char closer, List<Token> tokens, ref int line)
    {
        int depth = 0; // brackets open inside the tag: '}}' closes a dict literal there, not the tag
        while (true)
        {
            while (pos < s.Length && PythonText.IsSpace(s[pos])) { if (s[pos] == '\n') line++; pos++; }
            if (pos >= s.Length)
                throw new ChatTemplateException($"line {line}: unexpected end of template: the tag is not closed.", line);

            if (depth == 0)
            {
                int end = MatchTagEnd(s, pos, closer, out bool strip, out bool plus);
                if (end >= 0)
                {
                    tokens.Add(new Token(closer == '}' ? TokenKind.VariableEnd : TokenKind.BlockEnd, "", line));
                    return SkipAfterTag(s, end, strip, trimNewline: closer == '%' && !plus, ref line);
                }
            }

            char c = s[pos];
            if (char.IsAsciiLetter(c) || c == '_' || c > 127 && char.IsLetter(c))
            {
                int start = pos;
                while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] == '_' || s[pos] > 127 && char.IsLetterOrDigit(s[pos]))) pos++;
                tokens.Add(new Token(TokenKind.Name, s[start..pos], line));
            }
            else if (char.IsAsciiDigit(c))
            {
                pos = LexNumber(s, pos, tokens, line);
            }
            else if (c is '\'' or '"')
            {
                pos = LexString(s, pos, tokens, ref line);
            }
            else
            {
                string? op = null;
                foreach (var o in Operators)
                    if (string.CompareOrdinal(s, pos, o, 0, o.Length) == 0) { op = o; break; }
                if (op is null) throw new ChatTemplateException($"line {line}: unexpected character '{c}'.", line);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                tokens.Add(new Token(TokenKind.Operator, op, line));
                pos += op.Length;
            }
        }
    }

    private static int MatchTagEnd(string s, int pos, char closer, out bool strip, out bool plus)
    {
        strip = plus = false;
        int p = pos;
        if (s[p] is '-' or '+' && p + 1 < s.Length && s[p + 1] == closer && p + 2 < s.Length && s[p + 2] == '}')
        {
            strip = s[p] == '-';
            plus = s[p] == '+';
            p++;
        }
        if (p + 1 < s.Length && s[p] == closer && s[p + 1] == '}') return p + 2;
        strip = plus = false;
        return -1;
    }

    private static int LexNumber(string s, int pos, List<Token> tokens, int line)
    {
        int start = pos;
        while (pos < s.Length && (char.IsAsciiDigit(s[pos]) || s[pos] == '_')) pos++;
        bool isFloat = false;
        if (pos + 1 < s.Length && s[pos] == '.' && char.IsAsciiDigit(s[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < s.Length && (char.IsAsciiDigit(s[pos]) || s[pos] == '_')) pos++;
        }
        if (pos < s.Length && s[pos] is 'e' or 'E')
        {
            int e = pos + 1;
            if (e < s.Length && s[e] is '+' or '-') e++;
            if (e < s.Length && char.IsAsciiDigit(s[e]))
            {
                isFloat = true;
                pos = e;
                while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            }
        }
        string text = s[start..pos].Replace("_", "");
        tokens.Add(isFloat
            ? new Token(TokenKind.Float, text, line, FloatValue: double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture))
            : new Token(TokenKind.Integer, text, line, IntValue: long.Parse(text, CultureInfo.InvariantCulture)));
        return pos;
    }

    // A string literal, decoded as Python's "unicode-escape" does (jinja2's rule).
    private static int LexString(string s, int pos, List<Token> tokens, ref int line)
    {
        char quote = s[pos];
        int startLine = line;
        var sb = new StringBuilder();
        int i = pos + 1;
        while (true)
        {
            if (i >= s.Length) throw new ChatTemplateException($"line {startLine}: unterminated string literal.", startLine);
            char c = s[i];
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\' || i + 1 >= s.Length) { sb.Append(c); i++; continue; }
            char e = s[i + 1];
            i += 2;
            switch (e)
            {
                case '\n': line++; break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': sb.Append((char)Hex(s, ref i, 2, startLine)); break;
                case 'u': sb.Append((char)Hex(s, ref i, 4, startLine)); break;
                case 'U': sb.Append(char.ConvertFromUtf32(Hex(s, ref i, 8, startLine))); break;
                case >= '0' and <= '7':
                    int value = e - '0';
                    for (int k = 0; k < 2 && i < s.Length && s[i] is >= '0' and <= '7'; k++) value = value * 8 + (s[i++] - '0');
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }
        tokens.Add(new Token(TokenKind.String, sb.ToString(), startLine));
        return i + 1;
    }

    private static int Hex(string s, ref int i, int digits, int line)
    {
        if (i + digits > s.Length || !int.TryParse(s.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int v))
            throw new ChatTemplateException($"line {line}: truncated \\x, \\u or \\U escape in a string literal.", line);
        i += digits;
        return v;
    }
}
