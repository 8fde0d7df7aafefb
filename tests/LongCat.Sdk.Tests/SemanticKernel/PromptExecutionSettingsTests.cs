using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.SemanticKernel;
using Microsoft.SemanticKernel;

namespace LongCat.Sdk.Tests.SemanticKernel;

[TestClass]
public sealed class PromptExecutionSettingsTests
{
    [TestMethod]
    public void FromExecutionSettings_PlainSettingsWithExtensionData_SetTheTypedProperties()
    {
        var plain = new PromptExecutionSettings
        {
            ServiceId = "local",
            FunctionChoiceBehavior = FunctionChoiceBehavior.Required(),
            ExtensionData = new Dictionary<string, object>
            {
                ["temperature"] = 0.2, ["top_p"] = 0.8f, ["top_k"] = 12, ["min_p"] = "0.05", ["max_tokens"] = "64",
                ["stop_sequences"] = new[] { "END" }, ["seed"] = 42L, ["presence_penalty"] = 0.1, ["frequency_penalty"] = 0.3,
                ["repetition_penalty"] = 1.2, ["custom"] = "kept",
            },
        };

        var s = LongCatPromptExecutionSettings.FromExecutionSettings(plain);

        Assert.AreEqual(0.2f, s.Temperature);
        Assert.AreEqual(0.8f, s.TopP);
        Assert.AreEqual(12, s.TopK);
        Assert.AreEqual(0.05f, s.MinP);
        Assert.AreEqual(64, s.MaxTokens);
        CollectionAssert.AreEqual(new[] { "END" }, s.StopSequences!.ToArray());
        Assert.AreEqual(42L, s.Seed);
        Assert.AreEqual(0.1f, s.PresencePenalty);
        Assert.AreEqual(0.3f, s.FrequencyPenalty);
        Assert.AreEqual(1.2f, s.RepetitionPenalty);
        Assert.AreEqual("local", s.ServiceId);
        Assert.AreSame(plain.FunctionChoiceBehavior, s.FunctionChoiceBehavior);
        Assert.AreEqual("kept", ((JsonElement)s.ExtensionData!["custom"]).GetString());
    }

    [TestMethod]
    public void FromExecutionSettings_SettingsReadFromJson_AsPromptTemplatesCarryThem()
    {
        var plain = JsonSerializer.Deserialize<PromptExecutionSettings>("""{"model_id": "m", "Temperature": 0, "MAX_TOKENS": 5}""")!;

        var s = LongCatPromptExecutionSettings.FromExecutionSettings(plain);

        Assert.AreEqual(0f, s.Temperature);
        Assert.AreEqual(5, s.MaxTokens);
        Assert.AreEqual("m", s.ModelId);
    }

    [TestMethod]
    public void FromExecutionSettings_WrongType_ThrowsNamingTheSetting()
    {
        var plain = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["max_tokens"] = "many" } };

        var e = Assert.ThrowsExactly<ArgumentException>(() => LongCatPromptExecutionSettings.FromExecutionSettings(plain));

        StringAssert.Contains(e.Message, "max_tokens");
    }

    [TestMethod]
    public void FromExecutionSettings_LongCatSettings_AreReturnedAsIs()
    {
        var s = new LongCatPromptExecutionSettings { TopK = 3 };

        Assert.AreSame(s, LongCatPromptExecutionSettings.FromExecutionSettings(s));
        Assert.IsNull(LongCatPromptExecutionSettings.FromExecutionSettings(null).Temperature);
    }

    [TestMethod]
    public void Freeze_ThenSet_Throws()
    {
        var s = new LongCatPromptExecutionSettings { StopSequences = ["a"] };
        s.Freeze();

        Assert.ThrowsExactly<InvalidOperationException>(() => s.Temperature = 1);
        Assert.IsFalse(((LongCatPromptExecutionSettings)s.Clone()).IsFrozen);
    }

    [TestMethod]
    public void ToGenerationOptions_ThroughSemanticKernelsChatOptions_EqualsTheDirectMapping()
    {
        // The chat service hands settings to Semantic Kernel, which turns them into ChatOptions by name; the text service maps
        // them directly. Both paths must give the engine the same options.
        var s = new LongCatPromptExecutionSettings
        {
            Temperature = 0.4f, TopP = 0.7f, TopK = 8, MinP = 0.1f, MaxTokens = 33, StopSequences = ["X"], Seed = 9,
            PresencePenalty = 0.2f, FrequencyPenalty = 0.1f, RepetitionPenalty = 1.3f,
        };

        var direct = s.ToGenerationOptions(null);
        var viaSk = ChatOptionsConverter.ToGenerationOptions(s.ToChatOptions(kernel: null));

        Assert.AreEqual(direct with { StopSequences = [] }, viaSk with { StopSequences = [] });
        CollectionAssert.AreEqual(direct.StopSequences.ToArray(), viaSk.StopSequences.ToArray());
        Assert.AreEqual(0.1f, viaSk.MinP, 1e-6f);
        Assert.AreEqual(1.3f, viaSk.RepetitionPenalty, 1e-6f);
    }

    public sealed record Reply(string Text, int Score);

    public static IEnumerable<object?[]> ResponseFormats =>
    [
        ["json_object", null],
        [JsonDocument.Parse("\"json_object\"").RootElement, null],
        [JsonDocument.Parse("""{"type":"json_object"}""").RootElement, null],
        [JsonDocument.Parse("""{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}""").RootElement, "\"a\":{\"type\":\"integer\"}"],
        ["""{"type":"object","properties":{"a":{"type":"integer"}}}""", "\"a\":{\"type\":\"integer\"}"],
        [typeof(Reply), "score"],
    ];

    [TestMethod]
    [DynamicData(nameof(ResponseFormats))]
    public void ResponseFormat_EveryShapeSemanticKernelUses_BecomesTheEnginesConstraint(object format, string? schemaHolds)
    {
        var settings = new LongCatPromptExecutionSettings { ResponseFormat = format };

        var constraint = settings.ToGenerationOptions(null).Constraint;

        Assert.IsNotNull(constraint);
        Assert.AreEqual(schemaHolds is null ? OutputConstraintKind.Json : OutputConstraintKind.JsonSchema, constraint.Kind);
        if (schemaHolds is not null)
            Assert.IsTrue(constraint.Text.Replace(" ", "").Contains(schemaHolds, StringComparison.OrdinalIgnoreCase), constraint.Text);
    }

    [TestMethod]
    public void ResponseFormat_TextOrNone_IsUnconstrained()
    {
        Assert.IsNull(new LongCatPromptExecutionSettings { ResponseFormat = "text" }.ToGenerationOptions(null).Constraint);
        Assert.IsNull(new LongCatPromptExecutionSettings().ToGenerationOptions(null).Constraint);
    }

    [TestMethod]
    public void ResponseFormat_InExtensionDataOfPlainSettings_IsRead()
    {
        var plain = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["response_format"] = "json_object", ["temperature"] = 0.1 } };

        var s = LongCatPromptExecutionSettings.FromExecutionSettings(plain);

        Assert.AreEqual("json_object", s.ResponseFormat);
        Assert.AreEqual(0.1f, s.Temperature);
        Assert.AreEqual(OutputConstraintKind.Json, s.ToGenerationOptions(null).Constraint!.Kind);
    }

    [TestMethod]
    public void ResponseFormat_NotAFormat_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new LongCatPromptExecutionSettings { ResponseFormat = "yaml please" }.ToGenerationOptions(null));

        StringAssert.Contains(e.Message, "response_format");
    }
}
