using System.Text.Json;
using LongCat.Cli;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>`longcat perplexity` in-process (issue 16): its JSON object, its text report, its usage errors.</summary>
[TestClass]
public sealed class PerplexityCommandTests
{
    private static string Demo => TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    private static string HeldOut => Path.Combine(Demo, "heldout.txt");

    [TestMethod]
    public void Perplexity_Json_PrintsOneObjectWithTheKeys_ProgressOnStandardError()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var args = new CliArgs(["--model", Demo, "--device", "cpu", "--text", HeldOut, "--context", "128", "--max-tokens", "300", "--json"], Help.Switches);

        Assert.AreEqual(0, Commands.Perplexity(args, stdout, stderr));

        string output = stdout.ToString().Trim();
        Assert.AreEqual(1, output.Split('\n').Length, output);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.IsTrue(root.GetProperty("ppl").GetDouble() is > 1 and < 4096, output);
        Assert.AreEqual(299, root.GetProperty("tokens").GetInt32());
        Assert.AreEqual(128, root.GetProperty("context").GetInt32());
        Assert.AreEqual("none", root.GetProperty("quantization").GetString());
        foreach (var key in new[] { "ppl_base", "ppl_ratio", "mean_kld", "kld_p99", "kld_max", "top1_agreement", "rms_delta_p" })
            Assert.AreEqual(JsonValueKind.Null, root.GetProperty(key).ValueKind, $"{key} without --quantize");
        StringAssert.Contains(stderr.ToString(), "[window 4/4: 299 tokens, perplexity ");
    }

    [TestMethod]
    public void Perplexity_Text_ReportsThePerplexityAndTheWindows()
    {
        var stdout = new StringWriter();
        var args = new CliArgs(["--model", Demo, "--device", "cpu", "--text", HeldOut, "--context", "64", "--max-tokens", "100"], Help.Switches);

        Assert.AreEqual(0, Commands.Perplexity(args, stdout, TextWriter.Null));

        StringAssert.Matches(stdout.ToString(), new System.Text.RegularExpressions.Regex(@"^perplexity: \d+\.\d{4} over 99 tokens \(3 windows of 64\)"));
    }

    [TestMethod]
    public void Perplexity_QuantizeJson_ReportsTheComparisonWithTheUnquantizedModel()
    {
        var stdout = new StringWriter();
        var args = new CliArgs(["--model", Demo, "--device", "cpu", "--text", HeldOut, "--context", "128", "--max-tokens", "300", "--quantize", "q8", "--json"],
            Help.Switches);

        Assert.AreEqual(0, Commands.Perplexity(args, stdout, TextWriter.Null));

        var json = System.Text.Json.Nodes.JsonNode.Parse(stdout.ToString())!;
        Assert.AreEqual("q8", (string?)json["quantization"]);
        double ratio = (double)json["ppl_ratio"]!, kld = (double)json["mean_kld"]!, top1 = (double)json["top1_agreement"]!;
        Assert.IsTrue(ratio is > 0.9 and < 1.1 && kld is > 0 and < 0.05 && top1 is > 0.9 and <= 1, stdout.ToString());
    }

    [TestMethod]
    [DataRow("--context", "1", "--context")]
    [DataRow("--max-tokens", "1", "--max-tokens")]
    [DataRow("--text", "no-such-file.txt", "no-such-file.txt")]
    public void Perplexity_BadOption_IsAUsageErrorNamingIt(string option, string value, string named)
    {
        var args = new CliArgs(["--model", Demo, "--text", HeldOut, option, value], Help.Switches);

        var e = Assert.ThrowsExactly<UsageException>(() => Commands.Perplexity(args, TextWriter.Null, TextWriter.Null));

        StringAssert.Contains(e.Message, named);
    }

    [TestMethod]
    public void Perplexity_WithoutText_IsAUsageError()
    {
        var e = Assert.ThrowsExactly<UsageException>(() => Commands.Perplexity(new CliArgs(["--model", Demo], Help.Switches), TextWriter.Null, TextWriter.Null));

        StringAssert.Contains(e.Message, "--text");
    }
}
