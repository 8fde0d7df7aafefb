namespace LongCat.Sdk.Structured;

/// <summary>
/// A regular expression of the supported subset as a grammar expression, each character spelled by a caller's encoding (raw
/// UTF-8, or canonical JSON string characters).
/// </summary>
/// <remarks>
/// <para>Supported: literals; escapes <c>\t \n \r \f \v \0 \xHH \uHHHH</c> and any escaped punctuation; classes <c>[...]</c>
/// and <c>[^...]</c> with ranges; <c>.</c>; <c>\d \w \s</c> (ASCII: <c>[0-9]</c>, <c>[A-Za-z0-9_]</c>, <c>[ \t\n\r\f\v]</c>) and
/// <c>\D \W \S</c>; groups <c>(...)</c>, <c>(?:...)</c>, <c>(?&lt;name&gt;...)</c>; alternation; <c>? * + {n} {n,} {n,m}</c>
/// (m ≤ 1000; a lazy <c>?</c> suffix is accepted, it changes no match); <c>^</c> at the start and <c>$</c> at the end of a
/// top-level alternative only.</para>
/// <para>Rejected (a <see cref="JsonSchemaException"/>): backreferences, lookaround, <c>\b \B \p \P \k \c</c>, inline options,
/// possessive quantifiers, anchors elsewhere, characters outside the BMP.</para>
/// <para>Generation stays inside what .NET's <c>Regex</c> (the usual validator) matches: <c>.</c> and negated classes match
/// BMP characters only (one UTF-16 unit each; <c>.</c> not <c>\n</c>); <c>\D \W \S</c>, and negated classes holding a
/// shorthand, only ASCII (.NET's <c>\d \w \s</c> are wider than ours).</para>
/// </remarks>
internal sealed class RegexTranslator
{
    private readonly string _pattern;
    private readonly Func<CodePointSet, GrammarExpr> _encode;
    private readonly string _path;
    private readonly string _keyword;
    private int _at;

    private RegexTranslator(string pattern, Func<CodePointSet, GrammarExpr> encode, string path, string keyword)
    {
        _pattern = pattern;
        _encode = encode;
        _path = path;
        _keyword = keyword;
    }

    private static readonly CodePointSet DigitSet = CodePointSet.Range('0', '9');
    private static readonly CodePointSet WordSet = CodePointSet.FromRanges([('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')]);
    private static readonly CodePointSet SpaceSet = CodePointSet.FromRanges([('\t', '\r'), (' ', ' ')]);

    /// <summary>Strings matching <paramref name="pattern"/>: a search (JSON Schema's <c>pattern</c>: unanchored alternatives may
    /// have any text around the match) or a whole match (<paramref name="search"/> false).</summary>
    /// <exception cref="JsonSchemaException">A construct outside the subset; the message names <paramref name="keyword"/> at
    /// <paramref name="path"/> and the offset.</exception>
    public static GrammarExpr Translate(string pattern, Func<CodePointSet, GrammarExpr> encode, bool search, string path, string keyword)
    {
        var t = new RegexTranslator(pattern, encode, path, keyword);
        var branches = new List<GrammarExpr>();
        var any = GrammarExpr.Star(encode(CodePointSet.All));
        while (true)
        {
            bool anchoredStart = t.Eat('^');
            var body = t.Branch(topLevel: true, out bool anchoredEnd);
            branches.Add(search ? GrammarExpr.Sequence(anchoredStart ? GrammarExpr.Empty : any, body, anchoredEnd ? GrammarExpr.Empty : any) : body);
            if (t._at >= pattern.Length) break;
            if (!t.Eat('|')) throw t.Error("unbalanced ')'");
        }
        return GrammarExpr.Choice(branches);
    }

    private bool More => _at < _pattern.Length;
    private char Peek => _pattern[_at];

    private bool Eat(char c)
    {
        if (!More || Peek != c) return false;
        _at++;
        return true;
    }

    private JsonSchemaException Error(string problem) =>
        new(_path, _keyword, $"regex /{_pattern}/ at offset {_at}: {problem}.");

    private GrammarExpr Alternation()
    {
        var branches = new List<GrammarExpr> { Branch(topLevel: false, out _) };
        while (Eat('|')) branches.Add(Branch(topLevel: false, out _));
        return GrammarExpr.Choice(branches);
    }

    private GrammarExpr Branch(bool topLevel, out bool anchoredEnd)
    {
        anchoredEnd = false;
        var items = new List<GrammarExpr>();
        while (More && Peek != '|' && Peek != ')')
        {
            if (Peek == '$')
            {
                _at++;
                if (topLevel && (!More || Peek == '|')) { anchoredEnd = true; break; }
                throw Error("'$' is supported only at the end of a top-level alternative");
            }
            if (Peek == '^') throw Error("'^' is supported only at the start of a top-level alternative");
            items.Add(Quantified(Atom()));
        }
        return GrammarExpr.Sequence(items);
    }

    private GrammarExpr Quantified(GrammarExpr atom)
    {
        while (More)
        {
            int min, max;
            int start = _at;
            if (Eat('*')) (min, max) = (0, -1);
            else if (Eat('+')) (min, max) = (1, -1);
            else if (Eat('?')) (min, max) = (0, 1);
            else if (Peek == '{' && Braces(out min, out max)) { }
            else return atom;
            if (max >= 0 && max < min) { _at = start; throw Error($"quantifier {{{min},{max}}} has max < min"); }
            if (Math.Max(min, max) > 1000) { _at = start; throw Error("repeat counts above 1000 are not supported"); }
            Eat('?');                                             // lazy: same language
            if (More && Peek == '+') throw Error("possessive quantifiers are not supported");
            atom = GrammarExpr.Repeat(atom, min, max);
        }
        return atom;
    }

    // {n}, {n,}, {n,m}; false (nothing read) when the brace does not open a quantifier: it is then a literal.
    private bool Braces(out int min, out int max)
    {
        min = max = 0;
        int end = _pattern.IndexOf('}', _at);
        if (end < 0) return false;
        var inner = _pattern.AsSpan(_at + 1, end - _at - 1);
        int comma = inner.IndexOf(',');
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var integer = System.Globalization.NumberStyles.None;
        if (comma < 0)
        {
            if (!int.TryParse(inner, integer, ci, out min)) return false;
            max = min;
        }
        else
        {
            if (!int.TryParse(inner[..comma], integer, ci, out min)) return false;
            if (comma == inner.Length - 1) max = -1;
            else if (!int.TryParse(inner[(comma + 1)..], integer, ci, out max)) return false;
        }
        _at = end + 1;
        return true;
    }

    private GrammarExpr Atom()
    {
        char c = Peek;
        switch (c)
        {
            case '(':
                _at++;
                if (Eat('?'))
                {
                    if (Eat(':')) { }
                    else if (More && Peek == '<' && _at + 1 < _pattern.Length && _pattern[_at + 1] != '=' && _pattern[_at + 1] != '!')
                    {
                        int close = _pattern.IndexOf('>', _at);
                        if (close < 0) throw Error("unterminated group name");
                        _at = close + 1;
                    }
                    else throw Error("lookaround, inline options and this group kind are not supported");
                }
                var inner = Alternation();
                if (!Eat(')')) throw Error("missing ')'");
                return inner;
            case '[':
                _at++;
                return _encode(Class());
            case '.':
                _at++;
                return _encode(CodePointSet.Bmp.Except(CodePointSet.Of('\n')));
            case '\\':
                _at++;
                return _encode(Escape(inClass: false, out _));
            case '*' or '+' or '?':
                throw Error($"'{c}' has nothing to repeat");
            default:
                return _encode(CodePointSet.Of(Literal()));
        }
    }

    private int Literal()
    {
        char c = _pattern[_at++];
        if (char.IsSurrogate(c)) throw Error("characters outside the Basic Multilingual Plane are not supported");
        return c;
    }

    private CodePointSet Class()
    {
        bool negated = Eat('^');
        var set = CodePointSet.Empty;
        bool shorthand = false;
        bool first = true;
        while (true)
        {
            if (!More) throw Error("missing ']'");
            if (Peek == ']' && !first) { _at++; break; }
            first = false;
            int lo;
            if (Eat('\\'))
            {
                var escaped = Escape(inClass: true, out bool isShorthand);
                if (isShorthand) { shorthand = true; set = set.Union(escaped); continue; }
                lo = escaped.Ranges[0].Lo;
            }
            else lo = Literal();
            if (More && Peek == '-' && _at + 1 < _pattern.Length && _pattern[_at + 1] != ']')
            {
                _at++;
                int hi;
                if (Eat('\\'))
                {
                    var escaped = Escape(inClass: true, out bool isShorthand);
                    if (isShorthand) throw Error("a class range cannot end in a shorthand class");
                    hi = escaped.Ranges[0].Lo;
                }
                else hi = Literal();
                if (hi < lo) throw Error("class range out of order");
                set = set.Union(CodePointSet.Range(lo, hi));
            }
            else set = set.Union(CodePointSet.Of(lo));
        }
        if (!negated) return set;
        return (shorthand ? CodePointSet.Ascii : CodePointSet.Bmp).Except(set);
    }

    // After a backslash: a single character (a one-element set) or a shorthand class.
    private CodePointSet Escape(bool inClass, out bool shorthand)
    {
        shorthand = false;
        if (!More) throw Error("pattern ends in a backslash");
        char c = _pattern[_at++];
        switch (c)
        {
            case 'd': shorthand = true; return DigitSet;
            case 'w': shorthand = true; return WordSet;
            case 's': shorthand = true; return SpaceSet;
            case 'D': shorthand = true; return CodePointSet.Ascii.Except(DigitSet);
            case 'W': shorthand = true; return CodePointSet.Ascii.Except(WordSet);
            case 'S': shorthand = true; return CodePointSet.Ascii.Except(SpaceSet);
            case 't': return CodePointSet.Of('\t');
            case 'n': return CodePointSet.Of('\n');
            case 'r': return CodePointSet.Of('\r');
            case 'f': return CodePointSet.Of('\f');
            case 'v': return CodePointSet.Of('\v');
            case '0' when !(More && char.IsAsciiDigit(Peek)): return CodePointSet.Of(0);
            case 'b' when inClass: return CodePointSet.Of('\b');
            case 'x': return CodePointSet.Of(HexDigits(2));
            case 'u':
            {
                int cp = HexDigits(4);
                if (cp is >= 0xD800 and <= 0xDFFF) throw Error("surrogate escapes are not supported");
                return CodePointSet.Of(cp);
            }
            default:
                if (char.IsAsciiLetterOrDigit(c)) { _at--; throw Error($"escape '\\{c}' is not supported"); }
                if (char.IsSurrogate(c)) throw Error("characters outside the Basic Multilingual Plane are not supported");
                return CodePointSet.Of(c);
        }
    }

    private int HexDigits(int n)
    {
        if (_at + n > _pattern.Length || !int.TryParse(_pattern.AsSpan(_at, n), System.Globalization.NumberStyles.AllowHexSpecifier, null, out int value))
            throw Error($"expected {n} hex digits");
        _at += n;
        return value;
    }
}
