namespace LongCat.Sdk.Structured;

/// <summary>
/// A set of Unicode scalar values as sorted, disjoint, non-adjacent ranges: a regex character class, a string's alphabet.
/// Becomes UTF-8 byte sequences with <see cref="ToUtf8"/>. Immutable.
/// </summary>
internal sealed class CodePointSet
{
    public const int MaxScalar = 0x10FFFF;

    private readonly (int Lo, int Hi)[] _ranges;

    private CodePointSet((int Lo, int Hi)[] ranges) => _ranges = ranges;

    public static CodePointSet Empty { get; } = new([]);

    /// <summary>Every scalar value (no surrogates).</summary>
    public static CodePointSet All { get; } = Range(0, MaxScalar);

    /// <summary>The Basic Multilingual Plane's scalars: what one UTF-16 unit holds (a .NET regex's <c>.</c> or <c>[^...]</c>
    /// matches one unit, so our generation never goes past it there).</summary>
    public static CodePointSet Bmp { get; } = Range(0, 0xFFFF);

    /// <summary>ASCII, U+0000..U+007F.</summary>
    public static CodePointSet Ascii { get; } = Range(0, 0x7F);

    public IReadOnlyList<(int Lo, int Hi)> Ranges => _ranges;
    public bool IsEmpty => _ranges.Length == 0;

    public static CodePointSet Of(int codePoint) => Range(codePoint, codePoint);

    /// <summary>lo..hi, both included, less the surrogates.</summary>
    public static CodePointSet Range(int lo, int hi) => FromRanges([(lo, hi)]);

    public static CodePointSet FromRanges(IEnumerable<(int Lo, int Hi)> ranges)
    {
        var list = new List<(int Lo, int Hi)>();
        foreach (var (lo0, hi0) in ranges)
        {
            int lo = Math.Max(lo0, 0), hi = Math.Min(hi0, MaxScalar);
            if (lo > hi) continue;
            if (lo < 0xD800 && hi > 0xDFFF)                  // surrogates are not scalar values
            {
                list.Add((lo, 0xD7FF));
                list.Add((0xE000, hi));
                continue;
            }
            if (lo >= 0xD800 && lo <= 0xDFFF) lo = 0xE000;
            if (hi >= 0xD800 && hi <= 0xDFFF) hi = 0xD7FF;
            if (lo <= hi) list.Add((lo, hi));
        }
        list.Sort();
        var merged = new List<(int Lo, int Hi)>();
        foreach (var r in list)
            if (merged.Count > 0 && r.Lo <= merged[^1].Hi + 1) merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, r.Hi));
            else merged.Add(r);
        return new CodePointSet([.. merged]);
    }

    public bool Contains(int codePoint)
    {
        foreach (var (lo, hi) in _ranges)
            if (codePoint >= lo && codePoint <= hi) return true;
        return false;
    }

    public CodePointSet Union(CodePointSet other) => FromRanges(_ranges.Concat(other._ranges));

    public CodePointSet Except(CodePointSet other)
    {
        var result = new List<(int Lo, int Hi)>();
        foreach (var (lo, hi) in _ranges)
        {
            int from = lo;
            foreach (var (olo, ohi) in other._ranges)
            {
                if (ohi < from || olo > hi) continue;
                if (olo > from) result.Add((from, olo - 1));
                from = Math.Max(from, ohi + 1);
            }
            if (from <= hi) result.Add((from, hi));
        }
        return FromRanges(result);
    }

    public CodePointSet Intersect(CodePointSet other) => Except(All.Except(other));

    /// <summary>The UTF-8 encodings of the set's scalars: one byte-range sequence per run of equal encoded length and shared
    /// leading bytes (RE2's construction; no overlong forms, no surrogates).</summary>
    public GrammarExpr ToUtf8()
    {
        var alternatives = new List<GrammarExpr>();
        foreach (var (lo, hi) in _ranges) Split(lo, hi, alternatives);
        return GrammarExpr.Choice(alternatives);
    }

    private static void Split(int lo, int hi, List<GrammarExpr> into)
    {
        if (lo > hi) return;
        foreach (int max in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
            if (lo <= max && hi > max)
            {
                Split(lo, max, into);
                Split(max + 1, hi, into);
                return;
            }
        if (hi <= 0x7F)
        {
            into.Add(GrammarExpr.ByteRange(lo, hi));
            return;
        }
        for (int i = 1; i < 4; i++)
        {
            int m = (1 << (6 * i)) - 1;                       // the low bits that i continuation bytes hold
            if ((lo & ~m) != (hi & ~m))
            {
                if ((lo & m) != 0)
                {
                    Split(lo, lo | m, into);
                    Split((lo | m) + 1, hi, into);
                    return;
                }
                if ((hi & m) != m)
                {
                    Split(lo, (hi & ~m) - 1, into);
                    Split(hi & ~m, hi, into);
                    return;
                }
            }
        }
        Span<byte> a = stackalloc byte[4], b = stackalloc byte[4];
        int n = new System.Text.Rune(lo).EncodeToUtf8(a);
        new System.Text.Rune(hi).EncodeToUtf8(b);
        var items = new GrammarExpr[n];
        for (int k = 0; k < n; k++) items[k] = GrammarExpr.ByteRange(a[k], b[k]);
        into.Add(GrammarExpr.Sequence(items));
    }
}
