using LongCat.Cli;
using LongCat.Sdk.Tests.Server;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Cli;

/// <summary><c>longcat chat --endpoint URL</c> against <c>longcat serve</c>'s endpoint (in-process, over the demo model, with a
/// key): the answers are the local model's, the key comes from --api-key or LONGCAT_API_KEY, local-only options are usage errors.</summary>
[TestClass]
public sealed class ChatEndpointCommandTests
{
    private static ServerHost? _server;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        if (await TestModels.SharedDemoAsync() is { } demo) _server = await ServerHost.StartAsync(demo, o => o.ApiKeys.Add(ServerHost.Key));
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static string Endpoint => new Uri(_server?.BaseAddress ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout."), "/v1").ToString();

    private static async Task<(int Code, string Stdout, string Stderr)> Chat(string stdin, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int code = await Commands.ChatAsync(new CliArgs(args, Help.Switches), new StringReader(stdin), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<string> LocalAnswer(IReadOnlyList<LongCatMessage> conversation)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var u in (await TestModels.SharedDemoAsync())!.ChatAsync(conversation, new GenerationOptions { Temperature = 0, MaxTokens = 48 })) text.Append(u.Text);
        return text.ToString();
    }

    [TestMethod]
    public async Task Chat_Endpoint_TwoTurns_AreTheLocalModelsAnswers()
    {
        var (code, stdout, stderr) = await Chat("Who are you?\nContinue: In the beginning God\n\n",
            "--endpoint", Endpoint, "--api-key", ServerHost.Key, "--temperature", "0", "--max-tokens", "48");

        string first = await LocalAnswer([LongCatMessage.User("Who are you?")]);
        string second = await LocalAnswer([LongCatMessage.User("Who are you?"), LongCatMessage.Assistant(first), LongCatMessage.User("Continue: In the beginning God")]);
        Assert.AreEqual(0, code, stderr);
        Assert.AreEqual($"> Who are you?\n{first}\n> Continue: In the beginning God\n{second}\n", stdout.ReplaceLineEndings("\n"));
        StringAssert.Contains(stderr, $"[remote engine: {Endpoint}]");
        Assert.AreEqual(2, stderr.Split('\n').Count(l => l.StartsWith("[Stop: ", StringComparison.Ordinal) && l.Contains(" prompt + ", StringComparison.Ordinal)), stderr);
    }

    [TestMethod]
    public async Task Chat_Endpoint_KeyFromTheEnvironment()
    {
        string? before = Environment.GetEnvironmentVariable(Commands.ApiKeyVariable);
        Environment.SetEnvironmentVariable(Commands.ApiKeyVariable, ServerHost.Key);
        try
        {
            var (code, stdout, _) = await Chat("Who are you?\n", "--endpoint", Endpoint, "--temperature", "0", "--max-tokens", "48");

            Assert.AreEqual(0, code);
            StringAssert.Contains(stdout, await LocalAnswer([LongCatMessage.User("Who are you?")]));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Commands.ApiKeyVariable, before);
        }
    }

    [TestMethod]
    public async Task Chat_Endpoint_WrongKey_FailsWithTheServersAnswer()
    {
        var e = await Assert.ThrowsExactlyAsync<System.ClientModel.ClientResultException>(() => Chat("Who are you?\n", "--endpoint", Endpoint, "--api-key", "wrong"));

        Assert.AreEqual(401, e.Status);
    }

    [TestMethod]
    [DataRow("ftp://127.0.0.1/v1", "scheme 'ftp'")]
    [DataRow("not a url", "absolute http or https address")]
    public async Task Chat_Endpoint_Unusable_IsAUsageError(string endpoint, string expected)
    {
        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Chat("", "--endpoint", endpoint));

        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    [DataRow("--quantize", "q8")]
    [DataRow("--model", "models/longcat-demo")]
    [DataRow("--heavy", "4")]
    public async Task Chat_Endpoint_WithALocalModelOption_IsAUsageErrorNamingIt(string option, string value)
    {
        var e = await Assert.ThrowsExactlyAsync<UsageException>(() => Chat("", "--endpoint", "http://127.0.0.1:9/v1", option, value));

        StringAssert.Contains(e.Message, option);
    }
}
