using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.AI;

[TestClass]
public sealed class ToolChoiceTests
{
    private static readonly ToolDefinition Clock = ToolDefinition.Create("clock", "The time.", "{}");

    [TestMethod]
    public void RenderToolCallPrefix_AnyFunction_OpensTheBlock()
    {
        Assert.AreEqual("<longcat_tool_call>\n", ChatTemplate.RenderToolCallPrefix());
    }

    [TestMethod]
    public void RenderToolCallPrefix_NamedFunction_WritesNameUpToTheArguments()
    {
        string prefix = ChatTemplate.RenderToolCallPrefix("clock");

        Assert.AreEqual("<longcat_tool_call>\n{\"name\": \"clock\", \"arguments\":", prefix);
        // The template's own rendering of a call starts with exactly this text.
        StringAssert.StartsWith(ChatTemplate.RenderToolCall(new ToolCall("clock", "{}")), prefix);
    }

    [TestMethod]
    [DataRow("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}", "{\"city\": \"Paris\"}", " {\"city\": \"", DisplayName = "string: up to the value's quote")]
    [DataRow("{\"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}", "{\"a\": 2, \"b\": 3}", " {\"a\":", DisplayName = "number: up to the colon; only the first key")]
    [DataRow("{\"properties\": {\"q\": {\"type\": [\"string\", \"null\"]}}, \"required\": [\"q\"]}", "{\"q\": null}", " {\"q\":", DisplayName = "a type list is not a string")]
    [DataRow("{\"properties\": {\"\u00e9t\u00e9\": {\"type\": \"string\"}}, \"required\": [\"\u00e9t\u00e9\"]}", "{\"\u00e9t\u00e9\": \"oui\"}", " {\"été\": \"", DisplayName = "key written as the template writes it")]
    [DataRow("{\"properties\": {\"city\": {\"type\": \"string\"}}}", "{\"city\": \"Paris\"}", "", DisplayName = "nothing required: the model opens the object")]
    [DataRow("{}", "{}", "", DisplayName = "no schema")]
    public void RenderToolCallPrefix_Tool_OpensTheArgumentsWithTheFirstRequiredKey(string schema, string arguments, string expectedTail)
    {
        var tool = ToolDefinition.Create("get_current_time", "The time.", schema);

        string prefix = ChatTemplate.RenderToolCallPrefix(tool);

        Assert.AreEqual(ChatTemplate.RenderToolCallPrefix("get_current_time") + expectedTail, prefix);
        StringAssert.StartsWith(ChatTemplate.RenderToolCall(new ToolCall("get_current_time", arguments)), prefix);
    }

    [TestMethod]
    public void RenderToolCallPrefix_Tool_TokenizesAsTheStartOfTheCall()
    {
        // The forced opening must end on a token boundary of the full call, or the model would continue from a token split it never saw.
        var tok = Tokenizer.FromFile(Path.Combine(TestModels.TinyWithTokenizer, "tokenizer.json"));
        var tool = ToolDefinition.Create("get_current_time", "The time.", "{\"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}");
        var prompt = ChatTemplate.RenderPrompt([LongCatMessage.User("What time is it in Paris?")], [tool]);

        int[] forced = tok.Encode(prompt.Text + ChatTemplate.RenderToolCallPrefix(tool), prompt.PlainTextRanges);
        int[] full = tok.Encode(prompt.Text + ChatTemplate.RenderToolCall(new ToolCall("get_current_time", "{\"city\": \"Paris\"}")), prompt.PlainTextRanges);

        CollectionAssert.AreEqual(forced, full[..forced.Length]);
    }

    [TestMethod]
    public void Validate_RequiredWithoutTools_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new GenerationOptions { ToolChoice = ToolChoice.Required() }.Validate());

        StringAssert.Contains(e.Message, "at least one tool");
    }

    [TestMethod]
    public void Validate_RequiredUnknownFunction_ThrowsListingTheOffered()
    {
        var options = new GenerationOptions { Tools = [Clock], ToolChoice = ToolChoice.Required("weather") };

        var e = Assert.ThrowsExactly<ArgumentException>(options.Validate);

        StringAssert.Contains(e.Message, "'weather'");
        StringAssert.Contains(e.Message, "clock");
    }

    [TestMethod]
    public void Validate_NamedFunctionWithAuto_Throws()
    {
        var options = new GenerationOptions { Tools = [Clock], ToolChoice = new ToolChoice(ToolChoiceMode.Auto, "clock") };

        Assert.ThrowsExactly<ArgumentException>(options.Validate);
    }
}
