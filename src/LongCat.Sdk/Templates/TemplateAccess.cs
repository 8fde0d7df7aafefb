using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>
/// Attribute, item and slice access as jinja2's sandbox does it: <c>a.b</c> tries the attribute (a method) and then the item;
/// <c>a[b]</c> tries the item and then the attribute; a miss is <see cref="Undefined"/>, and using an undefined fails. Strings
/// are indexed by code point, as in Python.
/// </summary>
internal static class TemplateAccess
{
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case LoopContext loop: return loop.Attribute(name);
            case Namespace ns: return ns.Attributes.TryGetValue(name, out var v) ? v : new Undefined(name, obj, hasOwner: true);
        }
        if (TemplateMethods.Method(obj, name) is { } method) return method;
        if (obj is OrderedDictionary<string, object?> d && d.TryGetValue(name, out var value)) return value;
        return new Undefined(name, obj, hasOwner: true);
    }

    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case OrderedDictionary<string, object?> d when IsString(key) && d.TryGetValue(MarkedString.Text(key!), out var value):
                return value;
            case List<object?> l when key is long or bool:
                long i = ToLong(key);
                if (i < 0) i += l.Count;
                if (i >= 0 && i < l.Count) return l[(int)i];
                break;
            case string or MarkedString when key is long or bool:
                var offsets = CodePointOffsets(MarkedString.Text(obj));
                int n = offsets.Length - 1;
                long j = ToLong(key);
                if (j < 0) j += n;
                if (j >= 0 && j < n) return MarkedString.Substring(obj, offsets[j], offsets[j + 1]);
                break;
            case LoopContext or Namespace when IsString(key):
                return GetAttr(obj, MarkedString.Text(key!));
        }
        if (IsString(key) && TemplateMethods.Method(obj, MarkedString.Text(key!)) is { } method) return method;
        return new Undefined(IsString(key) ? MarkedString.Text(key!) : key, obj, hasOwner: true);
    }

    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined u) throw u.Fail();
        long stride = step is null ? 1 : ToIndex(step);
        if (stride == 0) throw new ChatTemplateException("slice step cannot be zero");
        int length = obj switch
        {
            List<object?> l => l.Count,
            string or MarkedString => CodePointOffsets(MarkedString.Text(obj)).Length - 1,
            _ => throw new ChatTemplateException($"'{TypeName(obj)}' object is not subscriptable"),
        };
        var indices = SliceIndices(length, start is null ? null : ToIndex(start), stop is null ? null : ToIndex(stop), stride);
        if (obj is List<object?> list)
        {
            var items = indices.Select(i => list[i]);
            return obj is TupleValue ? new TupleValue(items) : items.ToList();
        }
        var offsets = CodePointOffsets(MarkedString.Text(obj!));
        if (stride == 1)
            return indices.Count == 0 ? "" : MarkedString.Substring(obj!, offsets[indices[0]], offsets[indices[^1] + 1]);
        return MarkedString.Concat(indices.Select(i => MarkedString.Substring(obj!, offsets[i], offsets[i + 1])).ToList());
    }

    private static long ToIndex(object? v) => v is long or bool ? ToLong(v)
        : throw new ChatTemplateException("slice indices must be integers or None or have an __index__ method");

    /// <summary>Python's <c>slice.indices</c>, expanded.</summary>
    private static List<int> SliceIndices(int length, long? start, long? stop, long step)
    {
        long lo, hi;
        if (step > 0)
        {
            lo = Clamp(start ?? 0, length, 0, length);
            hi = Clamp(stop ?? length, length, 0, length);
        }
        else
        {
            lo = Clamp(start ?? length - 1, length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(stop.Value, length, -1, length - 1);
        }
        var result = new List<int>();
        for (long i = lo; step > 0 ? i < hi : i > hi; i += step) result.Add((int)i);
        return result;
    }

    private static long Clamp(long index, int length, long min, long max)
    {
        if (index < 0) index += length;
        return Math.Clamp(index, min, max);
    }

    /// <summary>UTF-16 offsets of each code point of <paramref name="s"/>, and its length at the end.</summary>
    public static int[] CodePointOffsets(string s)
    {
        var offsets = new List<int>(s.Length + 1);
        for (int i = 0; i < s.Length; i++)
        {
            offsets.Add(i);
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
        }
        offsets.Add(s.Length);
        return [.. offsets];
    }

    public static int CodePointLength(string s)
    {
        int n = s.Length;
        for (int i = 1; i < s.Length; i++)
            if (char.IsLowSurrogate(s[i]) && char.IsHighSurrogate(s[i - 1])) n--;
        return n;
    }
}
