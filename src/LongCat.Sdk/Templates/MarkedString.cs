namespace LongCat.Sdk.Templates;

/// <summary>
/// A template string some of whose characters came from message content (plain text: never a control token). The
/// interpreter keeps the mark through concatenation, <c>~</c>, <c>join</c>, slicing, indexing, strip/trim, split, replace
/// and case changes that keep the length; an operation that cannot say where its characters came from drops it. Strings
/// with no mark are plain <see cref="string"/>s.
/// </summary>
/// <remarks>Invariant: <see cref="Plain"/> is sorted, its ranges are non-empty, disjoint and not adjacent, and within
/// <see cref="Value"/>.</remarks>
internal sealed class MarkedString
{
    private MarkedString(string value, (int Start, int End)[] plain)
    {
        Value = value;
        Plain = plain;
    }

    public string Value { get; }

    /// <summary>Half-open character ranges of <see cref="Value"/> that came from message content.</summary>
    public IReadOnlyList<(int Start, int End)> Plain { get; }

    public override string ToString() => Value;

    /// <summary>The whole of <paramref name="value"/> marked as plain text.</summary>
    public static object Whole(string value) => value.Length == 0 ? value : new MarkedString(value, [(0, value.Length)]);

    /// <summary><paramref name="value"/> with <paramref name="plain"/> marked (normalised); a plain string when nothing is marked.</summary>
    public static object Create(string value, IEnumerable<(int Start, int End)> plain)
    {
        var list = new List<(int Start, int End)>();
        foreach (var (s, e) in plain.OrderBy(r => r.Start))
        {
            int start = Math.Max(0, s), end = Math.Min(value.Length, e);
            if (end <= start) continue;
            if (list.Count > 0 && list[^1].End >= start) list[^1] = (list[^1].Start, Math.Max(list[^1].End, end));
            else list.Add((start, end));
        }
        return list.Count == 0 ? value : new MarkedString(value, [.. list]);
    }

    public static IReadOnlyList<(int Start, int End)> RangesOf(object? s) => s is MarkedString m ? m.Plain : [];

    /// <summary>Whether any character of <paramref name="s"/> is marked.</summary>
    public static bool HasMark(object? s) => s is MarkedString;

    /// <summary>Concatenates strings (plain or marked), keeping the marks.</summary>
    public static object Concat(IEnumerable<object> parts)
    {
        var sb = new System.Text.StringBuilder();
        List<(int, int)>? ranges = null;
        foreach (var p in parts)
        {
            int offset = sb.Length;
            if (p is MarkedString m)
            {
                ranges ??= [];
                foreach (var (s, e) in m.Plain) ranges.Add((s + offset, e + offset));
                sb.Append(m.Value);
            }
            else
            {
                sb.Append((string)p);
            }
        }
        return ranges is null ? sb.ToString() : Create(sb.ToString(), ranges);
    }

    public static object Concat(object a, object b) => a is string sa && b is string sb ? sa + sb : Concat([a, b]);

    /// <summary>Characters [start, end) of <paramref name="s"/>, with their marks.</summary>
    public static object Substring(object s, int start, int end)
    {
        string text = Text(s);
        string value = text[start..end];
        if (s is not MarkedString m) return value;
        return Create(value, m.Plain.Select(r => (r.Start - start, r.End - start)));
    }

    /// <summary>A string derived from <paramref name="source"/> character for character (same length) keeps its marks;
    /// otherwise it is marked only when the whole source was.</summary>
    public static object Derived(object source, string result)
    {
        if (source is not MarkedString m) return result;
        if (result.Length == m.Value.Length) return new MarkedString(result, [.. m.Plain]);
        return m.Plain.Count == 1 && m.Plain[0] == (0, m.Value.Length) ? Whole(result) : result;
    }

    public static string Text(object s) => s is MarkedString m ? m.Value : (string)s;
}
