using System.Text.Json;
using LongCat.Sdk.Server;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Server;

/// <summary>The response objects as written, for what the demo model never produces: a thinking model's reasoning
/// (<c>reasoning_content</c>, as vLLM and SGLang return it) and several tool calls.</summary>
[TestClass]
public sealed class ChatCompletionJsonTests
{
    private static readonly ChatCompletionJson Json = new("chatcmpl-1", 1700000000, "m");

    private static JsonElement Write(Action<Utf8JsonWriter> write) => JsonDocument.Parse(ResponseJson.Write(write)).RootElement;

    [TestMethod]
    public void Completion_CarriesReasoningApartFromContent_AndToolCallsWithIds()
    {
        var choice = new ChoiceResult();
        choice.Add(new GenerationUpdate { Reasoning = "Paris is UTC+1. ", Text = "" });
        choice.Add(new GenerationUpdate
        {
            FinishReason = FinishReason.ToolCalls,
            ToolCalls = [new ToolCall("clock", """{"city":"Paris"}"""), new ToolCall("clock", """{"city":"Rome"}""")],
            Usage = new GenerationUsage(10, 7, TimeSpan.FromMilliseconds(5), 100) { ReasoningTokens = 4 },
        });
        var usage = new UsageTotals(new ServerMetrics());
        usage.Add(choice.Usage!);

        var root = Write(w => Json.WriteCompletion(w, [choice], usage));

        var message = root.GetProperty("choices")[0].GetProperty("message");
        Assert.AreEqual(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.AreEqual("Paris is UTC+1. ", message.GetProperty("reasoning_content").GetString());
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.AreEqual(2, calls.Count);
        Assert.AreNotEqual(calls[0].GetProperty("id").GetString(), calls[1].GetProperty("id").GetString());
        StringAssert.StartsWith(calls[0].GetProperty("id").GetString(), "call_");
        Assert.AreEqual("""{"city":"Rome"}""", calls[1].GetProperty("function").GetProperty("arguments").GetString());
        Assert.AreEqual("tool_calls", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.AreEqual(4, root.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [TestMethod]
    [DataRow("\n", true)]
    [DataRow(" \n ", true)]
    [DataRow("Checking. ", false)]
    public void Completion_WithToolCalls_HasNullContentUnlessItHoldsAnAnswer(string text, bool isNull)
    {
        // The thinking model writes "\n" between its reasoning and its call block: that is not an answer.
        var choice = new ChoiceResult();
        choice.Add(new GenerationUpdate { Text = text });
        choice.Add(new GenerationUpdate
        {
            FinishReason = FinishReason.ToolCalls,
            ToolCalls = [new ToolCall("clock", "{}")],
            Usage = new GenerationUsage(3, 2, TimeSpan.FromMilliseconds(1), 100),
        });
        var usage = new UsageTotals(new ServerMetrics());
        usage.Add(choice.Usage!);

        var content = Write(w => Json.WriteCompletion(w, [choice], usage)).GetProperty("choices")[0].GetProperty("message").GetProperty("content");

        if (isNull) Assert.AreEqual(JsonValueKind.Null, content.ValueKind);
        else Assert.AreEqual(text, content.GetString());
    }

    [TestMethod]
    public void Chunk_CarriesAReasoningDelta_AndUsageNullWhenAsked()
    {
        var root = Write(w => Json.WriteChunk(w, 1, role: false, content: null, reasoning: "think", toolCalls: null, finish: null, usageNull: true));

        var choice = root.GetProperty("choices")[0];
        Assert.AreEqual(1, choice.GetProperty("index").GetInt32());
        Assert.AreEqual("think", choice.GetProperty("delta").GetProperty("reasoning_content").GetString());
        Assert.IsFalse(choice.GetProperty("delta").TryGetProperty("content", out _));
        Assert.AreEqual(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
        Assert.AreEqual(JsonValueKind.Null, root.GetProperty("usage").ValueKind);
        Assert.AreEqual("chat.completion.chunk", root.GetProperty("object").GetString());
    }

    [TestMethod]
    public void MalformedToolCall_GoesBackAsText()
    {
        var choice = new ChoiceResult();
        choice.Add(new GenerationUpdate { Text = "Sure. ", FinishReason = FinishReason.Stop, MalformedToolCalls = ["<longcat_tool_call>{\"name\": </longcat_tool_call>"] });

        Assert.AreEqual("Sure. <longcat_tool_call>{\"name\": </longcat_tool_call>", choice.Text.ToString());
        Assert.AreEqual("stop", ChoiceResult.FinishName(choice.FinishReason!.Value));
    }
}
