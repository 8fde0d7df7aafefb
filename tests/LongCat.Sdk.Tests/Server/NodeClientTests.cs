using System.Text.RegularExpressions;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// <c>longcat serve</c> driven by the official OpenAI library for Node (npm <c>openai</c>, the version locked in
/// tests/node-client/package-lock.json): each row starts the server as a process of its own and runs one script of
/// tests/node-client with <c>node --test</c>; the scripts assert, this test reports their output. CI installs the package with
/// <c>npm ci</c> and sets LONGCAT_REQUIRE_NODE=1, so there a missing node or package fails; elsewhere the test installs the
/// locked package itself, and is inconclusive only where node is not installed.
/// </summary>
[TestClass]
public sealed partial class NodeClientTests
{
    private const string Key = "node-client-key-0123";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("chat.test.mjs")]
    [DataRow("tools.test.mjs")]
    [DataRow("errors.test.mjs")]
    [DataRow("disconnect.test.mjs")]
    public Task OpenAINode_AgainstTheDemoModel_ScriptPasses(string script) =>
        RunScriptAsync(TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout."), script);

    [TestMethod]
    public Task OpenAINode_ReasoningAgainstTheThinkingModel_ScriptPasses() =>
        RunScriptAsync(TestModels.RequireThinkingDemo(), "reasoning.test.mjs");

    private async Task RunScriptAsync(string model, string script)
    {
        var (node, directory) = NodeClient();
        await using var server = await ServeProcess.StartAsync(model, Key);
        var environment = new Dictionary<string, string>
        {
            ["LONGCAT_BASE_URL"] = new Uri(server.BaseAddress, "/v1").ToString(),
            ["LONGCAT_API_KEY"] = Key,
            ["LONGCAT_MODEL"] = server.ModelId,
            ["NO_COLOR"] = "1",
        };

        var (exit, output) = await Task.Run(() => ChildProcess.Run(node, ["--test", "--test-reporter=spec", script], directory, environment));

        TestContext.WriteLine(output);
        Assert.AreEqual(0, exit, $"node --test {script} failed:\n{output}\n--- longcat serve ---\n{server.Log}");
        var passed = PassCount().Match(output);
        Assert.IsTrue(passed.Success && int.Parse(passed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            $"node --test {script} ran no test:\n{output}");
    }

    /// <summary>node, and tests/node-client with its packages installed (npm ci here, outside CI).</summary>
    private static (string Node, string Directory) NodeClient()
    {
        bool required = Environment.GetEnvironmentVariable("LONGCAT_REQUIRE_NODE") == "1";
        string directory = Path.Combine(Fixtures.RepoRoot() ?? throw new AssertInconclusiveException("the test output is not inside a checkout"),
            "tests", "node-client");
        string? node = ChildProcess.FindOnPath("node");
        if (node is null)
        {
            if (required) Assert.Fail("LONGCAT_REQUIRE_NODE=1 and node is not on PATH.");
            throw new AssertInconclusiveException("node is not on PATH: the Node client tests need Node.js 20 or newer.");
        }
        if (File.Exists(Path.Combine(directory, "node_modules", "openai", "package.json"))) return (node, directory);
        if (required) Assert.Fail("tests/node-client/node_modules is missing: .ci/run installs it with npm ci before the tests (see its output).");
        string npm = ChildProcess.FindOnPath("npm") ?? throw new AssertFailedException("node is on PATH but npm is not: run npm ci in tests/node-client.");
        var (exit, output) = ChildProcess.Run(npm, ["ci", "--no-audit", "--no-fund"], directory);
        Assert.AreEqual(0, exit, $"npm ci in tests/node-client failed (is the npm registry reachable?):\n{output}");
        return (node, directory);
    }

    // The spec reporter's summary line: "ℹ pass 6".
    [GeneratedRegex(@"^\S* ?pass (\d+)$", RegexOptions.Multiline)]
    private static partial Regex PassCount();
}
