using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// Tool calling end to end through the real engine on <see cref="ScriptedModel"/>: the model answers in text unless a tool is
/// required, and then writes a complete call to <c>Clock-Now</c> after the forced opening.
/// </summary>
[TestClass]
public sealed class ScriptedToolCallingTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 16 };

    private static AIFunction Clock(List<int> calls) => AIFunctionFactory.Create(() => { calls.Add(1); return "14:30"; }, "Clock-Now", "Returns the current local time.");

    [TestMethod]
    public async Task Engine_ScriptIsWhatTheTestsAssume()
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.Dir);
        var tools = new[] { ToolDefinition.Create("Clock-Now", "Returns the current local time.", "{}") };
        var text = new System.Text.StringBuilder();
        GenerationUpdate? last = null;
        await foreach (var u in engine.ChatAsync([LongCatMessage.User("Time?")], Greedy with { Tools = tools })) { text.Append(u.Text); last = u; }
        Assert.AreEqual(ScriptedModel.Answer, text.ToString());
        Assert.AreEqual(FinishReason.Stop, last!.FinishReason);

        text.Clear();
        await foreach (var u in engine.ChatAsync([LongCatMessage.User("Time?")], Greedy with { Tools = tools, ToolChoice = ToolChoice.Required() })) { text.Append(u.Text); last = u; }
        Assert.AreEqual("", text.ToString(), "the call is never shown as text");
        Assert.AreEqual(FinishReason.ToolCalls, last!.FinishReason);
        Assert.AreEqual(new ToolCall("Clock-Now", "{}"), last.ToolCalls!.Single());
    }

    [TestMethod]
    public async Task GetStreamingResponse_RequiredTool_StreamsNoMarkupAndEndsWithTheCall()
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.Dir);
        var updates = new List<ChatResponseUpdate>();

        await foreach (var u in engine.AsIChatClient(Greedy).GetStreamingResponseAsync("Time?", new ChatOptions { Tools = [Clock([])], ToolMode = ChatToolMode.RequireAny }))
            updates.Add(u);

        Assert.AreEqual("", string.Concat(updates.Select(u => u.Text)));
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        var call = updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("Clock-Now", call.Name);
        Assert.AreEqual(0, call.Arguments!.Count);
        StringAssert.StartsWith(call.CallId, "call_");
    }

    [TestMethod]
    public async Task FunctionInvokingChatClient_Required_InvokesOnceThenTheModelAnswers()
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.Dir);
        var calls = new List<int>();
        var client = engine.AsIChatClient(Greedy).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("What time is it?", new ChatOptions { Tools = [Clock(calls)], ToolMode = ChatToolMode.RequireAny });

        Assert.AreEqual(1, calls.Count, "invoked once; Required applies to the first round only");
        Assert.AreEqual(3, response.Messages.Count, "call, result, answer");
        Assert.AreEqual("Clock-Now", response.Messages[0].Contents.OfType<FunctionCallContent>().Single().Name);
        Assert.AreEqual("14:30", ((System.Text.Json.JsonElement)response.Messages[1].Contents.OfType<FunctionResultContent>().Single().Result!).GetString());
        Assert.AreEqual(ScriptedModel.Answer, response.Messages[2].Text);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
    }

    [TestMethod]
    public async Task SecondRound_RendersCallAndResultThroughTheTemplate()
    {
        // The prompt of the round after the call holds exactly the template's rendering of the call and its result.
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.Dir);
        var client = engine.AsIChatClient(Greedy);
        var first = await client.GetResponseAsync("Time?", new ChatOptions { Tools = [Clock([])], ToolMode = ChatToolMode.RequireAny });
        var call = first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        List<Microsoft.Extensions.AI.ChatMessage> history =
            [new(Microsoft.Extensions.AI.ChatRole.User, "Time?"), .. first.Messages, new(Microsoft.Extensions.AI.ChatRole.Tool, [new FunctionResultContent(call.CallId, "14:30")])];

        var second = await client.GetResponseAsync(history, new ChatOptions { Tools = [Clock([])] });

        var tools = new[] { ChatOptionsConverter.ToToolDefinition(Clock([])) };
        string expected = ChatTemplate.Render([LongCatMessage.User("Time?"), LongCatMessage.Assistant("", [new ToolCall("Clock-Now", "{}")]), LongCatMessage.ToolResult("Clock-Now", "14:30")], tools);
        StringAssert.EndsWith(expected, "ASSISTANT:<longcat_tool_call>\n{\"name\": \"Clock-Now\", \"arguments\": {}}\n</longcat_tool_call></longcat_s> [Round 1] USER:<longcat_tool_response>\n14:30\n</longcat_tool_response> ASSISTANT:");
        Assert.AreEqual(engine.Tokenizer!.Encode(expected).Length, (int)second.Usage!.InputTokenCount!);
        Assert.AreEqual(ScriptedModel.Answer, second.Text);
    }
}
