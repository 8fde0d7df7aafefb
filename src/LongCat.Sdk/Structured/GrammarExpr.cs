using System.Text;

namespace LongCat.Sdk.Structured;

/// <summary>
/// A regular expression over UTF-8 bytes, extended with calls of grammar rules (so recursion is a pushdown automaton) and the
/// intersection of two call-free expressions. What the JSON-schema and regex translators emit and <see cref="GrammarBuilder"/>
/// compiles. Immutable; a sub-expression may be shared by several parents (each use is a separate copy in the automaton).
/// </summary>
internal abstract class GrammarExpr
{
    private protected GrammarExpr(int size) => Size = size;

    /// <summary>Roughly the automaton nodes it becomes (saturating): what decides whether a repeated part becomes a rule.</summary>
    public int Size { get; }

    /// <summary>Matches the empty string.</summary>
    public static GrammarExpr Empty { get; } = new Seq([]);

    /// <summary>Matches nothing.</summary>
    public static GrammarExpr Never { get; } = new Alt([]);

    public static GrammarExpr Bytes(ByteSet set) => new ByteClass(set);
    public static GrammarExpr Byte(byte b) => new ByteClass(ByteSet.Of(b));
    public static GrammarExpr ByteRange(int lo, int hi) => new ByteClass(ByteSet.Range(lo, hi));

    /// <summary>The UTF-8 bytes of <paramref name="text"/>.</summary>
    public static GrammarExpr Literal(string text) => Literal(Encoding.UTF8.GetBytes(text));

    public static GrammarExpr Literal(ReadOnlySpan<byte> bytes)
    {
        var items = new GrammarExpr[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) items[i] = Byte(bytes[i]);
        return items.Length == 1 ? items[0] : new Seq(items);
    }

    public static GrammarExpr Sequence(params IEnumerable<GrammarExpr> items)
    {
        var list = new List<GrammarExpr>();
        foreach (var item in items)
        {
            if (item is Seq s) list.AddRange(s.Items);
            else if (item is Alt { Items.Length: 0 }) return Never;
            else list.Add(item);
        }
        return list.Count == 1 ? list[0] : new Seq([.. list]);
    }

    public static GrammarExpr Choice(params IEnumerable<GrammarExpr> items)
    {
        var list = new List<GrammarExpr>();
        foreach (var item in items)
            if (item is Alt a) list.AddRange(a.Items);
            else list.Add(item);
        return list.Count == 1 ? list[0] : new Alt([.. list]);
    }

    /// <summary><paramref name="item"/> <paramref name="min"/> to <paramref name="max"/> times (max −1: unbounded).</summary>
    public static GrammarExpr Repeat(GrammarExpr item, int min, int max)
    {
        if (max >= 0 && max < min) return Never;
        if (max == 0) return Empty;
        if (min == 1 && max == 1) return item;
        return new Rep(item, min, max);
    }

    public static GrammarExpr Optional(GrammarExpr item) => Repeat(item, 0, 1);
    public static GrammarExpr Star(GrammarExpr item) => Repeat(item, 0, -1);
    public static GrammarExpr Plus(GrammarExpr item) => Repeat(item, 1, -1);
    public static GrammarExpr Call(int rule) => new RuleCall(rule);

    /// <summary>
    /// Some of <paramref name="items"/> in their order (every <paramref name="required"/> one present), then any number of
    /// <paramref name="rest"/> (none when null), all separated by <paramref name="separator"/>: a JSON object's members. Each
    /// item is copied twice in the automaton (first or after a separator), where nesting alternatives would copy it n times.
    /// </summary>
    public static GrammarExpr Subsequence(GrammarExpr[] items, bool[] required, GrammarExpr separator, GrammarExpr? rest) =>
        new Members(items, required, separator, rest);

    /// <summary>Strings both match; neither may call a rule.</summary>
    public static GrammarExpr Intersect(GrammarExpr left, GrammarExpr right) => new Both(left, right);

    public bool IsNever => this is Alt { Items.Length: 0 };

    private static int Add(int a, int b) => (int)Math.Min((long)a + b, int.MaxValue / 4);

    internal sealed class ByteClass(ByteSet set) : GrammarExpr(1)
    {
        public ByteSet Set { get; } = set;
    }

    internal sealed class Seq(GrammarExpr[] items) : GrammarExpr(items.Aggregate(1, (n, e) => Add(n, e.Size)))
    {
        public GrammarExpr[] Items { get; } = items;
    }

    internal sealed class Alt(GrammarExpr[] items) : GrammarExpr(items.Aggregate(2, (n, e) => Add(n, e.Size + 1)))
    {
        public GrammarExpr[] Items { get; } = items;
    }

    internal sealed class Rep(GrammarExpr item, int min, int max)
        : GrammarExpr((int)Math.Min((long)item.Size * Math.Max(1, max < 0 ? min + 1 : max) + 2, int.MaxValue / 4))
    {
        public GrammarExpr Item { get; } = item;
        public int Min { get; } = min;
        /// <summary>−1: unbounded.</summary>
        public int Max { get; } = max;
    }

    internal sealed class Members(GrammarExpr[] items, bool[] required, GrammarExpr separator, GrammarExpr? rest)
        : GrammarExpr(items.Aggregate(2 * ((rest?.Size ?? 0) + 2 * separator.Size), (n, e) => Add(n, 2 * e.Size + 2)))
    {
        public GrammarExpr[] Items { get; } = items;
        public bool[] Required { get; } = required;
        public GrammarExpr Separator { get; } = separator;
        public GrammarExpr? Rest { get; } = rest;
    }

    internal sealed class RuleCall(int rule) : GrammarExpr(1)
    {
        public int Rule { get; } = rule;
    }

    internal sealed class Both(GrammarExpr left, GrammarExpr right) : GrammarExpr(Add(left.Size, right.Size))
    {
        public GrammarExpr Left { get; } = left;
        public GrammarExpr Right { get; } = right;
    }
}
