using LongCat.Cli;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>The CLI's help text and option checks, in-process.</summary>
[TestClass]
public sealed class CliHelpAndOptionsTests
{
    [TestMethod]
    [DataRow("chat")]
    [DataRow("generate")]
    [DataRow("serve")]
    [DataRow("tokenize")]
    [DataRow("inspect")]
    [DataRow("bench")]
    [DataRow("draft-vocab")]
    public void Help_EveryOptionStartsItsOwnLine(string command)
    {
        string help = Help.For(command) ?? throw new AssertFailedException($"no help for {command}");

        foreach (var line in help.Split('\n'))
            Assert.IsFalse(line.TrimStart().Length > 0 && line.IndexOf("  --", 2, StringComparison.Ordinal) > 0,
                $"two options on one line of `{command} --help`: '{line}'");
    }

    [TestMethod]
    public async Task Generate_UnknownDevice_IsAUsageErrorNamingTheValue()
    {
        var args = new CliArgs(["--model", Fixtures.Dir("tiny-a"), "--prompt-ids", "1,2", "--device", "tpu"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.GenerateAsync(args));

        StringAssert.Contains(e.Message, "'tpu'");
    }

    [TestMethod]
    public void Inspect_PrintsEachConfigFieldOnItsOwnLine_ListsAsValues()
    {
        var output = new StringWriter();

        Commands.Inspect(new CliArgs(["--model", Fixtures.Dir("tiny-a")], Help.Switches), output);

        string text = output.ToString();
        var config = LongCat.Sdk.Checkpoints.LongCatConfig.Load(Path.Combine(Fixtures.Dir("tiny-a"), "config.json"));
        StringAssert.Contains(text, $"  {"VocabSize",-28} {config.VocabSize}{Environment.NewLine}");
        StringAssert.Contains(text, $"  {"DisableQuantModule",-28} [");
        Assert.IsFalse(text.Contains("System.Collections", StringComparison.Ordinal), text);
        StringAssert.Contains(text, "model.embed_tokens.weight");
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("2")]
    public async Task Generate_DraftTokens_IsAcceptedAndRuns(string drafts)
    {
        var args = new CliArgs(["--model", Fixtures.Dir("tiny-a"), "--prompt-ids", "1,2,3", "--max-tokens", "4", "--temperature", "0", "--draft-tokens", drafts],
            Help.Switches);

        Assert.AreEqual(0, await Commands.GenerateAsync(args));
    }

    [TestMethod]
    public async Task Generate_DraftTokensOutOfRange_NamesTheOption()
    {
        var args = new CliArgs(["--model", Fixtures.Dir("tiny-a"), "--prompt-ids", "1,2", "--draft-tokens", "9"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<ArgumentOutOfRangeException>(() => Commands.GenerateAsync(args));

        Assert.AreEqual("DraftTokens", e.ParamName);
    }

    [TestMethod]
    public async Task Generate_TwoConstraintKinds_IsAUsageError()
    {
        var args = new CliArgs(["--model", TestModels.TinyWithTokenizer, "--prompt", "Hi", "--regex", "a+", "--choice", "yes"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.GenerateAsync(args));

        StringAssert.Contains(e.Message, "--json-schema, --regex and --choice");
    }

    [TestMethod]
    public async Task Generate_JsonSchemaFileMissing_IsAUsageErrorNamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-schema-{Guid.NewGuid():N}.json");
        var args = new CliArgs(["--model", TestModels.TinyWithTokenizer, "--prompt", "Hi", "--json-schema", missing], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.GenerateAsync(args));

        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public async Task Generate_JsonSchemaWithAnUnsupportedKeyword_NamesTheKeyword()
    {
        string file = Path.Combine(Path.GetTempPath(), $"schema-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"type":"object","properties":{"n":{"type":"integer","multipleOf":3}}}""");
        try
        {
            var args = new CliArgs(["--model", TestModels.TinyWithTokenizer, "--prompt", "Hi", "--json-schema", file], Help.Switches);

            var e = await Assert.ThrowsExactlyAsync<JsonSchemaException>(() => Commands.GenerateAsync(args));

            Assert.AreEqual("multipleOf", e.Keyword);
            StringAssert.Contains(e.Message, "#/properties/n");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
