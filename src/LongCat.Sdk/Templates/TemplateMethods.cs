using System.Text;
using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>
/// The methods of str, dict and list that chat templates call. The immutable sandbox forbids the mutating ones
/// (<c>list.append</c>, <c>dict.update</c>): reading them gives an undefined whose use fails with jinja2's SecurityError message.
/// </summary>
internal static class TemplateMethods
{
    private static readonly HashSet<string> StringMethods =
    [
        "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "replace", "upper", "lower", "title",
        "capitalize", "find", "rfind", "count", "join", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
        "splitlines", "center", "ljust", "rjust", "zfill", "removeprefix", "removesuffix", "swapcase", "casefold", "index", "rindex",
    ];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy"];
    private static readonly HashSet<string> UnsafeDictMethods = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> ListMethods = ["index", "count", "copy"];
    private static readonly HashSet<string> UnsafeListMethods = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    /// <summary>The method <paramref name="name"/> of <paramref name="obj"/>, an unsafe-attribute undefined, or null when it has none.</summary>
    public static object? Method(object? obj, string name)
    {
        switch (obj)
        {
            case string or MarkedString when StringMethods.Contains(name): return new BoundMethod(obj, name);
            case OrderedDictionary<string, object?> when DictMethods.Contains(name): return new BoundMethod(obj, name);
            case OrderedDictionary<string, object?> when UnsafeDictMethods.Contains(name): return Unsafe(name, "dict");
            case List<object?> when ListMethods.Contains(name): return new BoundMethod(obj, name);
            case List<object?> when UnsafeListMethods.Contains(name): return Unsafe(name, TypeName(obj));
            default: return null;
        }
    }

    private static Undefined Unsafe(string name, string type) =>
        new(name, hint: $"access to attribute '{name}' of '{type}' object is unsafe.");

    public static object? Call(object self, string name, CallArguments args) => self switch
    {
        OrderedDictionary<string, object?> d => CallDict(d, name, args),
        List<object?> l => name switch
        {
            "index" => IndexOf(l, args.Get(0, "value")),
            "count" => (long)l.Count(x => PyEquals(x, args.Get(0, "value"))),
            _ => new List<object?>(l),
        },
        _ => CallString(self, name, args),
    };

    private static long IndexOf(List<object?> l, object? value)
    {
        int i = l.FindIndex(x => PyEquals(x, value));
        return i >= 0 ? i : throw new ChatTemplateException($"{Repr(value)} is not in list");
    }

    private static object? CallDict(OrderedDictionary<string, object?> d, string name, CallArguments args)
    {
        switch (name)
        {
            case "get":
                var key = args.Get(0, "key");
                return IsString(key) && d.TryGetValue(MarkedString.Text(key!), out var v) ? v : args.Get(1, "default");
            case "items": return d.Select(kv => (object?)new TupleValue([kv.Key, kv.Value])).ToList();
            case "keys": return d.Keys.Select(k => (object?)k).ToList();
            case "values": return d.Values.ToList();
            default: return new OrderedDictionary<string, object?>(d, StringComparer.Ordinal);
        }
    }

    private static object? CallString(object self, string name, CallArguments args)
    {
        string s = MarkedString.Text(self);
        string? Arg(int i, string n) => args.Get(i, n) is { } v and not Undefined ? StrText(v) : null;
        switch (name)
        {
            case "startswith" or "endswith":
                var affix = args.Get(0, name == "startswith" ? "prefix" : "suffix");
                var candidates = affix is List<object?> list ? list.Select(StrText) : [IsString(affix) ? StrText(affix)
                    : throw new ChatTemplateException($"{name} first arg must be str or a tuple of str, not {TypeName(affix)}")];
                return candidates.Any(c => name == "startswith" ? s.StartsWith(c, StringComparison.Ordinal) : s.EndsWith(c, StringComparison.Ordinal));
            case "strip" or "lstrip" or "rstrip":
                var (start, end) = PythonText.StripBounds(s, Arg(0, "chars"), left: name != "rstrip", right: name != "lstrip");
                return MarkedString.Substring(self, start, end);
            case "split" or "rsplit":
                long max = args.Get(1, "maxsplit") is long m ? m : -1;
                return PythonText.Split(s, Arg(0, "sep"), (int)max, fromRight: name == "rsplit")
                    .Select(r => MarkedString.Substring(self, r.Start, r.End)).ToList();
            case "splitlines":
                return PythonText.SplitLines(s).Select(r => MarkedString.Substring(self, r.Start, r.End)).ToList();
            case "replace":
                return Replace(self, Arg(0, "old") ?? "", Arg(1, "new") ?? "", args.Get(2, "count") is long c ? c : -1);
            case "upper": return MarkedString.Derived(self, s.ToUpperInvariant());
            case "lower" or "casefold": return MarkedString.Derived(self, s.ToLowerInvariant());
            case "title": return MarkedString.Derived(self, PythonTitle(s));
            case "capitalize": return MarkedString.Derived(self, PythonText.Capitalize(s));
            case "swapcase": return MarkedString.Derived(self, new string(s.Select(ch => char.IsUpper(ch) ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch)).ToArray()));
            case "find" or "index": return Found(s.IndexOf(Arg(0, "sub") ?? "", StringComparison.Ordinal), name);
            case "rfind" or "rindex": return Found(s.LastIndexOf(Arg(0, "sub") ?? "", StringComparison.Ordinal), name);
            case "count":
                string sub = Arg(0, "sub") ?? "";
                if (sub.Length == 0) return (long)TemplateAccess.CodePointLength(s) + 1;
                long n = 0;
                for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            case "join":
                var parts = Iterate(args.Get(0, "iterable")).ToList();
                var pieces = new List<object>();
                for (int i = 0; i < parts.Count; i++)
                {
                    if (!IsString(parts[i])) throw new ChatTemplateException($"sequence item {i}: expected str instance, {TypeName(parts[i])} found");
                    if (i > 0) pieces.Add(self);
                    pieces.Add(parts[i]!);
                }
                return MarkedString.Concat(pieces);
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(PythonText.IsSpace);
            case "isupper": return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "islower": return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "removeprefix": string p = Arg(0, "prefix") ?? ""; return s.StartsWith(p, StringComparison.Ordinal) ? MarkedString.Substring(self, p.Length, s.Length) : self;
            case "removesuffix": string q = Arg(0, "suffix") ?? ""; return q.Length > 0 && s.EndsWith(q, StringComparison.Ordinal) ? MarkedString.Substring(self, 0, s.Length - q.Length) : self;
            case "center" or "ljust" or "rjust" or "zfill":
                int width = (int)ToLong(args.Get(0, "width"));
                int pad = Math.Max(0, width - TemplateAccess.CodePointLength(s));
                if (name == "zfill") return new string('0', pad) + s;
                string fill = Arg(1, "fillchar") ?? " ";
                int left = name switch { "ljust" => 0, "rjust" => pad, _ => pad / 2 + (pad & width & 1) };
                return MarkedString.Concat([Fill(fill, left), self, Fill(fill, pad - left)]);
            default: throw new ChatTemplateException($"unsupported method 'str.{name}'");
        }
    }

    private static string Fill(string fill, int n) => new StringBuilder().Insert(0, fill, n).ToString();

    private static long Found(int at, string name) =>
        at < 0 && name.EndsWith("index", StringComparison.Ordinal) ? throw new ChatTemplateException("substring not found") : at;

    /// <summary><c>str.replace</c>: the kept parts of the source keep their marks, the inserted text has none.</summary>
    public static object Replace(object self, string old, string replacement, long count)
    {
        string s = MarkedString.Text(self);
        var pieces = new List<object>();
        int from = 0;
        long done = 0;
        if (old.Length == 0)
        {
            var offsets = TemplateAccess.CodePointOffsets(s);
            for (int i = 0; i < offsets.Length; i++)
            {
                if (count < 0 || done < count) { pieces.Add(replacement); done++; }
                if (i + 1 < offsets.Length) pieces.Add(MarkedString.Substring(self, offsets[i], offsets[i + 1]));
            }
            return MarkedString.Concat(pieces);
        }
        for (int at = s.IndexOf(old, StringComparison.Ordinal); at >= 0 && (count < 0 || done < count); at = s.IndexOf(old, from, StringComparison.Ordinal))
        {
            pieces.Add(MarkedString.Substring(self, from, at));
            pieces.Add(replacement);
            from = at + old.Length;
            done++;
        }
        pieces.Add(MarkedString.Substring(self, from, s.Length));
        return MarkedString.Concat(pieces);
    }

    // Python's str.title: a cased character after an uncased one starts a word.
    private static string PythonTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }
}
