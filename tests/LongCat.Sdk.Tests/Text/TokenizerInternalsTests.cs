using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The tokenizer's parts against simple references: both BPE merge algorithms, the pattern translation, the
/// stand-in characters for supplementary code points, and the normalizer against Unicode's own test vectors.</summary>
[TestClass]
public sealed class TokenizerInternalsTests
{
    [TestMethod]
    public void MergeByScanAndByHeap_RandomWordsOverRealMerges_Agree()
    {
        // Qwen3's real merge table through the model: random byte strings of awkward lengths, some past the scan limit.
        var t = TokenizerFixtures.Get("qwen3");
        var merges = MergesOf(t);
        var random = new Random(7);
        string alphabet = "ab  eeinnorsttth\n0123456789.,-éü你好";
        for (int trial = 0; trial < 300; trial++)
        {
            int length = trial < 280 ? 1 + random.Next(40) : BpeMerger.ScanLimit + random.Next(200);
            var text = new string([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var symbols = Encoding.UTF8.GetBytes(text).Select(b => t.TokenToId(ByteLevel.ByteToChar(b).ToString())!.Value).ToArray();
            var byScan = symbols.ToArray();
            var byHeap = symbols.ToArray();

            int n1 = BpeMerger.MergeByScan(byScan, merges);
            int n2 = BpeMerger.MergeByHeap(byHeap, merges);

            CollectionAssert.AreEqual(byHeap[..n2], byScan[..n1], JsonText(text));
            Assert.AreEqual(text, t.Decode(byScan[..n1]));
        }
    }

    [TestMethod]
    public void MergeByScan_TiesGoToTheLeftmostPair()
    {
        // "aaa" with the single merge (a, a): the leftmost pair merges first, leaving (aa, a).
        var merges = new Dictionary<MergePair, long> { [BpeMerger.PairKey(1, 1)] = BpeMerger.MergeValue(0, 2) };
        int[] scan = [1, 1, 1], heap = [1, 1, 1];

        Assert.AreEqual(2, BpeMerger.MergeByScan(scan, merges));
        Assert.AreEqual(2, BpeMerger.MergeByHeap(heap, merges));
        CollectionAssert.AreEqual(new[] { 2, 1 }, scan[..2]);
        CollectionAssert.AreEqual(new[] { 2, 1 }, heap[..2]);
    }

    [TestMethod]
    [DataRow(@"a++b", @"(?>a+)b")]
    [DataRow(@"\p{L}*+x", @"(?>\p{L}*)x")]
    [DataRow(@"[^\s\p{L}]?+\d{1,3}+", @"(?>[^\s\p{L}]?)(?>\d{1,3})")]
    [DataRow(@"(?:ab|c)++", @"(?>(?:ab|c)+)")]
    [DataRow(@"(?i:'s|'t)|a+?b*", @"(?i:'s|'t)|a+?b*")]
    [DataRow(@"[+*]+\+++", @"[+*]+(?>\++)")]
    public void OnigurumaPattern_PossessiveQuantifiers_BecomeAtomicGroups(string onig, string dotnet) =>
        Assert.AreEqual(dotnet, OnigurumaPattern.ToDotNet(onig));

    [TestMethod]
    public void OnigurumaPattern_PossessiveQuantifier_NeverGivesBack()
    {
        // Possessive "a++a" cannot match "aaa" (the + keeps every a); the greedy "a+a" can.
        Assert.IsFalse(new Regex(OnigurumaPattern.ToDotNet("a++a")).IsMatch("aaa"));
        Assert.IsTrue(new Regex(OnigurumaPattern.ToDotNet("a+a")).IsMatch("aaa"));
    }

    [TestMethod]
    public void StandIns_HaveTheCategoryTheyStandFor()
    {
        foreach (var category in Enum.GetValues<UnicodeCategory>())
        {
            if (category is UnicodeCategory.Surrogate or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Control) continue;   // no supplementary code point has these
            char c = UnicodeRegex.StandIn(category);
            Assert.AreEqual(category, CharUnicodeInfo.GetUnicodeCategory(c), $"U+{(int)c:X4}");
            Assert.IsFalse(char.IsWhiteSpace(c));
        }
    }

    [TestMethod]
    public void UnicodeRegex_SupplementaryLetters_MatchLetterClasses()
    {
        var regex = new UnicodeRegex(@"\p{L}+|[\p{P}\p{S}]+");
        var matches = new List<(int Start, int End)>();

        regex.Matches("a𝐀b 😀😀!", matches);                  // 𝐀 is a letter, 😀 a symbol: both two UTF-16 units

        CollectionAssert.AreEqual(new[] { (0, 4), (5, 10) }, matches);
    }

    [TestMethod]
    public void Normalizer_UnicodeTestVectors_AllPass()
    {
        static string Decode(string hex) => string.Concat(hex.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(h => char.ConvertFromUtf32(int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
        var failures = new List<string>();
        int lines = 0;
        foreach (var line in File.ReadLines(Path.Combine(Fixtures.Root, "unicode", "normalization-tests.txt")))
        {
            if (line.StartsWith('#')) continue;
            var f = line.Split(';');
            string source = Decode(f[0]), nfc = Decode(f[1]), nfd = Decode(f[2]);
            lines++;
            if (UnicodeNormalizer.Normalize(source, compose: true) != nfc) failures.Add($"NFC({f[0]})");
            if (UnicodeNormalizer.Normalize(source, compose: false) != nfd) failures.Add($"NFD({f[0]})");
            if (UnicodeNormalizer.Normalize(nfd, compose: true) != nfc) failures.Add($"NFC(NFD({f[0]}))");
        }
        Assert.IsTrue(lines > 4000, $"{lines} test lines");
        Assert.AreEqual(0, failures.Count, string.Join("; ", failures.Take(10)));
    }

    [TestMethod]
    public void Normalizer_AlreadyNormalizedText_IsReturnedWithoutCopy()
    {
        string text = "plain ASCII, Latin-1 café, 中文 and 한국어";
        Assert.AreSame(text, UnicodeNormalizer.Normalize(text, compose: true));
    }

    private static Dictionary<MergePair, long> MergesOf(Tokenizer t) =>
        (Dictionary<MergePair, long>)typeof(BpeModel).GetField("_merges", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(typeof(Tokenizer).GetField("_model", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(t))!;

    private static string JsonText(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
