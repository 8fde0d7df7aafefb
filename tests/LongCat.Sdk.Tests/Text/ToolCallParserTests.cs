using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Tool calls read out of generated text; malformed blocks stay as text and are flagged, never thrown.</summary>
[TestClass]
public sealed class ToolCallParserTests
{
    private const string Open = "<longcat_tool_call>";
    private const string Close = "</longcat_tool_call>";

    [TestMethod]
    public void Parse_TextWithoutTags_ReturnsItUnchanged()
    {
        var result = ToolCallParser.Parse("Just text, with <b>markup</b> and a < sign.");

        Assert.AreEqual("Just text, with <b>markup</b> and a < sign.", result.Content);
        Assert.AreEqual(0, result.ToolCalls.Count);
        Assert.IsFalse(result.HasMalformed);
    }

    [TestMethod]
    public void Parse_CallBetweenText_ExtractsCallAndKeepsTextAroundIt()
    {
        string text = $"Let me check.\n{Open}\n{{\"name\": \"get_weather\", \"arguments\": {{\"city\": \"Zürich\", \"days\": 2}}}}\n{Close}\nDone.";

        var result = ToolCallParser.Parse(text);

        Assert.AreEqual("Let me check.\n\nDone.", result.Content);
        Assert.AreEqual(1, result.ToolCalls.Count);
        Assert.AreEqual(new ToolCall("get_weather", "{\"city\":\"Zürich\",\"days\":2}"), result.ToolCalls[0]);
        Assert.IsFalse(result.HasMalformed);
    }

    [TestMethod]
    public void Parse_TwoCallsInARow_ExtractsBothInOrder()
    {
        string text = $"{Open}\n{{\"name\": \"a\", \"arguments\": {{\"x\": 1}}}}\n{Close}{Open}  {{\"name\":\"b\",\"arguments\":{{}}}}\t\n{Close}";

        var result = ToolCallParser.Parse(text);

        Assert.AreEqual("", result.Content);
        CollectionAssert.AreEqual(new[] { new ToolCall("a", "{\"x\":1}"), new ToolCall("b", "{}") }, result.ToolCalls.ToArray());
    }

    [TestMethod]
    public void Parse_ArgumentsAsJsonString_AreDecodedToTheObject()
    {
        string text = Open + "{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}" + Close;

        var result = ToolCallParser.Parse(text);

        Assert.AreEqual(1, result.ToolCalls.Count);
        Assert.AreEqual("{\"city\":\"Paris\"}", result.ToolCalls[0].ArgumentsJson);
    }

    [TestMethod]
    public void Parse_MissingArguments_ReadAsEmptyObject()
    {
        var result = ToolCallParser.Parse(Open + "{\"name\": \"now\"}" + Close);

        Assert.AreEqual(new ToolCall("now", "{}"), result.ToolCalls.Single());
    }

    [TestMethod]
    [DataRow("{\"name\": \"f\", \"arguments\": {\"x\": 1}", DisplayName = "bad JSON (unbalanced)")]
    [DataRow("{\"arguments\": {}}", DisplayName = "missing name")]
    [DataRow("{\"name\": \"\", \"arguments\": {}}", DisplayName = "empty name")]
    [DataRow("{\"name\": 3, \"arguments\": {}}", DisplayName = "name not a string")]
    [DataRow("{\"name\": \"f\", \"arguments\": [1, 2]}", DisplayName = "arguments an array")]
    [DataRow("{\"name\": \"f\", \"arguments\": \"not json\"}", DisplayName = "arguments a non-JSON string")]
    [DataRow("[\"f\"]", DisplayName = "not an object")]
    public void Parse_MalformedBlock_StaysAsTextAndIsFlagged(string body)
    {
        string block = Open + body + Close;

        var result = ToolCallParser.Parse("before " + block + " after");

        Assert.AreEqual("before " + block + " after", result.Content);
        Assert.AreEqual(0, result.ToolCalls.Count);
        Assert.IsTrue(result.HasMalformed);
        CollectionAssert.AreEqual(new[] { block }, result.Malformed.ToArray());
    }

    [TestMethod]
    public void Parse_UnterminatedTag_KeepsRestAsTextAndFlagsIt()
    {
        string good = Open + "{\"name\": \"a\", \"arguments\": {}}" + Close;
        string text = "x " + good + " y " + Open + "{\"name\": \"b\", \"argu";

        var result = ToolCallParser.Parse(text);

        Assert.AreEqual("x  y " + Open + "{\"name\": \"b\", \"argu", result.Content);
        Assert.AreEqual("a", result.ToolCalls.Single().Name);
        CollectionAssert.AreEqual(new[] { Open + "{\"name\": \"b\", \"argu" }, result.Malformed.ToArray());
    }

    [TestMethod]
    public void Parse_GoodAndBadBlocks_ExtractsGoodAndFlagsBad()
    {
        string bad = Open + "{oops}" + Close;
        string text = Open + "{\"name\": \"a\"}" + Close + bad + Open + "{\"name\": \"c\", \"arguments\": {\"k\": [true, null]}}" + Close;

        var result = ToolCallParser.Parse(text);

        Assert.AreEqual(bad, result.Content);
        CollectionAssert.AreEqual(new[] { "a", "c" }, result.ToolCalls.Select(c => c.Name).ToArray());
        Assert.AreEqual("{\"k\":[true,null]}", result.ToolCalls[1].ArgumentsJson);
        CollectionAssert.AreEqual(new[] { bad }, result.Malformed.ToArray());
    }
}
