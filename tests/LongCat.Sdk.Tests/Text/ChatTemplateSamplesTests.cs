using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// The conversations the demo model was trained on were rendered by its Python trainer (tools/train-demo-model); this
/// checks that <see cref="ChatTemplate.Render"/> writes the same bytes for the samples it exported
/// (models/longcat-demo/template_samples.json), so prompts at inference match the training format exactly.
/// </summary>
[TestClass]
public sealed class ChatTemplateSamplesTests
{
    private const string SamplesFile = "template_samples.json";

    public static IEnumerable<object[]> Cases()
    {
        var path = SamplesPath();
        if (path is null) yield break;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        int i = 0;
        foreach (var c in doc.RootElement.EnumerateArray())
            yield return [i++, c.GetProperty("name").GetString()!];
    }

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) => $"{m.Name}({args[1]})";

    [TestMethod]
    public void Samples_FileIsPresent_WithCases()
    {
        if (Fixtures.RepoRoot() is null) Assert.Inconclusive("not run from inside the repository");
        Assert.IsNotNull(SamplesPath(), $"models/longcat-demo/{SamplesFile} is missing");
        Assert.IsGreaterThanOrEqualTo(5, Cases().Count(), "template samples");
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void Render_TrainerSample_MatchesPythonRenderingByteForByte(int index, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SamplesPath()!));
        var c = doc.RootElement[index];
        var messages = c.GetProperty("messages").EnumerateArray().Select(ReadMessage).ToList();
        var tools = c.GetProperty("tools") is { ValueKind: JsonValueKind.Array } t ? t.EnumerateArray().Select(ReadTool).ToList() : null;
        bool addGenerationPrompt = c.GetProperty("add_generation_prompt").GetBoolean();

        string rendered = ChatTemplate.Render(messages, tools, addGenerationPrompt);

        Assert.AreEqual(c.GetProperty("expected").GetString(), rendered, $"template sample '{name}'");
    }

    private static string? SamplesPath()
    {
        var root = Fixtures.RepoRoot();
        if (root is null) return null;
        var path = Path.Combine(root, "models", "longcat-demo", SamplesFile);
        return File.Exists(path) ? path : null;
    }

    private static LongCatMessage ReadMessage(JsonElement m)
    {
        var role = m.GetProperty("role").GetString() switch
        {
            "system" => LongCatRole.System,
            "user" => LongCatRole.User,
            "assistant" => LongCatRole.Assistant,
            "tool" => LongCatRole.Tool,
            var r => throw new InvalidDataException($"unknown role '{r}' in {SamplesFile}"),
        };
        var calls = m.TryGetProperty("tool_calls", out var tc)
            ? tc.EnumerateArray().Select(x => new ToolCall(x.GetProperty("name").GetString()!, x.GetProperty("arguments").GetRawText())).ToList()
            : null;
        return new LongCatMessage(role, m.GetProperty("content").GetString()!) { ToolCalls = calls };
    }

    private static ToolDefinition ReadTool(JsonElement t) =>
        new(t.GetProperty("name").GetString()!, t.GetProperty("description").GetString()!, t.GetProperty("parameters").Clone());
}
