using System.Text.Json;
using LongCat.Cli;
using LongCat.Sdk.Tests.Text;

namespace LongCat.Sdk.Tests.Cli;

/// <summary><c>longcat tokenize</c> run in-process on a real tokenizer, against the conformance fixtures' expected ids.</summary>
[TestClass]
public sealed class TokenizeCommandTests
{
    private static string TokenizerPath => Path.Combine(TokenizerFixtures.Root, "qwen3", "tokenizer.json.gz");

    private static (int Code, string Output) Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        int code = Commands.Tokenize(new CliArgs(["--tokenizer", TokenizerPath, .. args], Help.Switches), new StringReader(stdin), output);
        return (code, output.ToString());
    }

    private static TokenizerFixtures.Case Line(string startsWith) =>
        TokenizerFixtures.ExpectedOf("qwen3").Cases.First(c => c.Text.StartsWith(startsWith, StringComparison.Ordinal));

    [TestMethod]
    public void Tokenize_TextOnStdin_PrintsTheReferenceIds()
    {
        var c = Line("<|im_start|>user");

        var (code, output) = Run(c.Text);

        Assert.AreEqual(0, code);
        CollectionAssert.AreEqual(c.Ids, JsonSerializer.Deserialize<int[]>(output));
    }

    [TestMethod]
    public void Tokenize_NoSpecial_EncodesSpecialTokensAsText()
    {
        var c = Line("<|im_start|>user");

        var (_, output) = Run(c.Text, "--no-special");

        CollectionAssert.AreEqual(c.IdsNoSpecial, JsonSerializer.Deserialize<int[]>(output));
    }

    [TestMethod]
    public void Tokenize_Lines_PrintsOneIdArrayPerString()
    {
        var a = Line("你好");
        var b = Line("Emoji");

        var (_, output) = Run(JsonSerializer.Serialize(new[] { a.Text, b.Text }), "--lines");

        var lists = JsonSerializer.Deserialize<int[][]>(output)!;
        Assert.AreEqual(2, lists.Length);
        CollectionAssert.AreEqual(a.Ids, lists[0]);
        CollectionAssert.AreEqual(b.Ids, lists[1]);
    }

    [TestMethod]
    public void Tokenize_Decode_PrintsTheTextExactly()
    {
        var c = Line("line one");

        var (_, output) = Run(JsonSerializer.Serialize(c.Ids), "--decode");

        Assert.AreEqual(c.Text, output);
    }

    [TestMethod]
    public void Tokenize_DecodeLines_PrintsReadableJsonStrings()
    {
        var c = Line("你好");

        var (_, output) = Run(JsonSerializer.Serialize(new[] { c.Ids }), "--decode", "--lines");

        CollectionAssert.AreEqual(new[] { c.Text }, JsonSerializer.Deserialize<string[]>(output));
        StringAssert.Contains(output, "你好", "non-ASCII is printed as is, not as \\u escapes");
    }

    [TestMethod]
    public void Tokenize_DecodeOfMalformedJson_IsAUsageError()
    {
        var e = Assert.ThrowsExactly<UsageException>(() => Run("[1, 2", "--decode"));
        StringAssert.Contains(e.Message, "JSON array of ids");
    }

    [TestMethod]
    public void Tokenize_InputFile_IsReadInsteadOfStdin()
    {
        var c = Line("def fib");
        string file = Path.Combine(Path.GetTempPath(), $"longcat-tokenize-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, c.Text);
        try
        {
            var (_, output) = Run("ignored", "--input", file);
            CollectionAssert.AreEqual(c.Ids, JsonSerializer.Deserialize<int[]>(output));
        }
        finally { File.Delete(file); }
    }
}
