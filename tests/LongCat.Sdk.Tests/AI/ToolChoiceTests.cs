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
