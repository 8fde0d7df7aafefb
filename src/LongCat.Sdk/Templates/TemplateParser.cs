namespace LongCat.Sdk.Templates;

/// <summary>
/// Parses tokens into statements with jinja2's grammar and operator precedence (loosest first: conditional expression,
/// <c>or</c>, <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ -</c>, <c>~</c>, <c>* / // %</c>, <c>**</c>, unary
/// <c>- +</c>, then postfix <c>.attr [item] (call)</c>, filters <c>|</c> and tests <c>is</c>). Tags, filters and tests
/// the interpreter does not implement fail here, at load, naming the construct and its line.
/// </summary>
internal sealed class TemplateParser
{
    private readonly List<Token> _tokens;
    private int _pos;

    // jinja2 compiles an unknown filter or test directly inside an if (its test or bodies, not a loop or macro nested in
    // it) to a runtime error, raised only if that branch runs; anywhere else it is a load error.
    private bool _soft;

    private TemplateParser(List<Token> tokens) => _tokens = tokens;

    public static List<Stmt> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody([]);
        if (parser.Current.Kind != TokenKind.End) throw parser.Error($"unexpected '{parser.Current.Text}'");
        return body;
    }

    private Token Current => _tokens[_pos];
    private Token Peek(int ahead = 1) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];
    private Token Next() => _tokens[_pos++];

    private ChatTemplateException Error(string message, int? line = null)
    {
        int l = line ?? Current.Line;
        return new ChatTemplateException($"line {l}: {message}.", l);
    }

    private void Expect(TokenKind kind, string? text = null)
    {
        var t = Current;
        if (t.Kind != kind || text is not null && t.Text != text)
            throw Error($"expected {(text is not null ? $"'{text}'" : kind.ToString())}, found {Describe(t)}");
        _pos++;
    }

    private static string Describe(Token t) => t.Kind switch
    {
        TokenKind.End => "the end of the template",
        TokenKind.BlockEnd => "the end of the tag",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.String => "a string",
        _ => $"'{t.Text}'",
    };

    private bool SkipOp(string op)
    {
        if (!Current.IsOp(op)) return false;
        _pos++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        _pos++;
        return true;
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw Error($"expected a name, found {Describe(Current)}");
        return Next().Text;
    }

    // Statements until one of the end tags (not consumed: the caller reads which one ended the body).
    private List<Stmt> ParseBody(string[] endTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.End:
                    if (endTags.Length > 0) throw Error($"unexpected end of template: expected '{string.Join("' or '", endTags)}'");
                    return body;
                case TokenKind.Data:
                    body.Add(new TextStmt(t.Line, t.Text));
                    _pos++;
                    break;
                case TokenKind.VariableBegin:
                    _pos++;
                    body.Add(new PrintStmt(t.Line, ParseTuple(withCondition: true)));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var tag = Peek();
                    if (tag.Kind == TokenKind.Name && endTags.Contains(tag.Text)) return body;
                    _pos++;
                    body.Add(ParseStatement());
                    break;
                default:
                    throw Error($"unexpected {Describe(t)}");
            }
        }
    }

    // Consumes '{% name' for an end or middle tag the body stopped at.
    private string TakeTag()
    {
        Expect(TokenKind.BlockBegin);
        return ExpectName();
    }

    private Stmt ParseStatement()
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"expected a tag name, found {Describe(tag)}");
        _pos++;
        int line = tag.Line;
        switch (tag.Text)
        {
            case "if": return ParseIf(line);
            case "for": return Hard(() => ParseFor(line));
            case "set": return ParseSet(line);
            case "macro": return Hard(() => ParseMacro(line));
            case "call": return Hard(() => ParseCallBlock(line));
            case "filter":
                var filters = ParseFilterChain(null);
                Expect(TokenKind.BlockEnd);
                var fbody = ParseBody(["endfilter"]);
                TakeTag();
                Expect(TokenKind.BlockEnd);
                return new FilterBlockStmt(line, filters, fbody);
            case "break": Expect(TokenKind.BlockEnd); return new BreakStmt(line);
            case "continue": Expect(TokenKind.BlockEnd); return new ContinueStmt(line);
            case "generation":
                Expect(TokenKind.BlockEnd);
                var gbody = ParseBody(["endgeneration"]);
                TakeTag();
                Expect(TokenKind.BlockEnd);
                return new GenerationStmt(line, gbody);
            case "include" or "import" or "from" or "extends" or "block" or "with" or "autoescape" or "do" or "trans":
                throw Error($"unsupported tag '{tag.Text}'", line);
            default:
                throw Error($"unknown tag '{tag.Text}'", line);
        }
    }

    private Stmt Hard(Func<Stmt> parse)
    {
        bool outer = _soft;
        _soft = false;
        try
        {
            return parse();
        }
        finally
        {
            _soft = outer;
        }
    }

    private IfStmt ParseIf(int line)
    {
        bool outer = _soft;
        _soft = true;
        try
        {
            return ParseIfCore(line);
        }
        finally
        {
            _soft = outer;
        }
    }

    private IfStmt ParseIfCore(int line)
    {
        var branches = new List<(Expr, List<Stmt>)>();
        List<Stmt>? elseBody = null;
        var test = ParseTuple(withCondition: true);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = ParseBody(["elif", "else", "endif"]);
            branches.Add((test, body));
            string next = TakeTag();
            if (next == "elif") { test = ParseTuple(withCondition: true); continue; }
            if (next == "else")
            {
                Expect(TokenKind.BlockEnd);
                elseBody = ParseBody(["endif"]);
                TakeTag();
            }
            Expect(TokenKind.BlockEnd);
            return new IfStmt(line, branches, elseBody);
        }
    }

    private ForStmt ParseFor(int line)
    {
        var targets = new List<string> { ExpectName() };
        bool unpack = false;
        while (SkipOp(","))
        {
            unpack = true;
            if (Current.IsName("in")) break;
            targets.Add(ExpectName());
        }
        if (!SkipName("in")) throw Error($"expected 'in', found {Describe(Current)}");
        var iterable = ParseTuple(withCondition: false, extraEnd: "recursive");
        Expr? filter = SkipName("if") ? ParseTuple(withCondition: true) : null;
        bool recursive = SkipName("recursive");
        if (recursive) throw Error("unsupported construct 'for ... recursive'", line);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["else", "endfor"]);
        List<Stmt>? elseBody = null;
        if (TakeTag() == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"]);
            TakeTag();
        }
        Expect(TokenKind.BlockEnd);
        return new ForStmt(line, targets, unpack, iterable, filter, body, elseBody, recursive);
    }

    private Stmt ParseSet(int line)
    {
        string name = ExpectName();
        string? attribute = SkipOp(".") ? ExpectName() : null;
        var targets = new List<string> { name };
        while (attribute is null && SkipOp(",")) targets.Add(ExpectName());
        if (SkipOp("="))
        {
            var value = ParseTuple(withCondition: true);
            Expect(TokenKind.BlockEnd);
            return new SetStmt(line, targets, attribute, value);
        }
        if (targets.Count > 1) throw Error("expected '='");
        var filters = Current.IsOp("|") ? ParseFilterChain(null) : [];
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"]);
        TakeTag();
        Expect(TokenKind.BlockEnd);
        return new SetBlockStmt(line, name, attribute, filters, body);
    }

    private MacroStmt ParseMacro(int line)
    {
        string name = ExpectName();
        var parameters = ParseSignature();
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endmacro"]);
        TakeTag();
        Expect(TokenKind.BlockEnd);
        return new MacroStmt(line, name, parameters, body);
    }

    private CallBlockStmt ParseCallBlock(int line)
    {
        var parameters = Current.IsOp("(") ? ParseSignature() : [];
        var call = ParseExpression(withCondition: false);
        if (call is not CallExpr ce) throw Error("expected a macro call after 'call'", line);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endcall"]);
        TakeTag();
        Expect(TokenKind.BlockEnd);
        return new CallBlockStmt(line, ce, parameters, body);
    }

    private List<(string, Expr?)> ParseSignature()
    {
        var parameters = new List<(string, Expr?)>();
        Expect(TokenKind.Operator, "(");
        while (!SkipOp(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (SkipOp(")")) break;
            string p = ExpectName();
            parameters.Add((p, SkipOp("=") ? ParseExpression(withCondition: true) : null));
        }
        return parameters;
    }

    // parse_tuple: an expression, or several separated by commas (a tuple without parentheses).
    private Expr ParseTuple(bool withCondition, string? extraEnd = null, bool explicitParentheses = false)
    {
        int line = Current.Line;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) { if (!SkipOp(",")) break; isTuple = true; }
            if (IsTupleEnd(extraEnd)) break;
            items.Add(ParseExpression(withCondition));
        }
        if (!isTuple)
        {
            if (items.Count == 1) return items[0];
            if (!explicitParentheses) throw Error($"expected an expression, found {Describe(Current)}");
        }
        return new ListExpr(line, items, IsTuple: true);
    }

    private bool IsTupleEnd(string? extraEnd)
    {
        var t = Current;
        return t.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.End || t.IsOp(")")
            || extraEnd is not null && t.IsName(extraEnd) || t.IsName("if") && extraEnd is "recursive";
    }

    private Expr ParseExpression(bool withCondition)
    {
        var expr = ParseOr();
        if (!withCondition) return expr;
        while (Current.IsName("if"))
        {
            int line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression(withCondition: true) : null;
            expr = new CondExpr(line, test, expr, otherwise);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or")) { int line = Next().Line; left = new BinaryExpr(line, "or", left, ParseAnd()); }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and")) { int line = Next().Line; left = new BinaryExpr(line, "and", left, ParseNot()); }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not")) { int line = Next().Line; return new UnaryExpr(line, "not", ParseNot()); }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        int line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Text is "==" or "!=" or "<" or ">" or "<=" or ">=") { _pos++; rest.Add((t.Text, ParseMath1())); }
            else if (t.IsName("in")) { _pos++; rest.Add(("in", ParseMath1())); }
            else if (t.IsName("not") && Peek().IsName("in")) { _pos += 2; rest.Add(("notin", ParseMath1())); }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(line, first, rest);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Text is "+" or "-")
        {
            var t = Next();
            left = new BinaryExpr(t.Line, t.Text, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOp("~")) { int line = Next().Line; left = new BinaryExpr(line, "~", left, ParseMath2()); }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var t = Next();
            left = new BinaryExpr(t.Line, t.Text, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOp("**")) { int line = Next().Line; left = new BinaryExpr(line, "**", left, ParseUnary(withFilter: true)); }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (t.IsOp("-") || t.IsOp("+")) { _pos++; node = new UnaryExpr(t.Line, t.Text, ParseUnary(withFilter: false)); }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(t.Line, true),
                    "false" or "False" => new ConstExpr(t.Line, false),
                    "none" or "None" => new ConstExpr(t.Line, null),
                    _ => new NameExpr(t.Line, t.Text),
                };
            case TokenKind.String:
                string s = t.Text;
                while (Current.Kind == TokenKind.String) s += Next().Text; // adjacent literals concatenate
                return new ConstExpr(t.Line, s);
            case TokenKind.Integer: return new ConstExpr(t.Line, t.IntValue);
            case TokenKind.Float: return new ConstExpr(t.Line, t.FloatValue);
            case TokenKind.Operator when t.Text == "(":
                var inner = ParseTuple(withCondition: true, explicitParentheses: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Text == "[":
                var items = new List<Expr>();
                while (!SkipOp("]"))
                {
                    if (items.Count > 0) { Expect(TokenKind.Operator, ","); if (SkipOp("]")) break; }
                    items.Add(ParseExpression(withCondition: true));
                }
                return new ListExpr(t.Line, items, IsTuple: false);
            case TokenKind.Operator when t.Text == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!SkipOp("}"))
                {
                    if (pairs.Count > 0) { Expect(TokenKind.Operator, ","); if (SkipOp("}")) break; }
                    var key = ParseExpression(withCondition: true);
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression(withCondition: true)));
                }
                return new DictExpr(t.Line, pairs);
            default:
                _pos--;
                throw Error($"unexpected {Describe(t)}");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOp("."))
            {
                _pos++;
                var n = Next();
                if (n.Kind == TokenKind.Name) node = new AttrExpr(t.Line, node, n.Text);
                else if (n.Kind == TokenKind.Integer) node = new ItemExpr(t.Line, node, new ConstExpr(n.Line, n.IntValue));
                else { _pos--; throw Error($"expected an attribute name, found {Describe(n)}"); }
            }
            else if (t.IsOp("["))
            {
                _pos++;
                node = ParseSubscript(node, t.Line);
            }
            else if (t.IsOp("("))
            {
                _pos++;
                node = new CallExpr(t.Line, node, ParseCallArguments());
            }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (!Current.IsOp(":")) start = ParseExpression(withCondition: true);
        if (!SkipOp(":"))
        {
            Expect(TokenKind.Operator, "]");
            return new ItemExpr(line, target, start!);
        }
        if (!Current.IsOp("]") && !Current.IsOp(":")) stop = ParseExpression(withCondition: true);
        if (SkipOp(":") && !Current.IsOp("]")) step = ParseExpression(withCondition: true);
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(line, target, start, stop, step);
    }

    // After '(': positional, then name=value arguments, up to ')'.
    private Arguments ParseCallArguments()
    {
        var positional = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        while (!SkipOp(")"))
        {
            if (positional.Count + keywords.Count > 0) { Expect(TokenKind.Operator, ","); if (SkipOp(")")) break; }
            if (Current.IsOp("*") || Current.IsOp("**")) throw Error("unsupported construct '*args' or '**kwargs' in a call");
            if (Current.Kind == TokenKind.Name && Peek().IsOp("="))
            {
                string name = Next().Text;
                _pos++;
                keywords.Add((name, ParseExpression(withCondition: true)));
            }
            else
            {
                if (keywords.Count > 0) throw Error("a positional argument follows a keyword argument");
                positional.Add(ParseExpression(withCondition: true));
            }
        }
        return new Arguments(positional, keywords);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOp("|")) node = ParseFilterChain(node)[^1];
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOp("(")) { int line = Next().Line; node = new CallExpr(line, node, ParseCallArguments()); }
            else return node;
        }
    }

    // '| f(args) | g ...' applied to value; each returned expression wraps the one before.
    private List<FilterExpr> ParseFilterChain(Expr? value)
    {
        var chain = new List<FilterExpr>();
        while (Current.IsOp("|") || chain.Count == 0 && value is null && Current.Kind == TokenKind.Name)
        {
            SkipOp("|");
            int line = Current.Line;
            string name = ExpectName();
            while (SkipOp(".")) name += "." + ExpectName();
            if (!TemplateFilters.IsFilter(name) && !_soft) throw Error($"unsupported filter '{name}'", line);
            var args = SkipOp("(") ? ParseCallArguments() : Arguments.None;
            var f = new FilterExpr(line, value, name, args);
            chain.Add(f);
            value = f;
        }
        return chain;
    }

    private Expr ParseTest(Expr node)
    {
        int line = Next().Line; // 'is'
        bool negated = SkipName("not");
        string name = ExpectName();
        while (SkipOp(".")) name += "." + ExpectName();
        if (!TemplateFilters.IsTest(name) && !_soft) throw Error($"unsupported test '{name}'", line);
        Arguments args = Arguments.None;
        var t = Current;
        if (t.IsOp("(")) { _pos++; args = ParseCallArguments(); }
        else if ((t.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || t.IsOp("[") || t.IsOp("{"))
                 && !t.IsName("else") && !t.IsName("or") && !t.IsName("and"))
        {
            if (t.IsName("is")) throw Error("tests cannot be chained with 'is'");
            args = new Arguments([ParsePostfix(ParsePrimary())], []);
        }
        return new TestExpr(line, node, name, args, negated);
    }
}
