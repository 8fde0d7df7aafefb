using System.Text.Json;
using LongCat.Sdk.AI;
using Microsoft.Extensions.AI;
using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// Tool calling on the bundled demo model (trained to call a clock and a calculator it sees in the tools section), with its own
/// tool names and schemas: the call arrives as FunctionCallContent, never as text, and FunctionInvokingChatClient runs it. The
/// assertions are about the SDK's contract, not the small model's arithmetic; what it answered is written to the test output.
/// </summary>
[TestClass]
public sealed class DemoModelToolCallingTests
{
    private static LongCatEngine? _engine;
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 64 };

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        _engine = await TestModels.SharedDemoAsync();
    }

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    private static AIFunction Clock(List<string> calls) => AIFunctionFactory.Create(
        ([Description("The city, e.g. Paris")] string city) => { calls.Add(city); return "14:30"; },
        "get_current_time", "Get the current time in a city.");

    private static AIFunction Multiply(List<string> calls) => AIFunctionFactory.Create(
        (double a, double b) => { calls.Add($"{a}*{b}"); return a * b; }, "multiply", "Multiply two numbers.");

    [TestMethod]
    public async Task GetResponse_ToolQuestion_ReturnsACallNotText()
    {
        var response = await Engine.AsIChatClient(Greedy).GetResponseAsync("What time is it in Paris?", new ChatOptions { Tools = [Clock([]), Multiply([])] });
        TestContext.WriteLine($"calls: {string.Join(", ", response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => $"{c.Name}({JsonSerializer.Serialize(c.Arguments)})"))}; text: '{response.Text}'");

        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason, response.Text);
        Assert.IsTrue(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Any());
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
    }

    [TestMethod]
    public async Task Streaming_RequiredTool_NoMarkupReachesTheTextAndTheCallNamesIt()
    {
        var updates = new List<ChatResponseUpdate>();
        var options = new ChatOptions { Tools = [Multiply([]), Clock([])], ToolMode = ChatToolMode.RequireSpecific("get_current_time") };

        await foreach (var u in Engine.AsIChatClient(Greedy).GetStreamingResponseAsync("What time is it in Tokyo?", options)) updates.Add(u);

        string text = string.Concat(updates.Select(u => u.Text));
        Assert.IsFalse(text.Contains("longcat_tool", StringComparison.Ordinal), text);
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason, text);
        Assert.AreEqual("get_current_time", updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single().Name);
    }

    [TestMethod]
    public async Task FunctionInvokingChatClient_RunsTheToolOnceAndTheModelAnswersInText()
    {
        var calls = new List<string>();
        var client = Engine.AsIChatClient(Greedy).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("What time is it in Tokyo?",
            new ChatOptions { Tools = [Clock(calls), Multiply([])], ToolMode = ChatToolMode.RequireAny });
        TestContext.WriteLine($"get_current_time({string.Join(", ", calls)}) -> answer '{response.Text}'");

        Assert.AreEqual(1, calls.Count, "Required applies to the first round; then the model answers");
        Assert.IsInstanceOfType<FunctionResultContent>(response.Messages[1].Contents.Single());
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
    }

    [TestMethod]
    public async Task ToolModeNone_ToolsDescribedButNeverCalled()
    {
        var response = await Engine.AsIChatClient(Greedy).GetResponseAsync("What time is it in Paris?",
            new ChatOptions { Tools = [Clock([])], ToolMode = ChatToolMode.None });

        Assert.AreEqual(0, response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count());
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
    }
}
