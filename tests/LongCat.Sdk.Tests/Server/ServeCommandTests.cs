using System.Net;
using System.Text.Json;
using LongCat.Cli;

namespace LongCat.Sdk.Tests.Server;

/// <summary><c>longcat serve</c> in-process: it prints the bound address once it accepts requests, serves them, and stops with
/// its token; options it cannot honour are usage errors.</summary>
[TestClass]
public sealed class ServeCommandTests
{
    /// <summary>Collects the output and signals the first "listening on" line.</summary>
    private sealed class Output : StringWriter
    {
        public TaskCompletionSource<string> Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith("listening on ", StringComparison.Ordinal) == true) Listening.TrySetResult(value["listening on ".Length..]);
        }
    }

    [TestMethod]
    public async Task Serve_Port0_PrintsTheBoundAddress_ServesUntilStopped()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var output = new Output();
        using var stop = new CancellationTokenSource();
        var args = new CliArgs(["--model", model, "--port", "0", "--api-key", "k1", "--model-name", "demo", "--max-tokens-limit", "16"], Help.Switches);

        var serving = Commands.ServeAsync(args, output, stop.Token);
        var url = new Uri(await await Task.WhenAny(output.Listening.Task, serving.ContinueWith(t => t.IsFaulted ? throw t.Exception!.InnerException! : "")));
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "k1");
        using var models = await http.GetAsync("/v1/models");
        using var tooMany = await http.PostAsync("/v1/chat/completions", new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":17}"""));
        stop.Cancel();
        int exit = await serving;

        Assert.AreEqual("127.0.0.1", url.Host);
        Assert.AreNotEqual(0, url.Port);
        using var json = JsonDocument.Parse(await models.Content.ReadAsStringAsync());
        Assert.AreEqual("demo", json.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.AreEqual(HttpStatusCode.BadRequest, tooMany.StatusCode, "--max-tokens-limit 16 refuses max_tokens 17");
        Assert.AreEqual(0, exit);
        Assert.AreEqual(1, output.ToString().Split('\n').Count(l => l.StartsWith("listening on", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("0.0.0.0", "no API key")]
    [DataRow("::", "no API key")]
    [DataRow("example.com", "IP address")]
    public async Task Serve_HostItCannotServeSafely_IsAUsageError(string host, string expected)
    {
        var args = new CliArgs(["--model", Fixtures.Dir("tiny-a"), "--host", host, "--port", "0"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.ServeAsync(args, TextWriter.Null, CancellationToken.None));

        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public async Task Serve_BadLimit_IsAUsageErrorNamingIt()
    {
        var args = new CliArgs(["--model", Fixtures.Dir("tiny-a"), "--max-concurrent", "0"], Help.Switches);

        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Commands.ServeAsync(args, TextWriter.Null, CancellationToken.None));

        StringAssert.Contains(e.Message, "MaxConcurrentRequests");
    }
}
