using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// Canonical Unicode normalization (NFC and NFD) from the SDK's own tables (<see cref="UnicodeNormalizationData"/>), so the
/// result does not depend on ICU: under <c>InvariantGlobalization</c> .NET's <see cref="string.Normalize()"/> returns its
/// input unchanged. Text that is already normalized (all of ASCII and Latin-1, most CJK) is returned as is, without copying.
/// </summary>
internal static class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    // BMP chars that may change under NFC or NFD: a decomposition, a non-zero combining class, or the second half of a
    // composition (Hangul vowels and trailing consonants included). Everything else below U+10000 is stable.
    private static readonly ulong[] s_unstableBmp = BuildUnstableBmp();
    private static readonly Dictionary<long, int> s_compose = BuildCompositions();
    private static readonly HashSet<int> s_composeSeconds = [.. s_compose.Keys.Select(k => (int)(k & 0x1FFFFF))];

    /// <summary>Returns the NFC (<paramref name="compose"/>) or NFD form of <paramref name="text"/>.</summary>
    public static string Normalize(string text, bool compose) => IsStable(text, compose) ? text : Normalize(text.AsSpan(), compose);

    /// <summary>The NFC (<paramref name="compose"/>) or NFD form of <paramref name="text"/>, or <paramref name="text"/> itself when it is already in that form.</summary>
    public static ReadOnlyMemory<char> Normalize(ReadOnlyMemory<char> text, bool compose) =>
        IsStable(text.Span, compose) ? text : Normalize(text.Span, compose).AsMemory();

    private static string Normalize(ReadOnlySpan<char> text, bool compose)
    {
        var buffer = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, buffer);
        ReorderCanonically(buffer);
        if (compose) Compose(buffer);
        var sb = new StringBuilder(buffer.Count + 8);
        foreach (int cp in buffer) sb.Append(new Rune(cp).ToString());
        return sb.ToString();
    }

    /// <summary>The canonical combining class of <paramref name="codePoint"/> (0 for starters).</summary>
    public static int CombiningClass(int codePoint)
    {
        if (codePoint < 0x300) return 0;
        var table = UnicodeNormalizationData.CombiningClasses;
        int lo = 0, hi = table.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int cp = table[mid] >> 8;
            if (cp == codePoint) return table[mid] & 0xFF;
            if (cp < codePoint) lo = mid + 1; else hi = mid - 1;
        }
        return 0;
    }

    /// <summary>Whether <paramref name="span"/> is certainly already in the form (a quick check: false may still be normalized).</summary>
    public static bool IsStable(ReadOnlySpan<char> span, bool compose)
    {
        int i = span.IndexOfAnyExceptInRange('\0', '\u02FF');
        if (i < 0) return true;
        foreach (var rune in span[i..].EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp < 0x10000)
            {
                if ((s_unstableBmp[cp >> 6] & (1UL << (cp & 63))) == 0) continue;
                // Precomposed Hangul syllables are NFC; only NFD takes them apart.
                if (compose && cp is >= SBase and < SBase + SCount) continue;
                return false;
            }
            if (CombiningClass(cp) != 0 || FindDecomposition(cp) >= 0 || s_composeSeconds.Contains(cp)) return false;
        }
        return true;
    }

    private static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        int index = FindDecomposition(cp);
        if (index < 0) { output.Add(cp); return; }
        var starts = UnicodeNormalizationData.DecompositionStarts;
        foreach (int d in UnicodeNormalizationData.DecompositionValues[starts[index]..starts[index + 1]]) output.Add(d);
    }

    private static int FindDecomposition(int cp)
    {
        if (cp < 0xC0) return -1;
        int index = UnicodeNormalizationData.DecompositionKeys.BinarySearch(cp);
        return index < 0 ? -1 : index;
    }

    /// <summary>Stable-sorts each run of non-starters by combining class (canonical ordering).</summary>
    private static void ReorderCanonically(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int c = CombiningClass(cps[i]);
            if (c == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > c)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    /// <summary>Canonical composition: each character joins the last starter unless a character between them blocks it.</summary>
    private static void Compose(List<int> cps)
    {
        int starter = -1, lastClass = 0, write = 0;
        for (int read = 0; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cc = CombiningClass(cp);
            bool adjacent = starter == write - 1;
            if (starter >= 0 && (adjacent || (lastClass != 0 && lastClass < cc)) && TryCompose(cps[starter], cp, out int composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (cc == 0) { starter = write; lastClass = 0; }
            else lastClass = cc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + second - VBase) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + second - TBase;
            return true;
        }
        return s_compose.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static Dictionary<long, int> BuildCompositions()
    {
        var triples = UnicodeNormalizationData.Compositions;
        var map = new Dictionary<long, int>(triples.Length / 3);
        for (int i = 0; i < triples.Length; i += 3) map[((long)triples[i] << 21) | (uint)triples[i + 1]] = triples[i + 2];
        return map;
    }

    private static ulong[] BuildUnstableBmp()
    {
        var bits = new ulong[1024];
        void Set(int cp) { if (cp < 0x10000) bits[cp >> 6] |= 1UL << (cp & 63); }
        foreach (int packed in UnicodeNormalizationData.CombiningClasses) Set(packed >> 8);
        foreach (int cp in UnicodeNormalizationData.DecompositionKeys) Set(cp);
        var triples = UnicodeNormalizationData.Compositions;
        for (int i = 1; i < triples.Length; i += 3) Set(triples[i]);
        for (int cp = VBase; cp < VBase + VCount; cp++) Set(cp);
        for (int cp = TBase + 1; cp < TBase + TCount; cp++) Set(cp);
        for (int cp = SBase; cp < SBase + SCount; cp++) Set(cp);
        return bits;
    }
}
