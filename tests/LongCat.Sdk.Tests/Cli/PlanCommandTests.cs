using System.Text.Json;
using LongCat.Cli;
using LongCat.Sdk.Tests.Planning;

namespace LongCat.Sdk.Tests.Cli;

/// <summary>`longcat plan`: the JSON issue 18 asks for, the text verdict, and its refusals.</summary>
[TestClass]
public sealed class PlanCommandTests
{
    private static CliArgs Args(params string[] args) => new(args, Help.Switches);

    private static string WriteConfig(string json)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("plan").FullName, "config.json");
        File.WriteAllText(file, json);
        return file;
    }

    [TestMethod]
    [DataRow("q4-experts", true)]
    [DataRow("none", false)]
    public void Plan_FlashLiteAt32GB_PrintsTheVerdictAsJson(string preset, bool fits)
    {
        string config = WriteConfig(MemoryPlanTests.FlashLiteConfig);
        var output = new StringWriter();

        int code = PlanCommand.Run(Args("--config", config, "--quantize", preset, "--memory", "32GB", "--json"), output);

        Assert.AreEqual(0, code);
        using var doc = JsonDocument.Parse(output.ToString());
        var root = doc.RootElement;
        Assert.AreEqual(fits, root.GetProperty("fits").GetBoolean());
        long resident = root.GetProperty("resident_bytes").GetInt64();
        Assert.IsTrue(root.GetProperty("mapped_bytes").GetInt64() > 60e9, "the N-gram tables and the embedding are mapped");
        Assert.IsTrue(root.GetProperty("bytes_per_token").GetInt64() > 0);
        if (fits)
        {
            Assert.IsTrue(resident <= 26e9, $"resident {resident}");
            Assert.IsTrue(root.GetProperty("kv_tokens").GetInt64() >= 32 * 1024);
        }
        else Assert.IsTrue(resident > 32L << 30, $"resident {resident}");
        Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
    }

    [TestMethod]
    public void Plan_Text_SaysWhatDoesNotFitAndWhatToTry()
    {
        string config = WriteConfig(MemoryPlanTests.FlashLiteConfig);
        var output = new StringWriter();

        PlanCommand.Run(Args("--config", config, "--memory", "32GB", "--bandwidth", "50GB/s"), output);

        StringAssert.Contains(output.ToString(), "does not fit 32.00 GiB");
        StringAssert.Contains(output.ToString(), "experts");
        StringAssert.Contains(output.ToString(), "try --quantize q4-experts");
        StringAssert.Contains(output.ToString(), "decode at 50 GB/s");
        Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
    }

    [TestMethod]
    [DataRow("--memory", "32XB", "unknown unit 'XB'")]
    [DataRow("--memory", "-4GB", "is not a positive size")]
    [DataRow("--bandwidth", "fast", "is not a positive rate")]
    [DataRow("--device", "cuda", "only cpu plans")]
    public void Plan_BadOption_IsAUsageErrorNamingIt(string option, string value, string expected)
    {
        string config = WriteConfig(MemoryPlanTests.FlashLiteConfig);
        var e = Assert.ThrowsExactly<UsageException>(() => PlanCommand.Run(Args("--config", config, option, value), new StringWriter()));
        StringAssert.Contains(e.Message, expected);
        Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
    }

    [TestMethod]
    public void Plan_NeitherOrBothSources_IsAUsageError()
    {
        Assert.ThrowsExactly<UsageException>(() => PlanCommand.Run(Args(), new StringWriter()));
        Assert.ThrowsExactly<UsageException>(() => PlanCommand.Run(Args("--config", "a.json", "--model", "dir"), new StringWriter()));
    }

    [TestMethod]
    [DataRow("32GB", 32L << 30)]
    [DataRow("32GiB", 32L << 30)]
    [DataRow("512M", 512L << 20)]
    [DataRow("1.5T", 3L << 39)]
    [DataRow("1000", 1000L)]
    public void ParseSize_Units_AreBinary(string text, long expected) =>
        Assert.AreEqual(expected, PlanCommand.ParseSize(text, "--memory"));
}
