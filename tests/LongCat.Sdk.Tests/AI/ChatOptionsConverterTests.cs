using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.Tests.AI;

[TestClass]
public sealed class ChatOptionsConverterTests
{
    [TestMethod]
    public void ToGenerationOptions_TypedOptions_MapOneToOne()
    {
        var options = new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.9f, TopK = 40, MaxOutputTokens = 77, PresencePenalty = 0.5f, FrequencyPenalty = -0.25f,
            Seed = 1234, StopSequences = ["\n\n", "END"],
            AdditionalProperties = new() { ["min_p"] = 0.05, ["repetition_penalty"] = "1.1" },
        };

        var g = ChatOptionsConverter.ToGenerationOptions(options);

        Assert.AreEqual(0.3f, g.Temperature);
        Assert.AreEqual(0.9f, g.TopP);
        Assert.AreEqual(40, g.TopK);
        Assert.AreEqual(77, g.MaxTokens);
        Assert.AreEqual(0.5f, g.PresencePenalty);
        Assert.AreEqual(-0.25f, g.FrequencyPenalty);
        Assert.AreEqual(1234, g.Seed);
        CollectionAssert.AreEqual(new[] { "\n\n", "END" }, g.StopSequences.ToArray());
        Assert.AreEqual(0.05f, g.MinP, 1e-7f);
        Assert.AreEqual(1.1f, g.RepetitionPenalty, 1e-6f);
        Assert.IsNull(g.Tools);
    }

    [TestMethod]
    public void ToGenerationOptions_UnsetOptions_KeepTheDefaults()
    {
        var defaults = new GenerationOptions { Temperature = 0, MaxTokens = 9, MinP = 0.2f, StopSequences = ["##"] };

        var g = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { TopK = 5, StopSequences = ["END"] }, defaults);

        Assert.AreEqual(0f, g.Temperature);
        Assert.AreEqual(9, g.MaxTokens);
        Assert.AreEqual(0.2f, g.MinP);
        Assert.AreEqual(5, g.TopK);
        CollectionAssert.AreEqual(new[] { "##", "END" }, g.StopSequences.ToArray());
    }

    [TestMethod]
    public void ToGenerationOptions_JsonElementProperty_IsRead()
    {
        var options = new ChatOptions { AdditionalProperties = new() { ["min_p"] = JsonDocument.Parse("0.125").RootElement } };

        Assert.AreEqual(0.125f, ChatOptionsConverter.ToGenerationOptions(options).MinP);
    }

    [TestMethod]
    public void ToGenerationOptions_NonNumericProperty_ThrowsNamingTheKey()
    {
        var options = new ChatOptions { AdditionalProperties = new() { ["repetition_penalty"] = "strong" } };

        var e = Assert.ThrowsExactly<ArgumentException>(() => ChatOptionsConverter.ToGenerationOptions(options));

        StringAssert.Contains(e.Message, "repetition_penalty");
    }

    [TestMethod]
    public void FoldSeed_KeepsIntSeedsAndFoldsLongOnesDeterministically()
    {
        Assert.AreEqual(-5, ChatOptionsConverter.FoldSeed(-5));
        Assert.AreEqual(int.MaxValue, ChatOptionsConverter.FoldSeed(int.MaxValue));
        long big = 0x1_0000_0003L;
        Assert.AreEqual(2, ChatOptionsConverter.FoldSeed(big));   // 0x00000003 ^ 0x00000001
    }

    [TestMethod]
    public void ToGenerationOptions_FunctionsAndToolModes_BecomeToolsAndToolChoice()
    {
        var add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");
        var now = AIFunctionFactory.Create(() => "12:00", "clock", "The time.");

        var auto = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { Tools = [add, now] });
        var none = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { Tools = [add], ToolMode = ChatToolMode.None });
        var any = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { Tools = [add], ToolMode = ChatToolMode.RequireAny });
        var one = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { Tools = [add, now], ToolMode = ChatToolMode.RequireSpecific("clock") });

        Assert.AreEqual(2, auto.Tools!.Count);
        Assert.AreEqual("add", auto.Tools[0].Name);
        Assert.AreEqual("Adds two integers.", auto.Tools[0].Description);
        Assert.AreEqual(JsonValueKind.Object, auto.Tools[0].Parameters.GetProperty("properties").GetProperty("a").ValueKind);
        Assert.AreEqual(ToolChoice.Auto, auto.ToolChoice);
        Assert.AreEqual(ToolChoice.None, none.ToolChoice);
        Assert.AreEqual(ToolChoice.Required(), any.ToolChoice);
        Assert.AreEqual(ToolChoice.Required("clock"), one.ToolChoice);
        one.Validate();
    }

    [TestMethod]
    public void ToToolDefinition_HostedTool_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ChatOptionsConverter.ToToolDefinition(new HostedCodeInterpreterTool()));

        StringAssert.Contains(e.Message, "HostedCodeInterpreterTool");
    }

    [TestMethod]
    public void ResponseFormat_JsonAndSchema_BecomeTheConstraint_TextDoesNot()
    {
        var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""").RootElement;

        Assert.IsNull(ChatOptionsConverter.ToGenerationOptions(new ChatOptions { ResponseFormat = ChatResponseFormat.Text }).Constraint);
        Assert.AreEqual(OutputConstraintKind.Json, ChatOptionsConverter.ToGenerationOptions(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }).Constraint!.Kind);
        var c = ChatOptionsConverter.ToGenerationOptions(new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "r") }).Constraint!;
        Assert.AreEqual(OutputConstraintKind.JsonSchema, c.Kind);
        StringAssert.Contains(c.Text, "\"required\":[\"n\"]");
    }

    [TestMethod]
    public void ToGenerationOptions_ThinkingSettings()
    {
        var g = ChatOptionsConverter.ToGenerationOptions(new ChatOptions
        {
            AdditionalProperties = new()
            {
                ["enable_thinking"] = JsonDocument.Parse("false").RootElement, ["thinking_budget"] = "16", ["heavy_thinking"] = 4L,
                ["chat_template_kwargs"] = JsonDocument.Parse("{\"save_history_reasoning_content\": true}").RootElement,
            },
        });

        Assert.IsFalse(g.EnableThinking);
        Assert.AreEqual(16, g.ThinkingBudget);
        Assert.AreEqual(4, g.HeavyThinking!.Paths);
        Assert.IsTrue(((JsonElement)g.ChatTemplateArguments!["save_history_reasoning_content"]!).GetBoolean());
    }

    [TestMethod]
    [DataRow(ReasoningEffort.None, false)]
    [DataRow(ReasoningEffort.Low, true)]
    [DataRow(ReasoningEffort.High, true)]
    public void ToGenerationOptions_ReasoningEffort_TurnsThinkingOnOrOff(ReasoningEffort effort, bool thinking)
    {
        Assert.AreEqual(thinking, ChatOptionsConverter.ToGenerationOptions(new ChatOptions { Reasoning = new ReasoningOptions { Effort = effort } }).EnableThinking);
        Assert.IsNull(ChatOptionsConverter.ToGenerationOptions(new ChatOptions()).EnableThinking, "unset: the template's default");
        Assert.IsTrue(ChatOptionsConverter.ToGenerationOptions(new ChatOptions
        {
            Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None }, AdditionalProperties = new() { ["enable_thinking"] = true },
        }).EnableThinking, "enable_thinking wins");
    }

    [TestMethod]
    [DataRow("enable_thinking", "maybe")]
    [DataRow("thinking_budget", "many")]
    [DataRow("heavy_thinking", 2.5)]
    [DataRow("chat_template_kwargs", "x=1")]
    public void ToGenerationOptions_BadThinkingSetting_NamesTheKey(string key, object value)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ChatOptionsConverter.ToGenerationOptions(new ChatOptions { AdditionalProperties = new() { [key] = value } }));
        StringAssert.Contains(e.Message, key);
    }
}
