using System.Text;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Malformed or unsupported tokenizer.json files fail at load with a typed exception naming the file and the field.</summary>
[TestClass]
public sealed class TokenizerBadFileTests
{
    // A complete, valid byte-level BPE tokenizer over a tiny vocabulary; tests break one part of it.
    private const string Valid = """
        {
          "version": "1.0",
          "added_tokens": [ { "id": 5, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true } ],
          "normalizer": null,
          "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true },
          "post_processor": null,
          "decoder": { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true },
          "model": { "type": "BPE", "dropout": null, "unk_token": null, "byte_fallback": false,
                     "vocab": { "a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4 }, "merges": [ "a b", "Ġ ab" ] }
        }
        """;

    private static Tokenizer Load(string json) => Tokenizer.FromJson(Encoding.UTF8.GetBytes(json), "bad/tokenizer.json");

    private static void AssertInvalid(string json, params string[] mentions)
    {
        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => Load(json));
        StringAssert.StartsWith(e.Message, "tokenizer.json: ");
        foreach (var m in mentions) StringAssert.Contains(e.Message, m);
    }

    private static void AssertUnsupported(string json, string component)
    {
        var e = Assert.ThrowsExactly<UnsupportedTokenizerException>(() => Load(json));
        Assert.AreEqual(component, e.Component);
        StringAssert.Contains(e.Message, component);
    }

    [TestMethod]
    public void Valid_TinyTokenizer_EncodesWithItsMerges()
    {
        var t = Load(Valid);

        CollectionAssert.AreEqual(new[] { 2, 4, 5, 0 }, t.Encode("ab ab<s>a"));
        // Without an unknown token, bytes missing from the vocabulary are dropped, as the Rust crate does.
        CollectionAssert.AreEqual(new[] { 2, 4, 0 }, t.Encode("ab ab<s>a", parseSpecialTokens: false));
    }

    [TestMethod]
    public void InvalidJson_ThrowsInvalidCheckpoint() => AssertInvalid("{ \"model\": ", "not valid JSON");

    [TestMethod]
    public void MissingModel_ThrowsInvalidCheckpointNamingModel() => AssertInvalid(Valid.Replace("\"model\":", "\"modelx\":"), "'model'", "missing");

    [TestMethod]
    public void MergeNamingUnknownToken_ThrowsNamingMergeAndToken() =>
        AssertInvalid(Valid.Replace("\"a b\"", "\"a c\""), "model.merges[0]", "'c'");

    [TestMethod]
    public void MergeWhoseResultIsMissing_ThrowsNamingTheMergedToken() =>
        AssertInvalid(Valid.Replace("\"a b\"", "\"b a\""), "model.merges[0]", "'ba'");

    [TestMethod]
    public void MergeNotTwoTokens_ThrowsNamingTheMerge() => AssertInvalid(Valid.Replace("\"a b\"", "\"a b ab\""), "model.merges[0]");

    [TestMethod]
    public void VocabIdNotAnInteger_ThrowsNamingTheEntry() => AssertInvalid(Valid.Replace("\"b\": 1", "\"b\": \"one\""), "model.vocab[\"b\"]");

    [TestMethod]
    public void HugeTokenId_ThrowsInsteadOfAllocatingForIt() => AssertInvalid(Valid.Replace("\"b\": 1", "\"b\": 2000000000"), "model.vocab[\"b\"]");

    [TestMethod]
    public void AddedTokenWithInconsistentId_ThrowsNamingIt() =>
        AssertInvalid(Valid.Replace("\"id\": 5", "\"id\": 9"), "added_tokens[0].id", "'<s>'", "9", "5");

    [TestMethod]
    [DataRow("\"Ġab\": 4", "\"Ġ\\ud800\": 4", "model.vocab (entry 4)")]
    [DataRow("\"a b\"", "\"a \\udc00\"", "model.merges[0]")]
    [DataRow("\"a b\"", "[\"\\ud800\", \"b\"]", "model.merges[0]")]
    [DataRow("\"content\": \"<s>\"", "\"content\": \"<\\ud800s>\"", "added_tokens[0].content")]
    [DataRow("\"unk_token\": null", "\"unk_token\": \"\\ud800\"", "model.unk_token")]
    [DataRow("\"type\": \"BPE\"", "\"type\": \"\\ud800\"", "model.type")]
    public void LoneSurrogateEscape_ThrowsInvalidCheckpointNamingThePath(string original, string broken, string path)
    {
        // A \ud800-style escape without its pair is valid JSON syntax but no string: System.Text.Json throws InvalidOperationException
        // when it is read.
        Assert.IsTrue(Valid.Contains(original, StringComparison.Ordinal), original);

        AssertInvalid(Valid.Replace(original, broken, StringComparison.Ordinal), $"'{path}'", "surrogate");
    }

    [TestMethod]
    public void InvalidUtf8InAVocabularyKey_ThrowsInvalidCheckpointNamingThePath()
    {
        var bytes = Encoding.UTF8.GetBytes(Valid.Replace("\"ab\": 2", "\"a#\": 2", StringComparison.Ordinal));
        bytes[Array.IndexOf(bytes, (byte)'#')] = 0xC3;     // a UTF-8 lead byte followed by '"'

        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => Tokenizer.FromJson(bytes, "bad/tokenizer.json"));

        StringAssert.Contains(e.Message, "not valid UTF-8");
        StringAssert.Contains(e.Message, "model.vocab[\"a\uFFFD\"] (a key)");
    }

    [TestMethod]
    public void UnknownUnkToken_ThrowsNamingIt() => AssertInvalid(Valid.Replace("\"unk_token\": null", "\"unk_token\": \"<unk>\""), "model.unk_token");

    [TestMethod]
    public void UnknownModelType_ThrowsUnsupported() => AssertUnsupported(Valid.Replace("\"type\": \"BPE\"", "\"type\": \"Unigram\""), "model.type");

    [TestMethod]
    public void UnsupportedNormalizer_ThrowsUnsupportedNamingIt() =>
        AssertUnsupported(Valid.Replace("\"normalizer\": null", "\"normalizer\": { \"type\": \"Lowercase\" }"), "normalizer.type");

    [TestMethod]
    public void UnsupportedPreTokenizerInSequence_ThrowsUnsupportedWithItsPath() =>
        AssertUnsupported(Valid.Replace("\"pre_tokenizer\": {", "\"pre_tokenizer\": { \"type\": \"Sequence\", \"pretokenizers\": [ { \"type\": \"Whitespace\" } ] }, \"x\": {"),
            "pre_tokenizer.pretokenizers[0].type");

    [TestMethod]
    public void NoByteLevelPreTokenizer_ThrowsUnsupported() =>
        AssertUnsupported(Valid.Replace("\"type\": \"ByteLevel\", \"add_prefix_space\": false", "\"type\": \"Digits\", \"add_prefix_space\": false"), "pre_tokenizer");

    [TestMethod]
    public void ByteFallback_ThrowsUnsupported() => AssertUnsupported(Valid.Replace("\"byte_fallback\": false", "\"byte_fallback\": true"), "model.byte_fallback");

    [TestMethod]
    public void MetaspaceDecoder_ThrowsUnsupported() =>
        AssertUnsupported(Valid.Replace("\"decoder\": { \"type\": \"ByteLevel\"", "\"decoder\": { \"type\": \"Metaspace\""), "decoder.type");

    [TestMethod]
    public void SplitRegexDotNetCannotRun_ThrowsUnsupportedNamingPattern() =>
        AssertUnsupported(Valid.Replace("\"pre_tokenizer\": {",
            "\"pre_tokenizer\": { \"type\": \"Sequence\", \"pretokenizers\": [ { \"type\": \"Split\", \"pattern\": { \"Regex\": \"\\\\p{Greek}+\" }, \"behavior\": \"Isolated\", \"invert\": false }, { \"type\": \"ByteLevel\" } ] }, \"x\": {"),
            "pre_tokenizer.pretokenizers[0].pattern.Regex");

    [TestMethod]
    public void GzipBomb_ThrowsBeforeDecompressingPastTheCap()
    {
        // Arrange: 1 GiB of spaces as 1024 concatenated gzip members of 1 MiB each (about 1 MB on disk; GZipStream reads them all).
        string path = Path.Combine(Path.GetTempPath(), $"longcat-bomb-{Guid.NewGuid():N}.json");
        var member = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(member, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(Encoding.ASCII.GetBytes(new string(' ', 1 << 20)));
        using (var file = File.Create(path))
            for (int i = 0; i < 1024; i++) file.Write(member.GetBuffer(), 0, (int)member.Length);
        try
        {
            // Act
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => Tokenizer.FromFile(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // Assert: refused at the 64 MiB cap, having held no more than a few times that.
            Assert.AreEqual(path, e.File);
            StringAssert.Contains(e.Message, "decompresses to more than the 64 MiB");
            Assert.IsTrue(allocated < 256L << 20, $"allocated {allocated >> 20} MiB");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void CorruptGzipFile_ThrowsInvalidCheckpointNamingFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"longcat-bad-{Guid.NewGuid():N}.json.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        try
        {
            var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => Tokenizer.FromFile(path));
            Assert.AreEqual(path, e.File);
        }
        finally { File.Delete(path); }
    }
}
