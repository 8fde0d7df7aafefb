using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;
using System.Text.Json;
using LongCat.Sdk.AI;
using Microsoft.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// Tool calling end to end on the bundled demo model (trained to call a clock and a calculator it sees in the tools section):
/// the model's call arrives as FunctionCallContent, never as text; Microsoft.Extensions.AI's FunctionInvokingChatClient runs it
/// and the model answers from the result.
/// </summary>
[TestClass]
public sealed class DemoModelToolCallingTests
{
    private static LongCatEngine? _engine;
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 64 };

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        if (TestModels.DemoModel() is { } dir) _engine = await LongCatEngine.LoadAsync(dir);
    }

    [ClassCleanup]
    public static void Unload() => _engine?.Dispose();

    private static LongCatEngine Engine => _engine ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    private static AIFunction Clock(List<string> calls) => AIFunctionFactory.Create(
        ([Description("The city, e.g. Paris")] string city) => { calls.Add(city); return "14:30"; },
        "get_current_time", "Get the current time in a city.");

    private static AIFunction Multiply(List<string> calls) => AIFunctionFactory.Create(
        (double a, double b) => { calls.Add($"{a}*{b}"); return a * b; }, "multiply", "Multiply two numbers.");

    [TestMethod]
    public async Task GetResponse_ClockQuestion_ReturnsTheCallNotText()
    {
        var client = Engine.AsChatClient(Greedy);
        var options = new ChatOptions { Tools = [Clock([]), Multiply([])] };

        var response = await client.GetResponseAsync("What time is it in Paris?", options);

        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("get_current_time", call.Name);
        Assert.AreEqual("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        StringAssert.StartsWith(call.CallId, "call_");
        Assert.AreEqual("", response.Text, "no tool-call markup in the text");
    }

    [TestMethod]
    public async Task Streaming_ToolCall_NoMarkupEverReachesTheText()
    {
        var client = Engine.AsChatClient(Greedy);
        var updates = new List<ChatResponseUpdate>();

        await foreach (var u in client.GetStreamingResponseAsync("What is 12 times 7?", new ChatOptions { Tools = [Multiply([])] })) updates.Add(u);

        Assert.IsFalse(updates.Any(u => u.Text.Contains('<')), string.Concat(updates.Select(u => u.Text)));
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.AreEqual("multiply", updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single().Name);
    }

    [TestMethod]
    public async Task FunctionInvokingChatClient_RunsTheToolAndTheModelAnswersFromItsResult()
    {
        var calls = new List<string>();
        var client = Engine.AsChatClient(Greedy).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("What is 12 times 7?", new ChatOptions { Tools = [Multiply(calls), Clock([])] });

        CollectionAssert.AreEqual(new[] { "12*7" }, calls);
        StringAssert.Contains(response.Text, "84");
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
        // The history FunctionInvokingChatClient built: the call, its result, the answer.
        Assert.AreEqual(3, response.Messages.Count);
        Assert.IsInstanceOfType<FunctionResultContent>(response.Messages[1].Contents.Single());
    }

    [TestMethod]
    public async Task ToolModeNone_ToolsDescribedButNeverCalled()
    {
        var client = Engine.AsChatClient(Greedy);

        var response = await client.GetResponseAsync("What time is it in Paris?", new ChatOptions { Tools = [Clock([])], ToolMode = ChatToolMode.None });

        Assert.AreEqual(0, response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count());
        Assert.IsFalse(response.Text.Contains("<longcat_tool_call>", StringComparison.Ordinal), response.Text);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
    }

    [TestMethod]
    public async Task ToolModeRequired_QuestionTheModelWouldAnswerInText_StillCallsTheTool()
    {
        var client = Engine.AsChatClient(Greedy);
        var history = new List<AIChatMessage> { new(ChatRole.User, "Hello!") };

        var free = await client.GetResponseAsync(history, new ChatOptions { Tools = [Clock([])] });
        var forced = await client.GetResponseAsync(history, new ChatOptions { Tools = [Clock([])], ToolMode = ChatToolMode.RequireAny });

        Assert.AreEqual(ChatFinishReason.Stop, free.FinishReason, "unforced, a greeting is answered in text");
        Assert.AreEqual(ChatFinishReason.ToolCalls, forced.FinishReason, forced.Text);
        Assert.AreEqual("get_current_time", forced.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().Name);
    }
}
