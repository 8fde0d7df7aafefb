using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The LongCat-Flash-Chat prompt format of LONGCAT.md §8, checked as exact strings.</summary>
[TestClass]
public sealed class ChatTemplateTests
{
    private static readonly ToolDefinition Weather = ToolDefinition.Create(
        "get_weather", "Get the weather for a city.",
        """{"type": "object", "properties": {"city": {"type": "string", "description": "City, e.g. Zürich"}, "days": {"type": "integer", "maximum": 7.0}}, "required": ["city"]}""");

    // python3: json.dumps(schema, indent=2)
    private const string WeatherSchema =
        "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"city\": {\n      \"type\": \"string\",\n" +
        "      \"description\": \"City, e.g. Z\\u00fcrich\"\n    },\n    \"days\": {\n      \"type\": \"integer\",\n" +
        "      \"maximum\": 7.0\n    }\n  },\n  \"required\": [\n    \"city\"\n  ]\n}";

    private const string Note =
        "**Note**: For each function call, return a json object with function name and arguments within <longcat_tool_call></longcat_tool_call> XML tags as follows:\n" +
        "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>\n" +
        "When multiple functions need to be called simultaneously, each function call should be wrapped in its own <longcat_tool_call> tag and placed consecutively. For example:\n" +
        "<longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call><longcat_tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</longcat_tool_call>";

    [TestMethod]
    public void Render_OneUserTurn_MatchesHuggingFaceTestVector()
    {
        string prompt = ChatTemplate.Render([LongCatMessage.User("Paris is...")]);

        Assert.AreEqual("[Round 0] USER:Paris is... ASSISTANT:", prompt);
    }

    [TestMethod]
    public void Render_SystemAndMultiTurn_NumbersRoundsAndClosesAnswers()
    {
        var messages = new[]
        {
            LongCatMessage.System("You are a helpful assistant."),
            LongCatMessage.User("Hi"),
            LongCatMessage.Assistant("Hello! How can I help?"),
            LongCatMessage.User("What is 2+2?"),
            LongCatMessage.Assistant("4"),
            LongCatMessage.User("Thanks"),
        };

        string prompt = ChatTemplate.Render(messages);

        Assert.AreEqual(
            "SYSTEM:You are a helpful assistant. [Round 0] USER:Hi ASSISTANT:Hello! How can I help?</longcat_s> " +
            "[Round 1] USER:What is 2+2? ASSISTANT:4</longcat_s> [Round 2] USER:Thanks ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void Render_FinishedConversationWithoutGenerationPrompt_EndsWithEndOfTurn()
    {
        string prompt = ChatTemplate.Render([LongCatMessage.User("q"), LongCatMessage.Assistant("a")], addGenerationPrompt: false);

        Assert.AreEqual("[Round 0] USER:q ASSISTANT:a</longcat_s>", prompt);
    }

    [TestMethod]
    public void Render_WithTools_PrefixesToolDescriptionAndMessagesHeader()
    {
        string prompt = ChatTemplate.Render([LongCatMessage.System("Be brief."), LongCatMessage.User("Weather in Paris?")], [Weather]);

        Assert.AreEqual(
            "## Tools\nYou have access to the following tools: \n\n### Tool namespace: function\n\n" +
            "#### Tool name: get_weather\n\nDescription: Get the weather for a city.\n\nInputSchema: \n" + WeatherSchema + "\n\n" +
            Note + "\n\n## Messages\nSYSTEM:Be brief. [Round 0] USER:Weather in Paris? ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void RenderToolDescription_TwoTools_ShareOneNamespaceHeader()
    {
        var clock = ToolDefinition.Create("now", "Current time.", "{}");

        string description = ChatTemplate.RenderToolDescription([Weather, clock]);

        Assert.AreEqual(
            "## Tools\nYou have access to the following tools: \n\n### Tool namespace: function\n\n" +
            "#### Tool name: get_weather\n\nDescription: Get the weather for a city.\n\nInputSchema: \n" + WeatherSchema + "\n\n" +
            "#### Tool name: now\n\nDescription: Current time.\n\nInputSchema: \n{}\n\n" + Note,
            description);
    }

    [TestMethod]
    public void Render_ToolCallAndResultInHistory_RendersCallBlockAndResponseRound()
    {
        var messages = new[]
        {
            LongCatMessage.User("Weather in Zürich?"),
            LongCatMessage.Assistant("", [new ToolCall("get_weather", """{"city":"Zürich","days":2}""", "call_1")]),
            LongCatMessage.ToolResult("get_weather", """{"temp_c": 21}""", "call_1"),
            LongCatMessage.Assistant("It is 21 °C."),
            LongCatMessage.User("Thanks"),
        };

        string prompt = ChatTemplate.Render(messages);

        Assert.AreEqual(
            "[Round 0] USER:Weather in Zürich? ASSISTANT:<longcat_tool_call>\n" +
            "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"days\": 2}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n{\"temp_c\": 21}\n</longcat_tool_response> ASSISTANT:It is 21 °C.</longcat_s> " +
            "[Round 2] USER:Thanks ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void Render_ParallelCallsAndResults_PlacesCallsConsecutivelyAndResultsInOneTurn()
    {
        var messages = new[]
        {
            LongCatMessage.User("Paris and Rome?"),
            LongCatMessage.Assistant("Checking both.", [new ToolCall("get_weather", """{"city":"Paris"}"""), new ToolCall("get_weather", """{"city":"Rome"}""")]),
            LongCatMessage.ToolResult("get_weather", "18"),
            LongCatMessage.ToolResult("get_weather", "25"),
        };

        string prompt = ChatTemplate.Render(messages);

        Assert.AreEqual(
            "[Round 0] USER:Paris and Rome? ASSISTANT:Checking both.\n" +
            "<longcat_tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</longcat_tool_call>" +
            "<longcat_tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</longcat_tool_call></longcat_s> " +
            "[Round 1] USER:<longcat_tool_response>\n18\n</longcat_tool_response>\n<longcat_tool_response>\n25\n</longcat_tool_response> ASSISTANT:",
            prompt);
    }

    [TestMethod]
    public void RenderToolCall_ParsedBack_GivesTheSameCall()
    {
        var call = new ToolCall("search", """{"q":"naïve \"quotes\"","n":[1,2],"empty":{}}""");

        var parsed = ToolCallParser.Parse(ChatTemplate.RenderToolCall(call));

        Assert.AreEqual("", parsed.Content);
        Assert.AreEqual(1, parsed.ToolCalls.Count);
        Assert.AreEqual(call, parsed.ToolCalls[0]);
    }

    [TestMethod]
    public void Render_EmptyArguments_RenderAsEmptyObject()
    {
        string prompt = ChatTemplate.Render([LongCatMessage.User("time?"), LongCatMessage.Assistant("", [new ToolCall("now", "")]), LongCatMessage.ToolResult("now", "12:00")]);

        Assert.IsTrue(prompt.Contains("{\"name\": \"now\", \"arguments\": {}}", StringComparison.Ordinal), prompt);
    }

    [TestMethod]
    public void Render_ToolResultAfterRawToolCallContent_IsAccepted()
    {
        const string raw = "<longcat_tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</longcat_tool_call>";

        string prompt = ChatTemplate.Render([LongCatMessage.User("time?"), LongCatMessage.Assistant(raw), LongCatMessage.ToolResult("now", "12:00")]);

        Assert.AreEqual($"[Round 0] USER:time? ASSISTANT:{raw}</longcat_s> [Round 1] USER:<longcat_tool_response>\n12:00\n</longcat_tool_response> ASSISTANT:", prompt);
    }

    [TestMethod]
    [DataRow(0, "messages[0] (Assistant)")]          // starts with an assistant turn
    [DataRow(1, "messages[2] (System)")]             // system not first
    [DataRow(2, "messages[3] (User)")]               // two user turns in a row
    [DataRow(3, "messages[1] (Tool)")]               // tool result without a tool call
    [DataRow(4, "messages[2] (Assistant)")]          // two assistant turns in a row
    [DataRow(5, "messages[1] (Assistant): the conversation ends with an assistant turn")]
    [DataRow(6, "no user turn")]
    [DataRow(7, "messages[1].ToolCalls[0]")]         // arguments not JSON
    [DataRow(8, "messages[0] (Tool)")]               // starts with a tool result
    public void Render_OutOfOrderConversation_ThrowsNamingTheMessage(int scenario, string expected)
    {
        LongCatMessage[] messages = scenario switch
        {
            0 => [LongCatMessage.Assistant("hi"), LongCatMessage.User("q")],
            1 => [LongCatMessage.User("q"), LongCatMessage.Assistant("a"), LongCatMessage.System("late")],
            2 => [LongCatMessage.User("q"), LongCatMessage.Assistant("a"), LongCatMessage.User("q2"), LongCatMessage.User("q3")],
            3 => [LongCatMessage.User("q"), LongCatMessage.ToolResult("f", "r")],
            4 => [LongCatMessage.User("q"), LongCatMessage.Assistant("a"), LongCatMessage.Assistant("b")],
            5 => [LongCatMessage.User("q"), LongCatMessage.Assistant("a")],
            6 => [LongCatMessage.System("s")],
            7 => [LongCatMessage.User("q"), LongCatMessage.Assistant("", [new ToolCall("f", "{not json")]), LongCatMessage.ToolResult("f", "r")],
            _ => [LongCatMessage.ToolResult("f", "r"), LongCatMessage.User("q")],
        };

        var ex = Assert.ThrowsExactly<ArgumentException>(() => ChatTemplate.Render(messages));

        Assert.IsTrue(ex.Message.Contains(expected, StringComparison.Ordinal), ex.Message);
        Assert.AreEqual("messages", ex.ParamName);
    }

    [TestMethod]
    public void RenderPrompt_TextEqualsRender_RangesCoverExactlyTheUntrustedContent()
    {
        var tool = new ToolDefinition("get_time", "Current time in a city.", System.Text.Json.JsonDocument.Parse("""{"type": "object"}""").RootElement);
        LongCatMessage[] messages =
        [
            LongCatMessage.System("sys</longcat_s>"), LongCatMessage.User("u1"),
            LongCatMessage.Assistant("", [new ToolCall("get_time", """{"city": "Oslo"}""")]),
            LongCatMessage.ToolResult("get_time", "12:00"), LongCatMessage.Assistant("It is noon."), LongCatMessage.User("u2"),
        ];

        var prompt = ChatTemplate.RenderPrompt(messages, [tool]);

        Assert.AreEqual(ChatTemplate.Render(messages, [tool]), prompt.Text);
        var covered = prompt.PlainTextRanges.Select(r => prompt.Text[r]).ToArray();
        CollectionAssert.AreEqual(new[] { "get_time", "Current time in a city.", "{\n  \"type\": \"object\"\n}", "sys</longcat_s>", "u1", "12:00", "u2" }, covered);
    }
}
