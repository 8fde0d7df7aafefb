using System.Text;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// The JSON files of a model folder must be UTF-8: a byte that is not is a typed error naming the file and the JSON path of the
/// value or key that holds it, never the InvalidOperationException System.Text.Json throws when such a string is read.
/// </summary>
[TestClass]
public sealed class JsonFileTests
{
    [TestMethod]
    [DataRow("config.json", "\"silu\"", "hidden_act")]
    [DataRow("generation_config.json", "\"pad_token_id\"", "[\"\uFFFDad_token_id\"] (a key)")]
    [DataRow("model.safetensors.index.json", "\"model-00001-of-00002.safetensors\"", "weight_map[\"model.embed_tokens.weight\"]")]
    [DataRow("mtp_draft_vocab.json", "\"tokens\"", "[\"\uFFFDokens\"] (a key)")]
    [DataRow("tokenizer.json", "\"ab\"", "model.vocab[\"\uFFFDb\"] (a key)")]
    [DataRow("tokenizer.json", "\"\\u003Clongcat_s\\u003E\"", "added_tokens[1].content")]
    public void Load_InvalidUtf8InAString_ThrowsNamingFileAndPath(string file, string text, string path)
    {
        // Arrange: the first occurrence of the quoted text gets a 0xFF byte after its opening quote (a key is then named with
        // U+FFFD in its place).
        using var dir = TempDir.CopyOfCompleteFolder();
        var bytes = File.ReadAllBytes(dir.File(file));
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text));
        Assert.IsTrue(at >= 0, $"{file} holds {text}");
        bytes[at + 1] = 0xFF;
        File.WriteAllBytes(dir.File(file), bytes);

        // Act
        var ex = GuardedLoad.Engine(dir.Path, $"{file} with 0xFF in {text}");

        // Assert
        Assert.IsNotNull(ex, "the engine loaded");
        StringAssert.Contains(ex.Message, file);
        StringAssert.Contains(ex.Message, "not valid UTF-8");
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    [DataRow("""{"a": [1, {"b": "x"}], "c d": 2}""", "\"x\"", "a[1].b")]
    [DataRow("""{"a": [1, {"b": "x"}], "c d": 2}""", "\"c d\"", "[\"c d\"] (a key)")]
    [DataRow("""[[0], [1, "x"]]""", "\"x\"", "[1][1]")]
    [DataRow("""{"a": 1}""", "1", "a")]
    public void PathAt_NamesTheTokenHoldingTheByte(string json, string token, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        int at = bytes.AsSpan().LastIndexOf(Encoding.UTF8.GetBytes(token)) + token.Length / 2;

        Assert.AreEqual(expected, JsonFile.PathAt(bytes, at));
    }
}
