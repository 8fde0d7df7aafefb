using System.Globalization;
using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>jinja2's built-in filters and tests that chat templates use, with transformers' <c>tojson</c>.</summary>
internal static class TemplateFilters
{
    private static readonly HashSet<string> Filters =
    [
        "tojson", "trim", "length", "count", "upper", "lower", "title", "capitalize", "replace", "join", "first", "last",
        "default", "d", "selectattr", "rejectattr", "map", "select", "reject", "items", "list", "string", "int", "float", "safe",
        "indent", "round", "abs", "unique", "sort", "dictsort", "reverse", "batch", "wordcount", "center", "sum", "attr", "min", "max",
    ];

    private static readonly HashSet<string> Tests =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "mapping", "iterable", "sequence",
        "callable", "true", "false", "equalto", "eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge", ">=", "sameas",
        "in", "odd", "even", "divisibleby", "lower", "upper", "filter", "test",
    ];

    public static bool IsFilter(string name) => Filters.Contains(name);

    public static bool IsTest(string name) => Tests.Contains(name);

    public static object? Filter(TemplateRenderer r, string name, object? value, CallArguments a)
    {
        switch (name)
        {
            case "tojson": return TemplateJson.Dumps(value, a);
            case "trim":
                var s = Str(value);
                var (start, end) = PythonText.StripBounds(MarkedString.Text(s), a.Get(0, "chars") is { } c and not Undefined ? StrText(c) : null, true, true);
                return MarkedString.Substring(s, start, end);
            case "length" or "count": return Length(value);
            case "upper": return MarkedString.Derived(Str(value), StrText(value).ToUpperInvariant());
            case "lower": return MarkedString.Derived(Str(value), StrText(value).ToLowerInvariant());
            case "title": return MarkedString.Derived(Str(value), PythonText.Title(StrText(value)));
            case "capitalize": return MarkedString.Derived(Str(value), PythonText.Capitalize(StrText(value)));
            case "replace":
                return TemplateMethods.Replace(Str(value), StrText(a.Get(0, "old")), StrText(a.Get(1, "new")), a.Get(2, "count") is long n ? n : -1);
            case "join":
                var items = Iterate(value);
                if (a.Get(1, "attribute") is { } attribute and not null) items = items.Select(x => Attribute(x, attribute)).ToList();
                var separator = Str(a.Get(0, "d", ""));
                var pieces = new List<object>();
                for (int i = 0; i < items.Count; i++) { if (i > 0) pieces.Add(separator); pieces.Add(Str(items[i])); }
                return MarkedString.Concat(pieces);
            case "first":
                var all = Iterate(value);
                return all.Count > 0 ? all[0] : new Undefined(null, hint: "No first item, sequence was empty.");
            case "last":
                var list = value is OrderedDictionary<string, object?> or Undefined ? throw new ChatTemplateException($"'{TypeName(value)}' object is not reversible") : Iterate(value);
                return list.Count > 0 ? list[^1] : new Undefined(null, hint: "No last item, sequence was empty.");
            case "default" or "d":
                bool boolean = Truthy(a.Get(1, "boolean", false));
                return value is Undefined || boolean && !Truthy(value) ? a.Get(0, "default_value", "") : value;
            case "selectattr" or "rejectattr" or "select" or "reject": return SelectOrReject(r, name, value, a);
            case "map": return Map(r, value, a);
            case "items":
                if (value is Undefined) return new List<object?>();
                if (value is not OrderedDictionary<string, object?> dict) throw new ChatTemplateException("Can only get item pairs from a mapping.");
                return TemplateMethods.Call(dict, "items", CallArguments.Of());
            case "list": return new List<object?>(Iterate(value));
            case "string": return Str(value);
            case "int": return ToInt(value, a);
            case "float": return ToFloat(value, a.Get(0, "default", 0.0));
            case "safe": return value;
            case "indent": return Indent(Str(value), a);
            case "round": return Round(value, a);
            case "abs":
                return value switch
                {
                    long l => (object)Math.Abs(l), double d => Math.Abs(d), bool b => b ? 1L : 0L,
                    _ => throw new ChatTemplateException($"bad operand type for abs(): '{TypeName(value)}'"),
                };
            case "unique":
                var seen = new List<object?>();
                var keys = new List<object?>();
                foreach (var item in Iterate(value))
                {
                    var key = SortKey(a.Get(1, "attribute") is { } at ? Attribute(item, at) : item, Truthy(a.Get(0, "case_sensitive", false)));
                    if (keys.Any(k => PyEquals(k, key))) continue;
                    keys.Add(key);
                    seen.Add(item);
                }
                return seen;
            case "sort":
                bool caseSensitive = Truthy(a.Get(1, "case_sensitive", false));
                var sortAttribute = a.Get(2, "attribute");
                var sorted = Iterate(value).Select(x => (Key: SortKey(sortAttribute is null ? x : Attribute(x, sortAttribute), caseSensitive), Item: x))
                    .Order(Comparer<(object? Key, object? Item)>.Create((p, q) => TemplateValues.Compare(p.Key, q.Key, "<"))).Select(p => p.Item).ToList();
                if (Truthy(a.Get(0, "reverse", false))) sorted.Reverse(); // Python's reverse sort keeps ties stable in reverse
                return sorted;
            case "dictsort":
                if (value is not OrderedDictionary<string, object?> map) throw new ChatTemplateException("You can only sort by either \"key\" or \"value\"");
                bool byValue = StrText(a.Get(1, "by", "key")) == "value";
                bool cs = Truthy(a.Get(0, "case_sensitive", false));
                var pairs = map.Select(kv => (object?)new TupleValue([kv.Key, kv.Value]))
                    .Order(Comparer<object?>.Create((p, q) => TemplateValues.Compare(SortKey(((TupleValue)p!)[byValue ? 1 : 0], cs), SortKey(((TupleValue)q!)[byValue ? 1 : 0], cs), "<"))).ToList();
                if (Truthy(a.Get(2, "reverse", false))) pairs.Reverse();
                return pairs;
            case "reverse":
                if (IsString(value)) return TemplateAccess.Slice(value, null, null, -1L);
                var reversed = new List<object?>(Iterate(value));
                reversed.Reverse();
                return reversed;
            case "batch":
                int size = (int)ToLong(a.Get(0, "linecount"));
                var fill = a.Get(1, "fill_with");
                var batches = Iterate(value).Chunk(Math.Max(1, size)).Select(ch =>
                {
                    var b = ch.ToList();
                    while (fill is not null && b.Count < size) b.Add(fill);
                    return (object?)b;
                }).ToList();
                return batches;
            case "wordcount":
                return (long)System.Text.RegularExpressions.Regex.Count(StrText(value), @"\w+");
            case "center":
                return TemplateMethods.Call(Str(value), "center", CallArguments.Of(a.Get(0, "width", 80L)));
            case "sum":
                object? total = a.Get(1, "start", 0L);
                foreach (var item in Iterate(value))
                    total = TemplateOperators.Arithmetic("+", total, a.Get(0, "attribute") is { } sa ? Attribute(item, sa) : item);
                return total;
            case "min" or "max":
                bool minCaseSensitive = Truthy(a.Get(0, "case_sensitive", false));
                var minAttribute = a.Get(1, "attribute");
                object? best = null;
                object? bestKey = null;
                bool any = false;
                foreach (var item in Iterate(value))
                {
                    var key = SortKey(minAttribute is null ? item : Attribute(item, minAttribute), minCaseSensitive);
                    int cmp = any ? TemplateValues.Compare(key, bestKey, "<") : 0;
                    if (!any || (name == "min" ? cmp < 0 : cmp > 0)) { best = item; bestKey = key; any = true; }
                }
                return any ? best : new Undefined(null, hint: $"No aggregated item, sequence was empty.");
            case "attr": return TemplateAccess.GetAttr(value, StrText(a.Get(0, "name")));
            default: throw new ChatTemplateException($"No filter named '{name}' found.");
        }
    }

    private static object Length(object? value) => value switch
    {
        Undefined => 0L,
        string or MarkedString => (long)TemplateAccess.CodePointLength(MarkedString.Text(value)),
        List<object?> l => (long)l.Count,
        OrderedDictionary<string, object?> d => (long)d.Count,
        Namespace n => (long)n.Attributes.Count,
        _ => throw new ChatTemplateException($"object of type '{TypeName(value)}' has no len()"),
    };

    // jinja2's attribute lookup for map/selectattr/sort: dots walk into nested values, digits index lists.
    private static object? Attribute(object? item, object? path)
    {
        if (path is long index) return TemplateAccess.GetItem(item, index);
        foreach (var part in StrText(path).Split('.'))
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? TemplateAccess.GetItem(item, i) : TemplateAccess.GetItem(item, part);
        return item;
    }

    private static object? SortKey(object? v, bool caseSensitive) => !caseSensitive && IsString(v) ? StrText(v).ToLowerInvariant() : v;

    private static List<object?> SelectOrReject(TemplateRenderer r, string name, object? value, CallArguments a)
    {
        bool byAttribute = name.EndsWith("attr", StringComparison.Ordinal);
        bool select = name.StartsWith("select", StringComparison.Ordinal);
        var rest = a.Positional.Skip(byAttribute ? 1 : 0).ToList();
        var attribute = byAttribute ? a.Get(0, "attr") : null;
        string? test = rest.Count > 0 ? StrText(rest[0]) : null;
        var testArgs = new CallArguments(rest.Skip(1).ToList(), new(StringComparer.Ordinal));
        if (test is not null && !IsTest(test)) throw new ChatTemplateException($"No test named '{test}'.");
        return Iterate(value).Where(item =>
        {
            var subject = byAttribute ? Attribute(item, attribute) : item;
            bool ok = test is null ? Truthy(subject) : Test(r, test, subject, testArgs);
            return ok == select;
        }).ToList();
    }

    private static List<object?> Map(TemplateRenderer r, object? value, CallArguments a)
    {
        if (a.Keywords.TryGetValue("attribute", out var attribute))
        {
            var fallback = a.Keywords.TryGetValue("default", out var d) ? d : null;
            bool hasDefault = a.Keywords.ContainsKey("default");
            return Iterate(value).Select(item =>
            {
                var v = Attribute(item, attribute);
                return v is Undefined && hasDefault ? fallback : v;
            }).ToList();
        }
        if (a.Positional.Count == 0) throw new ChatTemplateException("map requires a filter argument");
        string filter = StrText(a.Positional[0]);
        if (!IsFilter(filter)) throw new ChatTemplateException($"No filter named '{filter}'.");
        var args = new CallArguments(a.Positional.Skip(1).ToList(), new(a.Keywords, StringComparer.Ordinal));
        return Iterate(value).Select(item => Filter(r, filter, item, args)).ToList();
    }

    private static object ToInt(object? value, CallArguments a)
    {
        var fallback = a.Get(0, "default", 0L)!;
        switch (value)
        {
            case long or bool: return ToLong(value);
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string or MarkedString:
                string s = StrText(value).Trim().Replace("_", "");
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f) ? (long)Math.Truncate(f) : fallback;
            default: return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or bool or double => ToDouble(value),
        string or MarkedString when double.TryParse(StrText(value).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double f) => f,
        _ => fallback,
    };

    private static object? Round(object? value, CallArguments a)
    {
        int precision = (int)ToLong(a.Get(0, "precision", 0L));
        string method = StrText(a.Get(1, "method", "common"));
        double x = ToDouble(value);
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "ceil" => (object)(Math.Ceiling(x * scale) / scale),
            "floor" => Math.Floor(x * scale) / scale,
            _ when value is long or bool => ToLong(value),
            _ => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
        };
    }

    private static object Indent(object s, CallArguments a)
    {
        var width = a.Get(0, "width", 4L);
        string indentation = IsString(width) ? StrText(width) : new string(' ', (int)ToLong(width));
        bool first = Truthy(a.Get(1, "first", false)), blank = Truthy(a.Get(2, "blank", false));
        var text = MarkedString.Concat(s, "\n"); // jinja2 appends a newline so splitlines keeps a trailing empty line
        var lines = PythonText.SplitLines(MarkedString.Text(text)).Select(r => MarkedString.Substring(text, r.Start, r.End)).ToList();
        var pieces = new List<object>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0) pieces.Add("\n");
            bool indentThis = i == 0 ? first : blank || MarkedString.Text(lines[i]).Length > 0;
            if (indentThis) pieces.Add(indentation);
            pieces.Add(lines[i]);
        }
        return MarkedString.Concat(pieces);
    }

    public static bool Test(TemplateRenderer r, string name, object? v, CallArguments a)
    {
        object? Arg() => a.Get(0, "other");
        return name switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            "string" => IsString(v),
            "number" => v is long or double or bool,
            "integer" => v is long,
            "float" => v is double,
            "boolean" => v is bool,
            "mapping" => v is OrderedDictionary<string, object?>,
            "iterable" => v is string or MarkedString or List<object?> or OrderedDictionary<string, object?> or Undefined,
            "sequence" => v is string or MarkedString or List<object?> or OrderedDictionary<string, object?> or Undefined,
            "callable" => v is Callable or BoundMethod,
            "true" => v is true,
            "false" => v is false,
            "equalto" or "eq" or "==" => PyEquals(v, Arg()),
            "ne" or "!=" => !PyEquals(v, Arg()),
            "lt" or "<" => TemplateOperators.Compare("<", v, Arg()),
            "le" or "<=" => TemplateOperators.Compare("<=", v, Arg()),
            "gt" or ">" => TemplateOperators.Compare(">", v, Arg()),
            "ge" or ">=" => TemplateOperators.Compare(">=", v, Arg()),
            "sameas" => v is null && Arg() is null || v is bool b && Arg() is bool c && b == c || v is long x && Arg() is long y && x == y
                        || v is not null and not bool and not long && ReferenceEquals(v, Arg()),
            "in" => TemplateOperators.Contains(a.Get(0, "seq"), v),
            "odd" => ToLong(v) % 2 != 0,
            "even" => ToLong(v) % 2 == 0,
            "divisibleby" => ToLong(v) % ToLong(a.Get(0, "num")) == 0,
            "lower" => StrText(v) == StrText(v).ToLowerInvariant(),
            "upper" => StrText(v) == StrText(v).ToUpperInvariant(),
            "filter" => IsString(v) && IsFilter(StrText(v)),
            "test" => IsString(v) && IsTest(StrText(v)),
            _ => throw new ChatTemplateException($"No test named '{name}' found."),
        };
    }
}
