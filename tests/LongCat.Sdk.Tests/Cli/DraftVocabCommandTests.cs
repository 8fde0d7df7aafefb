using LongCat.Cli;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>`longcat draft-vocab`: ranks the tokens of sample text into a draft vocabulary file the engine loads.</summary>
[TestClass]
public sealed class DraftVocabCommandTests
{
    private static readonly string[] Lines = ["the cat sat on the mat", "the dog sat", "a cat, a dog, the end"];

    [TestMethod]
    [DataRow(null)]
    [DataRow(3)]
    public void DraftVocab_RanksTokensByCountThenId_AndTheEngineReadsTheFile(int? size)
    {
        using var dir = new TempDir();
        string text = dir.File("sample.txt"), output = dir.File(DraftVocabulary.FileName);
        File.WriteAllLines(text, Lines);
        string model = TestModels.TinyWithTokenizer;
        string[] args = ["--model", model, "--text", text, "--out", output, .. size is null ? Array.Empty<string>() : ["--size", $"{size}"]];
        var stdout = new StringWriter();

        Assert.AreEqual(0, Commands.DraftVocab(new CliArgs(args, Help.Switches), stdout));

        // Expected: the counts of each line encoded with its newline, most frequent first, ties by lower id.
        var tokenizer = Tokenizer.FromFile(Path.Combine(model, "tokenizer.json"));
        var counts = Lines.SelectMany(l => tokenizer.Encode(l + "\n")).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var expected = counts.Keys.OrderByDescending(id => counts[id]).ThenBy(id => id).ToArray();
        var (ranked, fileSize) = DraftVocabulary.Read(output, 512);
        CollectionAssert.AreEqual(expected, ranked);
        Assert.AreEqual(size ?? Math.Min(512 / 4, expected.Length), fileSize);
        StringAssert.Contains(stdout.ToString(), $"{counts.Values.Sum()} tokens counted, {expected.Length} distinct");
    }

    [TestMethod]
    public void DraftVocab_WithoutText_IsAUsageError()
    {
        var e = Assert.ThrowsExactly<UsageException>(() => Commands.DraftVocab(new CliArgs(["--model", TestModels.TinyWithTokenizer], Help.Switches), TextWriter.Null));

        StringAssert.Contains(e.Message, "--text");
    }

    [TestMethod]
    public void DraftVocab_MissingTextFile_NamesIt()
    {
        var args = new CliArgs(["--model", TestModels.TinyWithTokenizer, "--text", "no-such-file.txt"], Help.Switches);

        var e = Assert.ThrowsExactly<UsageException>(() => Commands.DraftVocab(args, TextWriter.Null));

        StringAssert.Contains(e.Message, "no-such-file.txt");
    }
}
