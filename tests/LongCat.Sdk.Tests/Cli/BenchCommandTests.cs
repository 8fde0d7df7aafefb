using LongCat.Cli;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>`longcat bench` on the demo model: its report, and its warning when the timed output runs past the end-of-sequence token.</summary>
[TestClass]
public sealed class BenchCommandTests
{
    private static Task<string[]> BenchAsync(params string[] extra) => BenchAsync(1, extra);

    private static async Task<string[]> BenchAsync(int rounds, params string[] extra)
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var output = new StringWriter();
        var args = new CliArgs(["--model", model, "--device", "cpu", "--tokens", "24", "--rounds", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--draft-tokens", "1", .. extra], Help.Switches);

        Assert.AreEqual(0, await Commands.BenchAsync(args, output));
        return output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }

    [TestMethod]
    public async Task Bench_ChatAnswerEndsEarly_WarnsThatTheFiguresIncludeTokensAfterTheEnd()
    {
        // The demo model answers this in a few tokens and ends its turn; the bench times 24 tokens all the same.
        var lines = await BenchAsync("--prompt", "Continue: And God said, Let there be light", "--chat");

        Assert.IsTrue(lines.Any(l => l.StartsWith("warning: the greedy output reaches an end-of-sequence token", StringComparison.Ordinal)),
            string.Join('\n', lines));
        StringAssert.StartsWith(lines[^1], "speedup: ");
    }

    [TestMethod]
    public async Task Bench_PlainTextPrompt_IsContinuedAsIs_NoWarning()
    {
        // Without --chat the prompt is continued as text: the demo model writes verses, no end-of-sequence token.
        var lines = await BenchAsync("--prompt", "And God said, Let there be light");

        Assert.IsFalse(lines.Any(l => l.StartsWith("warning:", StringComparison.Ordinal)), string.Join('\n', lines));
        StringAssert.StartsWith(lines[0], "prefill: 8 tokens");
        Assert.IsTrue(lines.Any(l => l.StartsWith("decode with MTP (1 draft token(s) per step): 24 tokens", StringComparison.Ordinal)), string.Join('\n', lines));
        var cost = System.Text.RegularExpressions.Regex.Match(lines[^2], @"^step cost: plain forward (\d+) µs \+ rest (\d+) µs = \d+ µs; with MTP, verify forward \(2 rows\) (\d+) µs .* head (\d+) µs .* rest (\d+) µs .*predicted speedup (\d+\.\d\d)$");
        Assert.IsTrue(cost.Success, lines[^2]);
        Assert.IsTrue(new[] { 1, 3, 4 }.All(g => int.Parse(cost.Groups[g].Value) > 0), lines[^2]);
        StringAssert.StartsWith(lines[^1], "speedup: ");
    }

    [TestMethod]
    public async Task Bench_Temperature_BothModesSample_DraftsAreStillAccepted()
    {
        var lines = await BenchAsync("--prompt", "And God said, Let there be light", "--temperature", "0.7");

        Assert.IsTrue(lines.Any(l => l.StartsWith("decode without MTP: 24 tokens", StringComparison.Ordinal) && l.EndsWith("sampled at temperature 0.7", StringComparison.Ordinal)),
            string.Join('\n', lines));
        var accepted = System.Text.RegularExpressions.Regex.Match(string.Join('\n', lines), @"acceptance [\d.]+ % \((\d+)/(\d+)\)");
        Assert.IsTrue(accepted.Success && int.Parse(accepted.Groups[1].Value) > 0, string.Join('\n', lines));
        StringAssert.StartsWith(lines[^1], "speedup: ");
    }

    [TestMethod]
    public async Task Bench_RoundsSwapTheOrderOfTheModes_EachRoundStillWritesTheSameTokensInBoth()
    {
        // Round 1 runs MTP before the plain run: its seed and the comparison must still pair the two halves of the same round.
        var lines = await BenchAsync(3, "--prompt", "And God said, Let there be light", "--temperature", "0.7");

        CollectionAssert.Contains(lines, "output: the same tokens with and without MTP in all 3 rounds", string.Join('\n', lines));
        Assert.IsTrue(lines.Any(l => l.StartsWith("decode with MTP (1 draft token(s) per step): 24 tokens", StringComparison.Ordinal) && l.Contains("(median of 3)", StringComparison.Ordinal)),
            string.Join('\n', lines));
    }

    [TestMethod]
    public async Task Bench_Json_PrintsOneObjectWithTheFigures_TheReportOnDiagnostics()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var output = new StringWriter();
        var report = new StringWriter();
        var args = new CliArgs(["--model", model, "--device", "cpu", "--prompt-tokens", "16", "--tokens", "8", "--rounds", "1", "--draft-tokens", "1", "--json"],
            Help.Switches);

        Assert.AreEqual(0, await Commands.BenchAsync(args, output, report));

        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        var root = json.RootElement;
        Assert.IsTrue(root.GetProperty("prefill_tokens_per_s").GetDouble() > 0, output.ToString());
        Assert.IsTrue(root.GetProperty("decode_tokens_per_s").GetDouble() > 0, output.ToString());
        Assert.IsTrue(root.GetProperty("mtp_decode_tokens_per_s").GetDouble() > 0, output.ToString());
        Assert.IsTrue(root.GetProperty("speedup").GetDouble() > 0, output.ToString());
        using var engine = LongCat.Sdk.Model.LongCatModel.Load(model, new() { KvCacheBlocks = 4, LoadMtp = false });
        Assert.AreEqual(engine.WeightBytesPerToken(), root.GetProperty("weight_bytes_per_token").GetInt64());
        Assert.AreEqual(16, root.GetProperty("prompt_tokens").GetInt32());
        Assert.AreEqual("none", root.GetProperty("quantization").GetString());
        StringAssert.StartsWith(report.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1], "speedup: ");
    }

    [TestMethod]
    public async Task Bench_Streams_ReportsTheAggregateDecodeOfConcurrentRequests()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var output = new StringWriter();
        var report = new StringWriter();
        var args = new CliArgs(["--model", model, "--device", "cpu", "--prompt-tokens", "8", "--tokens", "16", "--rounds", "1", "--draft-tokens", "0",
            "--streams", "3", "--json"], Help.Switches);

        Assert.AreEqual(0, await Commands.BenchAsync(args, output, report));

        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        Assert.AreEqual(3, json.RootElement.GetProperty("streams").GetInt32());
        double aggregate = json.RootElement.GetProperty("aggregate_decode_tokens_per_s").GetDouble();
        Assert.IsTrue(aggregate > 0 && double.IsFinite(aggregate), output.ToString());
        double scaling = json.RootElement.GetProperty("aggregate_over_one_stream").GetDouble();
        Assert.IsTrue(scaling > 0 && double.IsFinite(scaling), output.ToString());
        var line = report.ToString().Split(Environment.NewLine).Single(l => l.StartsWith("aggregate decode, 3 concurrent requests: ", StringComparison.Ordinal));
        StringAssert.Contains(line, $"{scaling:F2}× one stream's");
    }

    [TestMethod]
    public async Task Bench_OneStream_AggregateIsThePlainDecodeFigure()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var output = new StringWriter();
        var args = new CliArgs(["--model", model, "--device", "cpu", "--prompt-tokens", "8", "--tokens", "8", "--rounds", "1", "--draft-tokens", "0", "--json"],
            Help.Switches);

        Assert.AreEqual(0, await Commands.BenchAsync(args, output, new StringWriter()));

        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        Assert.AreEqual(1, json.RootElement.GetProperty("streams").GetInt32());
        Assert.AreEqual(json.RootElement.GetProperty("decode_tokens_per_s").GetDouble(), json.RootElement.GetProperty("aggregate_decode_tokens_per_s").GetDouble());
        Assert.AreEqual(1.0, json.RootElement.GetProperty("aggregate_over_one_stream").GetDouble());
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("257")]
    public async Task Bench_BadStreams_IsAUsageError(string value)
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var args = new CliArgs(["--model", model, "--device", "cpu", "--streams", value], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.BenchAsync(args, TextWriter.Null));

        StringAssert.Contains(e.Message, "--streams");
    }

    [TestMethod]
    [DataRow("-1")]
    [DataRow("NaN")]
    public async Task Bench_BadTemperature_IsAUsageError(string value)
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var args = new CliArgs(["--model", model, "--device", "cpu", "--temperature", value], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.BenchAsync(args, TextWriter.Null));

        StringAssert.Contains(e.Message, "--temperature");
    }

    [TestMethod]
    public async Task Bench_ChatWithoutPrompt_IsAUsageError()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var args = new CliArgs(["--model", model, "--device", "cpu", "--chat"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.BenchAsync(args, TextWriter.Null));

        StringAssert.Contains(e.Message, "--chat");
    }
}
