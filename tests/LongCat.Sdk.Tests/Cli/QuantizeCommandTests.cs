using LongCat.Cli;
using LongCat.Sdk.Tests.Checkpoints;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>`longcat quantize`: the folder it writes, its progress, and its refusals.</summary>
[TestClass]
public sealed class QuantizeCommandTests
{
    private static CliArgs Args(params string[] args) => new(args, Help.Switches);

    [TestMethod]
    public void Quantize_DemoModel_WritesAFolderThatLoadsAndReportsProgress()
    {
        // Arrange
        using var temp = new TempDir();
        string outDir = Path.Combine(temp.Path, "q8");
        var output = new StringWriter();
        var progress = new StringWriter();

        // Act
        int code = QuantizeCommand.Run(Args("--model", TestModels.DemoModel()!, "--out", outDir, "--preset", "q8"), output, progress);

        // Assert: the weights shrink to about 8.5/16 of BF16's, the tokenizer and generation files are copied, progress reached 100%.
        Assert.AreEqual(0, code);
        StringAssert.StartsWith(output.ToString(), $"wrote {outDir}: q8, ");
        StringAssert.Contains(progress.ToString(), "100%");
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "mtp_draft_vocab.json",
                     "model.safetensors.index.json" })
            Assert.IsTrue(File.Exists(Path.Combine(outDir, f)), f);
        long before = new FileInfo(Path.Combine(TestModels.DemoModel()!, "model.safetensors")).Length;
        long after = Directory.GetFiles(outDir, "*.safetensors").Sum(f => new FileInfo(f).Length);
        Assert.IsTrue(after < 0.7 * before, $"{after} bytes vs {before}");
    }

    [TestMethod]
    [DataRow("q5", "--preset 'q5' is not a preset: use q8, q4-experts or q4")]
    [DataRow(null, "--preset is required (q8, q4-experts or q4)")]
    [DataRow("none", "--preset none writes nothing")]
    public void Quantize_BadPreset_IsAUsageErrorNamingTheValues(string? preset, string expected)
    {
        using var temp = new TempDir();
        string[] args = preset is null ? ["--model", TestModels.DemoModel()!, "--out", temp.File("x")] : ["--model", TestModels.DemoModel()!, "--out", temp.File("x"), "--preset", preset];

        var ex = Assert.ThrowsExactly<UsageException>(() => QuantizeCommand.Run(Args(args), TextWriter.Null, TextWriter.Null));

        StringAssert.StartsWith(ex.Message, expected);
        Assert.IsFalse(Directory.Exists(temp.File("x")), "nothing is written");
    }

    [TestMethod]
    public void Quantize_IntoAFolderThatIsNotEmpty_ThrowsBeforeWriting()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp.File("keep.txt"), "mine");

        var ex = Assert.ThrowsExactly<IOException>(() =>
            QuantizeCommand.Run(Args("--model", TestModels.DemoModel()!, "--out", temp.Path, "--preset", "q4"), TextWriter.Null, TextWriter.Null));

        StringAssert.Contains(ex.Message, "is not empty");
        CollectionAssert.AreEqual(new[] { temp.File("keep.txt") }, Directory.GetFiles(temp.Path));
    }
}
