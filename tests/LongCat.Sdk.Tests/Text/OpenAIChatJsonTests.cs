using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Conversations and tools in the OpenAI chat shape: what they read as, and bad input named by its path.</summary>
[TestClass]
public sealed class OpenAIChatJsonTests
{
    private static List<LongCatMessage> Messages(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return OpenAIChatJson.ParseMessages(doc.RootElement);
    }

    [TestMethod]
    public void ParseMessages_EveryField()
    {
        var m = Messages("""
            [{"role": "developer", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}]},
             {"role": "user", "content": "2+3?"},
             {"role": "assistant", "content": null, "reasoning_content": "add",
              "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 2}"}},
                             {"type": "function", "function": {"name": "add", "arguments": {"b": 3}}}]},
             {"role": "tool", "name": "add", "tool_call_id": "call_1", "content": "5"}]
            """);

        Assert.AreEqual(LongCatMessage.System("Be brief."), m[0]);
        Assert.AreEqual(LongCatRole.Assistant, m[2].Role);
        Assert.AreEqual("", m[2].Content);
        Assert.AreEqual("add", m[2].Reasoning);
        Assert.AreEqual(new ToolCall("add", "{\"a\": 2}", "call_1"), m[2].ToolCalls![0]);
        Assert.AreEqual(new ToolCall("add", "{\"b\": 3}"), m[2].ToolCalls![1]);
        Assert.AreEqual(("add", "call_1", "5"), (m[3].Name, m[3].ToolCallId, m[3].Content));
    }

    [TestMethod]
    [DataRow("{}", "messages: must be an array")]
    [DataRow("[3]", "messages[0]: must be an object")]
    [DataRow("[{\"content\": \"x\"}]", "messages[0].role: is required")]
    [DataRow("[{\"role\": \"robot\"}]", "messages[0].role: 'robot' is not a role")]
    [DataRow("[{\"role\": \"user\", \"content\": 5}]", "messages[0].content: must be a string")]
    [DataRow("[{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]", "messages[0].content[0].type: 'image_url' is not supported")]
    [DataRow("[{\"role\": \"user\", \"tool_calls\": []}]", "messages[0].tool_calls: only an assistant")]
    [DataRow("[{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"{bad\"}}]}]", "messages[0].tool_calls[0].function.arguments: is not valid JSON")]
    [DataRow("[{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"[1]\"}}]}]", "messages[0].tool_calls[0].function.arguments: must hold a JSON object")]
    [DataRow("[{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"arguments\": {}}}]}]", "messages[0].tool_calls[0].function.name: is required")]
    [DataRow("[{\"role\": \"tool\", \"name\": 7}]", "messages[0].name: must be a string")]
    public void ParseMessages_BadShape_NamesThePath(string json, string message)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Messages(json));
        StringAssert.StartsWith(e.Message, message);
    }

    [TestMethod]
    public void ParseTools_WrappedAndBare()
    {
        using var doc = JsonDocument.Parse("""
            [{"type": "function", "function": {"name": "a", "description": "A.", "parameters": {"type": "object"}}},
             {"name": "b"}]
            """);

        var tools = OpenAIChatJson.ParseTools(doc.RootElement);

        Assert.AreEqual(("a", "A.", "object"), (tools[0].Name, tools[0].Description, tools[0].Parameters.GetProperty("type").GetString()));
        Assert.AreEqual(("b", "", JsonValueKind.Undefined), (tools[1].Name, tools[1].Description, tools[1].Parameters.ValueKind));
    }

    [TestMethod]
    [DataRow("[{\"type\": \"web_search\"}]", "tools[0].type: must be \"function\"")]
    [DataRow("[{\"type\": \"function\"}]", "tools[0].function: must be an object")]
    [DataRow("[{\"type\": \"function\", \"function\": {\"name\": \"\"}}]", "tools[0].function.name: is empty")]
    [DataRow("[{\"name\": \"f\", \"parameters\": []}]", "tools[0].parameters: must be a JSON schema object")]
    public void ParseTools_BadShape_NamesThePath(string json, string message)
    {
        using var doc = JsonDocument.Parse(json);
        var e = Assert.ThrowsExactly<ArgumentException>(() => OpenAIChatJson.ParseTools(doc.RootElement));
        StringAssert.StartsWith(e.Message, message);
    }
    [TestMethod]
    [DataRow("\"auto\"", ToolChoiceMode.Auto, null)]
    [DataRow("null", ToolChoiceMode.Auto, null)]
    [DataRow("\"none\"", ToolChoiceMode.None, null)]
    [DataRow("\"required\"", ToolChoiceMode.Required, null)]
    [DataRow("{\"type\": \"function\", \"function\": {\"name\": \"clock\"}}", ToolChoiceMode.Required, "clock")]
    public void ParseToolChoice_OpenAIsShapes(string json, ToolChoiceMode mode, string? name)
    {
        using var doc = JsonDocument.Parse(json);

        Assert.AreEqual(new ToolChoice(mode, name), OpenAIChatJson.ParseToolChoice(doc.RootElement));
    }

    [TestMethod]
    [DataRow("\"sometimes\"", "tool_choice: 'sometimes' is not a tool choice")]
    [DataRow("3", "tool_choice: must be a string or an object")]
    [DataRow("{\"type\": \"function\"}", "tool_choice.function: must be an object")]
    [DataRow("{\"type\": \"function\", \"function\": {}}", "tool_choice.function.name: is required")]
    public void ParseToolChoice_OtherValues_NameThePath(string json, string expected)
    {
        using var doc = JsonDocument.Parse(json);

        var e = Assert.ThrowsExactly<ArgumentException>(() => OpenAIChatJson.ParseToolChoice(doc.RootElement));

        StringAssert.StartsWith(e.Message, expected);
    }

    [TestMethod]
    public void ParseResponseFormat_TextJsonObjectAndJsonSchema()
    {
        static OutputConstraint? Read(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return OpenAIChatJson.ParseResponseFormat(doc.RootElement);
        }

        Assert.IsNull(Read("""{"type": "text"}"""));
        Assert.AreSame(OutputConstraint.Json, Read("""{"type": "json_object"}"""));
        Assert.AreSame(OutputConstraint.Json, Read("""{"type": "json_schema", "json_schema": {"name": "any"}}"""));
        var schema = Read("""{"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": {"type": "integer"}}}""")!;
        Assert.AreEqual(OutputConstraintKind.JsonSchema, schema.Kind);
        Assert.AreEqual("""{"type": "integer"}""", schema.Text);
    }

    [TestMethod]
    [DataRow("\"json\"", "response_format: must be an object")]
    [DataRow("{}", "response_format.type: is required")]
    [DataRow("{\"type\": \"yaml\"}", "response_format.type: 'yaml' is not a response format")]
    [DataRow("{\"type\": \"json_schema\"}", "response_format.json_schema: must be an object")]
    [DataRow("{\"type\": \"json_schema\", \"json_schema\": {\"schema\": 3}}", "response_format.json_schema.schema: must be a JSON schema")]
    public void ParseResponseFormat_OtherShapes_NameThePath(string json, string expected)
    {
        using var doc = JsonDocument.Parse(json);

        var e = Assert.ThrowsExactly<ArgumentException>(() => OpenAIChatJson.ParseResponseFormat(doc.RootElement));

        StringAssert.StartsWith(e.Message, expected);
    }
}
