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
        var pipeline = new OutputPipeline(tokenizer, [], parseToolCalls: true);
        var text = new System.Text.StringBuilder();
        foreach (int id in tokenizer.Encode(forced).Concat(tokenizer.Encode(generated))) text.Append(pipeline.Push(id).Text);
        text.Append(pipeline.Finish());
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
    public void ForcedOpening_ModelNeverClosesTheBlock_ShownAsTextAndFlagged()
    {
        string forced = ChatTemplate.RenderToolCallPrefix("clock");

        var (text, pipeline) = Run(forced, "oops");

        Assert.AreEqual(forced + "oops", text);
        Assert.AreEqual(forced + "oops", pipeline.MalformedToolCalls.Single());
    }
}
