namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// The tokenizer against Hugging Face's Rust tokenizers on real tokenizer.json files (Qwen3, DeepSeek-V3, gpt-oss) and
/// variants exercising every pre-tokenizer and added-token option, over the whole corpus: one row per tokenizer and line.
/// </summary>
[TestClass]
public sealed class TokenizerConformanceTests
{
    public static IEnumerable<object[]> Lines() =>
        TokenizerFixtures.Names.SelectMany(name =>
            Enumerable.Range(0, TokenizerFixtures.ExpectedOf(name).Cases.Count).Select(i => new object[] { name, i }));

    public static IEnumerable<object[]> Tokenizers() => TokenizerFixtures.Names.Select(n => new object[] { n });

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args)
    {
        if (args.Length == 1) return $"{m.Name}({args[0]})";
        string text = TokenizerFixtures.ExpectedOf((string)args[0]).Cases[(int)args[1]].Text;
        string shown = text.Length > 24 ? text[..24] + "…" : text;
        return $"{m.Name}({args[0]}, #{args[1]} {System.Text.Json.JsonSerializer.Serialize(shown)})";
    }

    [TestMethod]
    [DynamicData(nameof(Lines), DynamicDataDisplayName = nameof(CaseName))]
    public void Encode_CorpusLine_MatchesReferenceIds(string tokenizer, int line)
    {
        var expected = TokenizerFixtures.ExpectedOf(tokenizer).Cases[line];
        var t = TokenizerFixtures.Get(tokenizer);

        CollectionAssert.AreEqual(expected.Ids, t.Encode(expected.Text), "special tokens parsed");
        CollectionAssert.AreEqual(expected.IdsNoSpecial, t.Encode(expected.Text, parseSpecialTokens: false), "special tokens as text");
    }

    [TestMethod]
    [DynamicData(nameof(Lines), DynamicDataDisplayName = nameof(CaseName))]
    public void Decode_CorpusLine_MatchesReferenceAndRoundTrips(string tokenizer, int line)
    {
        var expected = TokenizerFixtures.ExpectedOf(tokenizer).Cases[line];
        var t = TokenizerFixtures.Get(tokenizer);

        Assert.AreEqual(expected.Decoded, t.Decode(expected.Ids));
        Assert.AreEqual(expected.DecodedSkipSpecial, t.Decode(expected.Ids, skipSpecialTokens: true));
        // Where the reference gives the text back (all but normalized, whitespace-stripping or space-prefixing cases), so must we.
        if (expected.Decoded == expected.Text) Assert.AreEqual(expected.Text, t.Decode(t.Encode(expected.Text)));
    }

    [TestMethod]
    [DynamicData(nameof(Tokenizers), DynamicDataDisplayName = nameof(CaseName))]
    public void Decode_RandomIdsCuttingUtf8Apart_MatchesReference(string tokenizer)
    {
        var expected = TokenizerFixtures.ExpectedOf(tokenizer);
        var t = TokenizerFixtures.Get(tokenizer);

        Assert.AreEqual(expected.VocabSize, t.VocabSize, "vocabulary size with added tokens");
        foreach (var c in expected.DecodeCases)
        {
            Assert.AreEqual(c.Decoded, t.Decode(c.Ids), $"ids [{string.Join(",", c.Ids)}]");
            Assert.AreEqual(c.DecodedSkipSpecial, t.Decode(c.Ids, skipSpecialTokens: true), $"ids [{string.Join(",", c.Ids)}] skipping special");
        }
    }

    [TestMethod]
    public void Corpus_RoundTripsOnEveryRealTokenizer_ForMostLines()
    {
        // Guards the round-trip check above against vacuity: the reference must give most of the corpus back unchanged.
        foreach (var name in new[] { "qwen3", "deepseek_v3", "gptoss" })
        {
            var cases = TokenizerFixtures.ExpectedOf(name).Cases;
            int same = cases.Count(c => c.Decoded == c.Text);
            Assert.IsTrue(same >= cases.Count - 1, $"{name}: only {same} of {cases.Count} lines round-trip in the reference");
        }
    }
}
