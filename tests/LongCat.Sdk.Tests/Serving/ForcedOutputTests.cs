using LongCat.Sdk.Serving;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>The forced opening of a required tool call is output like any generated text: captured with the call it opens.</summary>
[TestClass]
public sealed class ForcedOutputTests
{
    private static Tokenizer Load() => Tokenizer.FromFile(Path.Combine(TestModels.TinyWithTokenizer, "tokenizer.json"));

    private static (string Text, OutputPipeline Pipeline) Run(string forced, string generated)
    {
        var tokenizer = Load();
        var pipeline = new OutputPipeline(tokenizer, [], ToolCallParser.Json);
        var text = new System.Text.StringBuilder();
        foreach (int id in tokenizer.Encode(forced).Concat(tokenizer.Encode(generated))) text.Append(pipeline.Push(id).Text);
        text.Append(pipeline.Finish().Text);
        return (text.ToString(), pipeline);
    }

    [TestMethod]
    public void ForcedOpening_ModelCompletesTheCall_CallCapturedAndNoMarkupShown()
    {
        string forced = ChatTemplate.RenderToolCallPrefix("clock");

        var (text, pipeline) = Run(forced, " {}}\n</longcat_tool_call>");

        Assert.AreEqual("", text);
        Assert.AreEqual(new ToolCall("clock", "{}"), pipeline.ToolCalls.Single());
        Assert.AreEqual(forced + " {}}\n</longcat_tool_call>", pipeline.RawText);
    }

    [TestMethod]
    public void ForcedOpening_TextAfterTheCall_IsShown()
    {
        var (text, pipeline) = Run(ChatTemplate.RenderToolCallPrefix(), "{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</longcat_tool_call> done");

        Assert.AreEqual(" done", text);
        Assert.AreEqual(new ToolCall("add", "{\"a\":1}"), pipeline.ToolCalls.Single());
    }

    [TestMethod]
    public void ForcedOpening_ModelNeverClosesTheBlock_FlaggedNeverShown()
    {
        string forced = ChatTemplate.RenderToolCallPrefix("clock");

        var (text, pipeline) = Run(forced, "oops");

        Assert.AreEqual("", text, "tool-call markup is never shown while tools are offered");
        Assert.AreEqual(forced + "oops", pipeline.MalformedToolCalls.Single());
    }

    [TestMethod]
    public void MalformedBlock_ClosedMidAnswer_FlaggedNeverShown_TextAroundItShown()
    {
        var (text, pipeline) = Run("", "Sure. <longcat_tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 3, \"51}}\n</longcat_tool_call> Done.");

        Assert.AreEqual("Sure.  Done.", text);
        StringAssert.StartsWith(pipeline.MalformedToolCalls.Single(), "<longcat_tool_call>");
    }
}
