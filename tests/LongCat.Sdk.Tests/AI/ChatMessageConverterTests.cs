using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace LongCat.Sdk.Tests.AI;

/// <summary>Microsoft.Extensions.AI conversations through the converter and the chat template, checked as exact prompt strings.</summary>
[TestClass]
public sealed class ChatMessageConverterTests
{
    private static string Render(IEnumerable<AIChatMessage> messages, string? instructions = null) =>
        ChatTemplate.Render(ChatMessageConverter.ToLongCat(messages, instructions));

    private static FunctionCallContent Call(string id, string name, string argsJson) =>
        new(id, name, JsonSerializer.Deserialize<Dictionary<string, object?>>(argsJson));

    [TestMethod]
    public void Render_InstructionsAndSystemMessages_BecomeOneSystemPrompt()
    {
        string prompt = Render([new(AIChatRole.System, "Be brief."), new(AIChatRole.User, "Hi")], instructions: "You are LongCat.");

        Assert.AreEqual("SYSTEM:You are LongCat.\nBe brief. [Round 0] USER:Hi ASSISTANT:", prompt);
    }

    [TestMethod]
    public void Render_FunctionCallAndResult_RenderAsLongCatToolCallAndResponse()
    {
        var messages = new AIChatMessage[]
        {
            new(AIChatRole.User, "What is 6 times 7?"),
            new(AIChatRole.Assistant, [Call("call_1", "calculator", """{"expression": "6*7"}""")]),
            new(AIChatRole.Tool, [new FunctionResultContent("call_1", 42)]),
        };

        string prompt = Render(messages);

        Assert.AreEqual(
            "[Round 0] USER:What is 6 times 7? ASSISTANT:<longcat_tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"6*7\"}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n42\n</longcat_tool_response> ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void Render_SemanticKernelStyleSplitCalls_MergeIntoOneTurnAndResultsFollowCallOrder()
    {
        // Semantic Kernel stores each call as its own assistant message; results may come back in any order.
        var messages = new AIChatMessage[]
        {
            new(AIChatRole.User, "Time and 2+2?"),
            new(AIChatRole.Assistant, [new TextContent("Checking."), Call("a", "clock", "{}")]),
            new(AIChatRole.Assistant, [Call("b", "calculator", """{"expression": "2+2"}""")]),
            new(AIChatRole.Tool, [new FunctionResultContent("b", "4")]),
            new(AIChatRole.Tool, [new FunctionResultContent("a", "12:00")]),
        };

        string prompt = Render(messages);

        Assert.AreEqual(
            "[Round 0] USER:Time and 2+2? ASSISTANT:Checking.\n" +
            "<longcat_tool_call>\n{\"name\": \"clock\", \"arguments\": {}}\n</longcat_tool_call>" +
            "<longcat_tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2+2\"}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n12:00\n</longcat_tool_response>\n<longcat_tool_response>\n4\n</longcat_tool_response> ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void ToLongCat_ObjectResult_IsJsonAndCarriesTheCallsName()
    {
        var messages = new AIChatMessage[]
        {
            new(AIChatRole.User, "Weather?"),
            new(AIChatRole.Assistant, [Call("w", "weather", """{"city": "Paris"}""")]),
            new(AIChatRole.Tool, [new FunctionResultContent("w", new Dictionary<string, object> { ["temp"] = 21, ["sky"] = "clear" })]),
        };

        var converted = ChatMessageConverter.ToLongCat(messages);

        Assert.AreEqual("""{"temp":21,"sky":"clear"}""", converted[^1].Content);
        Assert.AreEqual("weather", converted[^1].Name);
        Assert.AreEqual("w", converted[^1].ToolCallId);
        Assert.AreEqual("w", converted[1].ToolCalls![0].Id);
    }

    [TestMethod]
    public void ToLongCat_ConsecutiveUserMessages_MergeWithLineBreak()
    {
        string prompt = Render([new(AIChatRole.User, "first"), new(AIChatRole.User, "second")]);

        Assert.AreEqual("[Round 0] USER:first\nsecond ASSISTANT:", prompt);
    }

    [TestMethod]
    public void ToLongCat_SystemMessageAfterATurn_ThrowsNamingTheIndex()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            ChatMessageConverter.ToLongCat([new(AIChatRole.User, "a"), new(AIChatRole.Assistant, "b"), new(AIChatRole.System, "late")]));

        StringAssert.Contains(e.Message, "messages[2]");
    }

    [TestMethod]
    public void ToLongCat_ImageContent_ThrowsNotSupported()
    {
        var image = new DataContent(new byte[] { 1, 2, 3 }, "image/png");

        var e = Assert.ThrowsExactly<ArgumentException>(() => ChatMessageConverter.ToLongCat([new(AIChatRole.User, [new TextContent("look"), image])]));

        StringAssert.Contains(e.Message, "DataContent");
    }

    [TestMethod]
    public void ToFunctionCall_ParsesArgumentsAndGeneratesDistinctIds()
    {
        var call = new ToolCall("calculator", """{"expression":"1+2","precision":3}""");

        var a = ChatMessageConverter.ToFunctionCall(call);
        var b = ChatMessageConverter.ToFunctionCall(call);

        Assert.AreEqual("calculator", a.Name);
        Assert.AreEqual("1+2", ((JsonElement)a.Arguments!["expression"]!).GetString());
        Assert.AreEqual(3, ((JsonElement)a.Arguments!["precision"]!).GetInt32());
        StringAssert.StartsWith(a.CallId, "call_");
        Assert.AreNotEqual(a.CallId, b.CallId);
    }

    [TestMethod]
    public void ToFunctionCall_NameDifferingInSeparatorsOrCase_IsTheOfferedTool()
    {
        ToolDefinition[] offered = [ToolDefinition.Create("Clock_GetCurrentTime", "The time.", "{}"), ToolDefinition.Create("Calculator_Add", "Adds.", "{}")];

        Assert.AreEqual("Clock_GetCurrentTime", ChatMessageConverter.ToFunctionCall(new ToolCall("Clock-GetCurrentTime", "{}"), offered).Name);
        Assert.AreEqual("Calculator_Add", ChatMessageConverter.ToFunctionCall(new ToolCall("calculator_add", "{}"), offered).Name);
        Assert.AreEqual("weather", ChatMessageConverter.ToFunctionCall(new ToolCall("weather", "{}"), offered).Name, "unknown names stay as written");
        Assert.AreEqual("Clock_GetCurrentTime", ChatMessageConverter.ToFunctionCall(new ToolCall("get_current_time", "{}"), offered).Name, "plugin prefix omitted");
        ToolDefinition[] twoAdds = [ToolDefinition.Create("Calculator_Add", "", "{}"), ToolDefinition.Create("Vector_Add", "", "{}")];
        Assert.AreEqual("add", ChatMessageConverter.ToFunctionCall(new ToolCall("add", "{}"), twoAdds).Name, "ambiguous: kept as written");
        Assert.AreEqual("Clock-GetCurrentTime", ChatMessageConverter.ToFunctionCall(new ToolCall("Clock-GetCurrentTime", "{}")).Name, "no tools, no repair");
    }

    [TestMethod]
    public void ToFunctionCall_ThenBackThroughTheTemplate_RendersTheModelsOwnCall()
    {
        // What the model wrote, parsed, converted and rendered into history, is what the model wrote.
        const string written = "<longcat_tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"6*7\"}}\n</longcat_tool_call>";
        var parsed = ToolCallParser.Parse(written).ToolCalls.Single();

        var content = ChatMessageConverter.ToFunctionCall(parsed);
        string prompt = Render([new(AIChatRole.User, "q"), new(AIChatRole.Assistant, [content]), new(AIChatRole.Tool, [new FunctionResultContent(content.CallId, "42")])]);

        StringAssert.Contains(prompt, "ASSISTANT:" + written + ChatTemplate.EndOfTurn);
    }

    [TestMethod]
    [DataRow("<longcat_tool_call>\n{\"name\": \"Tools_Ti", "Tools_Time")]          // cut inside the name: the one tool it begins
    [DataRow("<longcat_tool_call>\n{\"name\": \"Tools_", ChatMessageConverter.UnnamedCall)]  // two tools begin so
    [DataRow("<longcat_tool_call>\n{\"na", ChatMessageConverter.UnnamedCall)]     // no name at all, two tools offered
    [DataRow("<longcat_tool_call>\n{\"name\": \"tools-date\", \"arguments\": {", "Tools_Date")]
    public void ToFunctionCalls_MalformedCall_AlwaysHasAName(string raw, string expected)
    {
        var offered = new[] { ToolDefinition.Create("Tools_Time", "t", "{}"), ToolDefinition.Create("Tools_Date", "d", "{}") };

        var call = ChatMessageConverter.ToFunctionCalls(null, [raw], offered).Single();

        Assert.AreEqual(expected, call.Name);
        Assert.IsNotNull(call.Exception);
    }
}
