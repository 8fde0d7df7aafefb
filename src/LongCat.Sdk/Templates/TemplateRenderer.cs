using System.Text;
using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>Variables visible at one point of a template: a for-loop iteration, a macro call, or the template itself.</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryLookup(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public object? Lookup(string name) => TryLookup(name, out var v) ? v : new Undefined(name);

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>Text being rendered and the ranges of it that came from plain-text (message) strings.</summary>
internal sealed class TemplateOutput
{
    private readonly StringBuilder _text = new();
    private readonly List<(int Start, int End)> _plain = [];

    public void Append(object value)
    {
        if (value is MarkedString m)
        {
            int offset = _text.Length;
            foreach (var (s, e) in m.Plain) _plain.Add((s + offset, e + offset));
            _text.Append(m.Value);
        }
        else
        {
            _text.Append((string)value);
        }
    }

    public object ToValue() => MarkedString.Create(_text.ToString(), _plain);
}

internal enum Flow { Normal, Break, Continue }

/// <summary>Evaluates a parsed template: statements write to a <see cref="TemplateOutput"/>, expressions yield Python-like values.</summary>
internal sealed class TemplateRenderer(DateTime now)
{
    private int _loopDepth;

    public DateTime Now { get; } = now;

    public Flow Execute(List<Stmt> body, Scope scope, TemplateOutput output)
    {
        foreach (var stmt in body)
        {
            Flow flow;
            try
            {
                flow = ExecuteOne(stmt, scope, output);
            }
            catch (ChatTemplateException e) when (e.Line is null)
            {
                throw new ChatTemplateException(e.Message, e) { Line = stmt.Line };
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteOne(Stmt stmt, Scope scope, TemplateOutput output)
    {
        switch (stmt)
        {
            case TextStmt t: output.Append(t.Text); return Flow.Normal;
            case PrintStmt p: output.Append(Str(Eval(p.Value, scope))); return Flow.Normal;
            case IfStmt s:
                foreach (var (test, body) in s.Branches)
                    if (Truthy(Eval(test, scope))) return Execute(body, scope, output);
                return s.Else is null ? Flow.Normal : Execute(s.Else, scope, output);
            case ForStmt f: return ExecuteFor(f, scope, output);
            case SetStmt s:
                Assign(scope, s.Targets, s.Attribute, Eval(s.Value, scope));
                return Flow.Normal;
            case SetBlockStmt s:
                var captured = new TemplateOutput();
                Execute(s.Body, scope, captured);
                object? value = captured.ToValue();
                foreach (var filter in s.Filters) value = ApplyFilter(filter, value, scope);
                Assign(scope, [s.Target], s.Attribute, value);
                return Flow.Normal;
            case MacroStmt m: scope.Set(m.Name, MakeMacro(m.Name, m.Parameters, m.Body, scope)); return Flow.Normal;
            case CallBlockStmt c:
                var caller = MakeMacro("caller", c.Parameters, c.Body, scope);
                var target = Eval(c.Call.Target, scope);
                var args = EvalArguments(c.Call.Args, scope);
                args.Keywords["caller"] = caller;
                output.Append(Str(Invoke(target, args)));
                return Flow.Normal;
            case FilterBlockStmt fb:
                var inner = new TemplateOutput();
                Execute(fb.Body, scope, inner);
                object? filtered = inner.ToValue();
                foreach (var filter in fb.Filters) filtered = ApplyFilter(filter, filtered, scope);
                output.Append(Str(filtered));
                return Flow.Normal;
            case BreakStmt: return Flow.Break;
            case ContinueStmt: return Flow.Continue;
            case GenerationStmt g: return Execute(g.Body, scope, output);
            default: throw new ChatTemplateException($"unsupported statement {stmt.GetType().Name}", stmt.Line);
        }
    }

    private Flow ExecuteFor(ForStmt f, Scope scope, TemplateOutput output)
    {
        var items = new List<object?>(Iterate(Eval(f.Iterable, scope)));
        if (f.Filter is not null)
        {
            items = items.Where(item =>
            {
                var filterScope = new Scope(scope);
                Bind(filterScope, f.Targets, f.Unpack, item);
                return Truthy(Eval(f.Filter, filterScope));
            }).ToList();
        }
        if (items.Count == 0)
            return f.Else is null ? Flow.Normal : Execute(f.Else, scope, output);

        var loop = new LoopContext(items, ++_loopDepth);
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                loop.Index0 = i;
                var iteration = new Scope(scope); // jinja2: what a loop body sets does not outlive its iteration
                Bind(iteration, f.Targets, f.Unpack, items[i]);
                iteration.Set("loop", loop);
                if (Execute(f.Body, iteration, output) == Flow.Break) break;
            }
        }
        finally
        {
            _loopDepth--;
        }
        return Flow.Normal;
    }

    private static void Bind(Scope scope, List<string> targets, bool unpack, object? item)
    {
        if (!unpack) { scope.Set(targets[0], item); return; }
        var values = Iterate(item);
        if (values.Count != targets.Count)
            throw new ChatTemplateException(values.Count > targets.Count
                ? $"too many values to unpack (expected {targets.Count})"
                : $"not enough values to unpack (expected {targets.Count}, got {values.Count})");
        for (int i = 0; i < targets.Count; i++) scope.Set(targets[i], values[i]);
    }

    private static void Assign(Scope scope, List<string> targets, string? attribute, object? value)
    {
        if (attribute is null) { Bind(scope, targets, targets.Count > 1, value); return; }
        if (scope.Lookup(targets[0]) is not Namespace ns) throw new ChatTemplateException("cannot assign attribute on non-namespace object");
        ns.Attributes[attribute] = value;
    }

    private Callable MakeMacro(string name, List<(string Name, Expr? Default)> parameters, List<Stmt> body, Scope definedIn) =>
        new(name, args =>
        {
            var scope = new Scope(definedIn);
            var extra = new List<object?>();
            for (int i = 0; i < args.Positional.Count; i++)
            {
                if (i < parameters.Count) scope.Set(parameters[i].Name, args.Positional[i]);
                else extra.Add(args.Positional[i]);
            }
            var kwargs = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in args.Keywords)
            {
                if (parameters.Any(p => p.Name == key) || key == "caller") scope.Set(key, value);
                else kwargs[key] = value;
            }
            for (int i = args.Positional.Count; i < parameters.Count; i++)
            {
                var (p, fallback) = parameters[i];
                if (args.Keywords.ContainsKey(p)) continue;
                scope.Set(p, fallback is null ? new Undefined(p, hint: $"parameter '{p}' was not provided") : Eval(fallback, scope));
            }
            scope.Set("varargs", extra);
            scope.Set("kwargs", kwargs);
            var output = new TemplateOutput();
            Execute(body, scope, output);
            return output.ToValue();
        });

    public object? Eval(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n: return scope.Lookup(n.Name);
            case ListExpr l:
                var items = l.Items.Select(i => Eval(i, scope));
                return l.IsTuple ? new TupleValue(items) : items.ToList();
            case DictExpr d:
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in d.Items) dict[StrText(Eval(k, scope))] = Eval(v, scope);
                return dict;
            case AttrExpr a: return TemplateAccess.GetAttr(Eval(a.Target, scope), a.Name);
            case ItemExpr i: return TemplateAccess.GetItem(Eval(i.Target, scope), Eval(i.Key, scope));
            case SliceExpr s:
                return TemplateAccess.Slice(Eval(s.Target, scope), OptionalEval(s.Start, scope), OptionalEval(s.Stop, scope), OptionalEval(s.Step, scope));
            case CallExpr c: return Invoke(Eval(c.Target, scope), EvalArguments(c.Args, scope));
            case FilterExpr f: return ApplyFilter(f, f.Value is null ? null : Eval(f.Value, scope), scope);
            case TestExpr t:
                bool result = TemplateFilters.Test(this, t.Name, Eval(t.Value, scope), EvalArguments(t.Args, scope));
                return t.Negated ? !result : result;
            case UnaryExpr u: return EvalUnary(u.Op, Eval(u.Operand, scope));
            case BinaryExpr b:
                var left = Eval(b.Left, scope);
                return b.Op switch
                {
                    "and" => Truthy(left) ? Eval(b.Right, scope) : left,
                    "or" => Truthy(left) ? left : Eval(b.Right, scope),
                    "~" => MarkedString.Concat(Str(left), Str(Eval(b.Right, scope))),
                    _ => TemplateOperators.Arithmetic(b.Op, left, Eval(b.Right, scope)),
                };
            case CompareExpr c:
                var current = Eval(c.First, scope);
                foreach (var (op, operand) in c.Rest)
                {
                    var next = Eval(operand, scope);
                    if (!TemplateOperators.Compare(op, current, next)) return false;
                    current = next;
                }
                return true;
            case CondExpr c:
                if (Truthy(Eval(c.Test, scope))) return Eval(c.Then, scope);
                return c.Else is null
                    ? new Undefined(null, hint: $"the inline if-expression on line {c.Line} evaluated to false and no else section was defined.")
                    : Eval(c.Else, scope);
            default: throw new ChatTemplateException($"unsupported expression {expr.GetType().Name}", expr.Line);
        }
    }

    private object? OptionalEval(Expr? e, Scope scope) => e is null ? null : Eval(e, scope);

    public CallArguments EvalArguments(Arguments args, Scope scope)
    {
        var keywords = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in args.Keywords) keywords[name] = Eval(value, scope);
        return new CallArguments(args.Positional.Select(p => Eval(p, scope)).ToList(), keywords);
    }

    private object? ApplyFilter(FilterExpr f, object? value, Scope scope) =>
        TemplateFilters.Filter(this, f.Name, value, EvalArguments(f.Args, scope));

    public static object? Invoke(object? target, CallArguments args) => target switch
    {
        Callable c => c.Invoke(args),
        BoundMethod m => TemplateMethods.Call(m.Self, m.Name, args),
        Undefined u => throw u.Fail(),
        _ => throw new ChatTemplateException($"'{TypeName(target)}' object is not callable"),
    };

    private static object? EvalUnary(string op, object? value)
    {
        if (op == "not") return !Truthy(value);
        return value switch
        {
            Undefined u => throw u.Fail(),
            bool b => (object)(op == "-" ? -(b ? 1L : 0L) : b ? 1L : 0L),
            long l => (object)(op == "-" ? -l : l),
            double d => (object)(op == "-" ? -d : d),
            _ => throw new ChatTemplateException($"bad operand type for unary {op}: '{TypeName(value)}'"),
        };
    }
}
