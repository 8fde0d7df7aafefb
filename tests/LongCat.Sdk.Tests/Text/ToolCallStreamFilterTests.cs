using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Streaming text with tool-call blocks held back and captured.</summary>
[TestClass]
public sealed class ToolCallStreamFilterTests
{
    [TestMethod]
    public void Push_TagSplitAcrossDeltas_IsNeverShown()
    {
        var filter = new ToolCallStreamFilter();
        string[] deltas = ["Sure.<longc", "at_tool_", "call>\n{\"name\": \"f\", ", "\"arguments\": {\"x\": 1}}\n</longcat_", "tool_call> ok"];

        string[] shown = deltas.Select(filter.Push).ToArray();

        CollectionAssert.AreEqual(new[] { "Sure.", "", "", "", " ok" }, shown);
        Assert.AreEqual("", filter.Flush());
        Assert.AreEqual(new ToolCall("f", "{\"x\":1}"), filter.ToolCalls.Single());
        Assert.IsFalse(filter.HasMalformed);
    }

    [TestMethod]
    public void Push_PlainLessThan_IsReleasedOnceItCannotBeATag()
    {
        var filter = new ToolCallStreamFilter();

        Assert.AreEqual("a ", filter.Push("a <"));
        Assert.AreEqual("< b", filter.Push(" b"));
        Assert.AreEqual("x ", filter.Push("x <longcat_"));
        Assert.AreEqual("<longcat_toolbox", filter.Push("toolbox"));
        Assert.AreEqual(0, filter.ToolCalls.Count);
    }

    [TestMethod]
    public void Flush_HeldTagPrefix_IsReleasedAsText()
    {
        var filter = new ToolCallStreamFilter();

        Assert.AreEqual("end ", filter.Push("end <longcat_tool"));
        Assert.AreEqual("<longcat_tool", filter.Flush());
    }

    [TestMethod]
    public void Flush_UnterminatedBlock_IsReleasedAsTextAndFlagged()
    {
        var filter = new ToolCallStreamFilter();

        Assert.AreEqual("x", filter.Push("x<longcat_tool_call>{\"name\": "));
        Assert.IsTrue(filter.InToolCall);
        Assert.AreEqual("", filter.Push("\"f\""));

        Assert.AreEqual("<longcat_tool_call>{\"name\": \"f\"", filter.Flush());
        Assert.IsTrue(filter.HasMalformed);
        Assert.AreEqual(0, filter.ToolCalls.Count);
    }

    [TestMethod]
    public void Push_MalformedBlock_IsReleasedAsTextWhenItCloses()
    {
        var filter = new ToolCallStreamFilter();

        Assert.AreEqual("", filter.Push("<longcat_tool_call>{bad"));
        Assert.AreEqual("<longcat_tool_call>{bad}</longcat_tool_call>!", filter.Push("}</longcat_tool_call>!"));
        Assert.IsTrue(filter.HasMalformed);
    }

    [TestMethod]
    public void Push_AnySplitOfAText_EmitsExactlyTheParsersContentAndCalls()
    {
        const string text = "Hi <b> <longcat_tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": \"<x>\"}}\n</longcat_tool_call>" +
                            "<longcat_tool_call>{broken}</longcat_tool_call> mid <longcat_tool_call>{\"name\": \"b\"}</longcat_tool_call> tail <longcat_";
        var expected = ToolCallParser.Parse(text);
        var random = new Random(1234);

        for (int trial = 0; trial < 200; trial++)
        {
            var filter = new ToolCallStreamFilter();
            var shown = new System.Text.StringBuilder();
            for (int pos = 0; pos < text.Length;)
            {
                int length = Math.Min(text.Length - pos, 1 + random.Next(trial % 2 == 0 ? 4 : 30));
                shown.Append(filter.Push(text.Substring(pos, length)));
                pos += length;
            }
            shown.Append(filter.Flush());

            Assert.AreEqual(expected.Content, shown.ToString(), $"trial {trial}");
            CollectionAssert.AreEqual(expected.ToolCalls.ToArray(), filter.ToolCalls.ToArray(), $"trial {trial}");
            CollectionAssert.AreEqual(expected.Malformed.ToArray(), filter.Malformed.ToArray(), $"trial {trial}");
        }
    }
}
