using LongCat.Sdk.Tests.Server;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;

namespace LongCat.Sdk.Tests.AI;

/// <summary>The adapters' contract over in-process engines (the shared demo engines).</summary>
[TestClass]
public sealed class InProcessChatClientContractTests : ChatClientContractTests
{
    private static LongCatEngine? _demo, _thinking;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        _demo = await TestModels.SharedDemoAsync();
        _thinking = await TestModels.SharedThinkingDemoAsync();
    }

    private static LongCatEngine Engine(bool thinking) => thinking
        ? _thinking ?? throw new AssertInconclusiveException("models/longcat-thinking-demo is not in this checkout.")
        : TestModels.RequireDemo(_demo);

    protected override IChatClient Client(bool thinking, GenerationOptions defaults) => Engine(thinking).AsIChatClient(defaults);

    protected override IKernelBuilder KernelBuilder(bool thinking, GenerationOptions defaults) =>
        Kernel.CreateBuilder().AddLongCatChatCompletion(Engine(thinking), defaults);
}

/// <summary>
/// The adapters' contract over remote engines: the shared demo engines behind <c>longcat serve</c>'s endpoint (with an API key),
/// reached through <c>AddLongCat(o =&gt; o.Endpoint = ...)</c> and Semantic Kernel's <c>AddLongCatChatCompletion(endpoint)</c>.
/// </summary>
[TestClass]
public sealed class RemoteChatClientContractTests : ChatClientContractTests
{
    private static ServerHost? _demo, _thinking;
    private static readonly List<ServiceProvider> Providers = [];

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        if (await TestModels.SharedDemoAsync() is { } demo) _demo = await ServerHost.StartAsync(demo, o => o.ApiKeys.Add(ServerHost.Key));
        if (await TestModels.SharedThinkingDemoAsync() is { } thinking) _thinking = await ServerHost.StartAsync(thinking, o => o.ApiKeys.Add(ServerHost.Key));
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        foreach (var provider in Providers) await provider.DisposeAsync();
        if (_demo is not null) await _demo.DisposeAsync();
        if (_thinking is not null) await _thinking.DisposeAsync();
    }

    /// <summary>The endpoint of the server over the demo model (or the thinking demo model).</summary>
    internal static Uri Endpoint(bool thinking) => new((thinking ? _thinking : _demo)?.BaseAddress
        ?? throw new AssertInconclusiveException("the demo models are not in this checkout."), "/v1");

    protected override IChatClient Client(bool thinking, GenerationOptions defaults)
    {
        var provider = TestServices.Build(s => s.AddLongCat(o =>
        {
            o.Endpoint = Endpoint(thinking);
            o.ApiKey = ServerHost.Key;
            o.Generation = defaults;
        }));
        Providers.Add(provider);
        return provider.GetRequiredService<IChatClient>();
    }

    protected override IKernelBuilder KernelBuilder(bool thinking, GenerationOptions defaults) =>
        Kernel.CreateBuilder().AddLongCatChatCompletion(Endpoint(thinking), ServerHost.Key, defaults: defaults);

    [TestMethod]
    public async Task RemoteAnswer_IsTheInProcessAnswer_ReasoningAndCallsIncluded()
    {
        var local = (await TestModels.SharedThinkingDemoAsync())!.AsIChatClient(ThinkingGreedy);
        var remote = Client(true, ThinkingGreedy);
        var tools = new ChatOptions { Tools = DemoTools.ThinkingToolSet([]) };

        foreach (var (prompt, options) in new[] { ("Who are you?", (ChatOptions?)null), ("Remind me to pray in 15 minutes.", tools) })
        {
            var expected = await local.GetResponseAsync(prompt, options);
            var actual = await remote.GetResponseAsync(prompt, options);

            Assert.AreEqual(Reasoning(expected), Reasoning(actual), prompt);
            Assert.AreEqual(expected.Text, actual.Text, prompt);
            CollectionAssert.AreEqual(Calls(expected), Calls(actual), prompt);
            Assert.AreEqual(expected.FinishReason, actual.FinishReason, prompt);
            Assert.AreEqual(expected.Usage!.InputTokenCount, actual.Usage!.InputTokenCount, prompt);
            Assert.AreEqual(expected.Usage.OutputTokenCount, actual.Usage.OutputTokenCount, prompt);
            Assert.AreEqual(expected.Usage.ReasoningTokenCount, actual.Usage.ReasoningTokenCount, prompt);
        }

        static string Reasoning(ChatResponse r) => string.Concat(r.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(t => t.Text));
        static string[] Calls(ChatResponse r) => [.. r.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => $"{c.Name}({System.Text.Json.JsonSerializer.Serialize(c.Arguments)})")];
    }
}
