using System.Text.Json;

namespace LongCat.Sdk.Templates;

// The value model, as Python sees a template's values: null = None, bool, long = int, double = float, string or
// MarkedString = str, List<object?> = list (TupleValue = tuple), OrderedDictionary<string, object?> = dict, and the types below.

/// <summary>jinja2's default <c>Undefined</c>: prints as nothing, is false, iterates as empty, has length 0; any other use
/// (attribute, item, call, arithmetic) fails with jinja2's message.</summary>
internal sealed class Undefined(object? name, object? owner = null, bool hasOwner = false, string? hint = null)
{
    public string Message => hint ?? (!hasOwner ? $"{TemplateValues.Repr(name)} is undefined"
        : name is string ? $"'{TemplateValues.ObjectTypeRepr(owner)}' has no attribute {TemplateValues.Repr(name)}"
        : $"{TemplateValues.ObjectTypeRepr(owner)} has no element {TemplateValues.Repr(name)}");

    public ChatTemplateException Fail() => new(Message);
}

/// <summary>A tuple: an immutable list that prints with parentheses.</summary>
internal sealed class TupleValue(IEnumerable<object?> items) : List<object?>(items);

/// <summary>The object <c>namespace(...)</c> makes: the only object a template may assign attributes of.</summary>
internal sealed class Namespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A function, filter-like global or macro a template can call.</summary>
internal sealed class Callable(string name, Func<CallArguments, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(CallArguments args) => invoke(args);
}

/// <summary>A method of a value (<c>s.startswith</c>, <c>d.items</c>), bound to it by attribute access.</summary>
internal sealed record BoundMethod(object Self, string Name);

/// <summary>Positional and keyword arguments of a call.</summary>
internal sealed record CallArguments(List<object?> Positional, OrderedDictionary<string, object?> Keywords)
{
    public static CallArguments Of(params object?[] positional) => new([.. positional], new(StringComparer.Ordinal));

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null) =>
        index < Positional.Count ? Positional[index] : Keywords.TryGetValue(name, out var v) ? v : fallback;

    public bool Has(int index, string name) => index < Positional.Count || Keywords.ContainsKey(name);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(List<object?> items, int depth)
{
    public int Index0 { get; set; }
    public int Depth { get; } = depth;

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)Depth,
        "depth0" => (long)Depth - 1,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined(null, hint: "there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined(null, hint: "there is no next item"),
        "cycle" => new Callable("cycle", a => a.Positional.Count == 0
            ? throw new ChatTemplateException("no items for cycling given")
            : a.Positional[Index0 % a.Positional.Count]),
        _ => new Undefined(name, this, hasOwner: true),
    };
}

internal static class TemplateValues
{
    public static bool IsString(object? v) => v is string or MarkedString;

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        MarkedString m => m.Value.Length > 0,
        List<object?> l => l.Count > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's <c>type(v).__name__</c>, for error messages.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string or MarkedString => "str",
        TupleValue => "tuple",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        Undefined => "Undefined",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        BoundMethod => "builtin_function_or_method",
        _ => "function",
    };

    /// <summary>jinja2's <c>object_type_repr</c>: "None", or "dict object".</summary>
    public static string ObjectTypeRepr(object? v) => v is null ? "None" : $"{TypeName(v)} object";

    public static bool PyEquals(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b) && (a is double || b is double || ToLong(a) == ToLong(b));
        return (a, b) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            _ when IsString(a) && IsString(b) => MarkedString.Text(a!) == MarkedString.Text(b!),
            (TupleValue x, TupleValue y) => SequenceEquals(x, y),
            (TupleValue, _) or (_, TupleValue) => false,
            (List<object?> x, List<object?> y) => SequenceEquals(x, y),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var w) && PyEquals(kv.Value, w)),
            _ => ReferenceEquals(a, b),
        };
    }

    private static bool SequenceEquals(List<object?> x, List<object?> y)
    {
        if (x.Count != y.Count) return false;
        for (int i = 0; i < x.Count; i++) if (!PyEquals(x[i], y[i])) return false;
        return true;
    }

    /// <summary>Python's ordering (<c>&lt;</c>) of numbers, strings and lists; a TypeError otherwise.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        if (IsString(a) && IsString(b)) return string.CompareOrdinal(MarkedString.Text(a!), MarkedString.Text(b!));
        if (a is List<object?> x && b is List<object?> y)
        {
            for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                if (!PyEquals(x[i], y[i])) return Compare(x[i], y[i], op);
            return x.Count.CompareTo(y.Count);
        }
        throw new ChatTemplateException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static long ToLong(object? v) => v switch { bool b => b ? 1 : 0, long l => l, double d => (long)d, _ => 0 };

    public static double ToDouble(object? v) => v switch { bool b => b ? 1 : 0, long l => l, double d => d, _ => 0 };

    /// <summary>Python's <c>str(v)</c>, marks kept for strings.</summary>
    public static object Str(object? v) => v switch
    {
        string or MarkedString => v,
        Undefined => "",
        _ => Repr(v, top: true),
    };

    public static string StrText(object? v) => MarkedString.Text(Str(v));

    /// <summary>Python's <c>repr(v)</c> (with <paramref name="top"/>, <c>str(v)</c> of a non-string).</summary>
    public static string Repr(object? v, bool top = false) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        double d => PythonText.FloatRepr(d),
        string s => PythonText.StringRepr(s),
        MarkedString m => PythonText.StringRepr(m.Value),
        TupleValue t => "(" + string.Join(", ", t.Select(x => Repr(x))) + (t.Count == 1 ? ",)" : ")"),
        List<object?> l => "[" + string.Join(", ", l.Select(x => Repr(x))) + "]",
        OrderedDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => PythonText.StringRepr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Undefined => top ? "" : "Undefined",
        Namespace n => "<Namespace " + Repr(new OrderedDictionary<string, object?>(n.Attributes)) + ">",
        _ => $"<{TypeName(v)}>",
    };

    /// <summary>Iterates a value as Python's <c>for</c> would; a TypeError for non-iterables.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        Undefined => [],
        List<object?> l => l,
        OrderedDictionary<string, object?> d => [.. d.Keys],
        string or MarkedString => Characters(v),
        _ => throw new ChatTemplateException($"'{TypeName(v)}' object is not iterable"),
    };

    private static List<object?> Characters(object s)
    {
        string text = MarkedString.Text(s);
        var list = new List<object?>(text.Length);
        for (int i = 0; i < text.Length; i++) list.Add(MarkedString.Substring(s, i, i + 1));
        return list;
    }

    /// <summary>Converts JSON to template values (integers to int, other numbers to float, objects to ordered dicts);
    /// with <paramref name="plainText"/>, every string in it is marked as plain text.</summary>
    public static object? FromJson(JsonElement e, bool plainText = false)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                string s = e.GetString()!;
                return plainText ? MarkedString.Whole(s) : s;
            case JsonValueKind.Number:
                string raw = e.GetRawText();
                if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0 && e.TryGetInt64(out long l)) return l;
                return e.GetDouble();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Array: return e.EnumerateArray().Select(x => FromJson(x, plainText)).ToList();
            case JsonValueKind.Object:
                var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value, plainText);
                return d;
            default: return null;
        }
    }
}
