using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>Python's binary operators and comparisons on template values, with Python's TypeError messages.</summary>
internal static class TemplateOperators
{
    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b)) return Numeric(op, a, b);
        switch (op)
        {
            case "+" when IsString(a) && IsString(b): return MarkedString.Concat(a!, b!);
            case "+" when a is List<object?> x && b is List<object?> y && x is TupleValue == y is TupleValue:
                return x is TupleValue ? new TupleValue(x.Concat(y)) : x.Concat(y).ToList();
            case "+" when IsString(a): throw new ChatTemplateException($"can only concatenate str (not \"{TypeName(b)}\") to str");
            case "+" when a is List<object?> and not TupleValue: throw new ChatTemplateException($"can only concatenate list (not \"{TypeName(b)}\") to list");
            case "*" when IsString(a) && b is long or bool: return Repeat(a!, ToLong(b));
            case "*" when IsString(b) && a is long or bool: return Repeat(b!, ToLong(a));
            case "*" when a is List<object?> l && b is long n: return Enumerable.Repeat(l, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
            case "%" when IsString(a): throw new ChatTemplateException("unsupported construct: '%' string formatting");
        }
        string symbol = op == "**" ? "** or pow()" : op;
        throw new ChatTemplateException($"unsupported operand type(s) for {symbol}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static object Repeat(object s, long n) => MarkedString.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));

    private static object Numeric(string op, object? a, object? b)
    {
        bool floats = a is double || b is double;
        if (!floats)
        {
            long x = ToLong(a), y = ToLong(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw new ChatTemplateException("division by zero") : (double)x / y;
                case "//": return y == 0 ? throw new ChatTemplateException("integer division or modulo by zero") : FloorDiv(x, y);
                case "%": return y == 0 ? throw new ChatTemplateException("integer modulo by zero") : x - FloorDiv(x, y) * y;
                case "**":
                    if (y < 0) return Math.Pow(x, y);
                    long power = 1;
                    for (long k = 0; k < y; k++) power *= x;
                    return power;
            }
        }
        double p = ToDouble(a), q = ToDouble(b);
        switch (op)
        {
            case "+": return p + q;
            case "-": return p - q;
            case "*": return p * q;
            case "/": return q == 0 ? throw new ChatTemplateException("float division by zero") : p / q;
            case "//": return q == 0 ? throw new ChatTemplateException("float floor division by zero") : Math.Floor(p / q);
            case "%":
                if (q == 0) throw new ChatTemplateException("float modulo");
                double r = p % q;
                return r != 0 && (r < 0) != (q < 0) ? r + q : r;
            case "**": return Math.Pow(p, q);
        }
        throw new ChatTemplateException($"unsupported operator '{op}'");
    }

    private static long FloorDiv(long x, long y)
    {
        long q = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
    }

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => PyEquals(a, b),
        "!=" => !PyEquals(a, b),
        "in" => Contains(b, a),
        "notin" => !Contains(b, a),
        _ => Order(op, a, b),
    };

    private static bool Order(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        int c = TemplateValues.Compare(a, b, op);
        return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string or MarkedString:
                if (!IsString(item)) throw new ChatTemplateException($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return MarkedString.Text(container).Contains(MarkedString.Text(item!), StringComparison.Ordinal);
            case List<object?> l: return l.Any(x => PyEquals(x, item));
            case OrderedDictionary<string, object?> d: return IsString(item) && d.ContainsKey(MarkedString.Text(item!));
            case Undefined: return false;
            default: throw new ChatTemplateException($"argument of type '{TypeName(container)}' is not iterable");
        }
    }
}
