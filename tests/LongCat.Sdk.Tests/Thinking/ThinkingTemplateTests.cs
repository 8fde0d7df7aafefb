using System.Text.Json;
using LongCat.Sdk.Templates;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Thinking;

/// <summary>
/// The thinking demo model's chat template (the 2601 format): the interpreter renders every sample byte for byte as jinja2 did
/// (template_samples.json, written by its trainer with Python's jinja2), the engine's path (messages as LongCatMessages) renders
/// the same, and the documented 2601 strings (LONGCAT-THINKING.md §3.2) come out exactly.
/// </summary>
[TestClass]
public sealed class ThinkingTemplateTests
{
    private static string Model => TestModels.RequireThinkingDemo();

    private static JsonElement[] Samples()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "template_samples.json")));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static Dictionary<string, object?> Kwargs(JsonElement sample) =>
        sample.GetProperty("kwargs").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);

    private static string TemplateSource()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "tokenizer_config.json")));
        return doc.RootElement.GetProperty("chat_template").GetString()!;
    }

    [TestMethod]
    public void Interpreter_EverySample_AsJinja2RenderedIt()
    {
        var template = JinjaTemplate.Parse(TemplateSource());
        var samples = Samples();
        Assert.IsGreaterThanOrEqualTo(15, samples.Length);
        foreach (var sample in samples)
        {
            string name = sample.GetProperty("name").GetString()!;
            var tools = sample.GetProperty("tools");
            var extra = Kwargs(sample).ToDictionary(p => p.Key, p => p.Value is JsonElement e ? TemplateValues.FromJson(e) : p.Value);
            var variables = JinjaTemplate.ChatVariables(sample.GetProperty("messages"), tools, sample.GetProperty("add_generation_prompt").GetBoolean(), extra);
            if (sample.TryGetProperty("error", out var error))
            {
                var e = Assert.ThrowsExactly<ChatTemplateException>(() => template.Render(variables), name);
                Assert.AreEqual(error.GetString(), e.Message, name);
            }
            else Assert.AreEqual(sample.GetProperty("expected").GetString(), template.Render(variables).Text, name);
        }
    }

    [TestMethod]
    public void Engine_SamplesAsLongCatMessages_RenderTheSame()
    {
        var format = ChatFormat.Load(Model);
        Assert.AreEqual(ToolCallSyntax.Xml, format.ToolSyntax);
        int checkedSamples = 0;
        // Samples an OpenAI-shape request can carry (content as text; the template also renders a tool result given as an object).
        foreach (var sample in Samples().Where(s => s.TryGetProperty("expected", out _)
                     && s.GetProperty("messages").EnumerateArray().All(m => !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.Object)))
        {
            var messages = OpenAIChatJson.ParseMessages(sample.GetProperty("messages"));
            var tools = sample.GetProperty("tools") is { ValueKind: JsonValueKind.Array } t ? OpenAIChatJson.ParseTools(t) : null;
            var text = format.Render(messages, tools, sample.GetProperty("add_generation_prompt").GetBoolean(), enableThinking: null, Kwargs(sample)).Text;
            Assert.AreEqual(sample.GetProperty("expected").GetString(), text, sample.GetProperty("name").GetString());
            checkedSamples++;
        }
        Assert.IsGreaterThanOrEqualTo(12, checkedSamples);
    }

    [TestMethod]
    public void Render_TheReadmeExample_IsTheDocumentedString()
    {
        // LONGCAT-THINKING.md §3.2 [V], with the period the README's printing dropped.
        var text = ChatFormat.Load(Model).Render(
            [
                LongCatMessage.System("You are a helpful assistant."),
                LongCatMessage.User("Please tell me what is $$1 + 1$$ and $$2 \\times 2$$?"),
                LongCatMessage.Assistant("The answers are 2 and 4."),
                LongCatMessage.User("Check again?"),
            ], enableThinking: true, arguments: new Dictionary<string, object?> { ["save_history_reasoning_content"] = false }).Text;

        Assert.AreEqual("<longcat_system>You are a helpful assistant.<longcat_user>Please tell me what is $$1 + 1$$ and $$2 \\times 2$$?" +
                        "<longcat_assistant>The answers are 2 and 4.</longcat_s><longcat_user>Check again? /think_on <longcat_assistant><longcat_think>\n", text);
    }

    [TestMethod]
    public void Render_ToolLoopInTheCurrentTurn_IsSection33sShape()
    {
        var tools = new[] { ToolDefinition.Create("func_add", "Add two numbers.", """{"type": "object", "properties": {"x1": {"type": "integer"}, "x2": {"type": "integer"}}}""") };
        var text = ChatFormat.Load(Model).Render(
            [
                LongCatMessage.System("You are a helpful assistant."),
                LongCatMessage.User("What is 125679 + 234519?"),
                LongCatMessage.Assistant("", [new ToolCall("func_add", "{\"x1\": 125679, \"x2\": 234519}")]) with { Reasoning = "I will use func_add." },
                LongCatMessage.ToolResult("func_add", "{\"ans\": 360198}"),
            ], tools, enableThinking: true).Text;

        StringAssert.StartsWith(text, "<longcat_tool_declare>\n# Tools\nYou have access to the following tools:\n\n## Tool namespace: function\n\n### Tool name: func_add\n");
        StringAssert.EndsWith(text,
            "</longcat_tool_declare><longcat_system>You are a helpful assistant.<longcat_user>What is 125679 + 234519? /think_on <longcat_assistant><longcat_think>\n" +
            "I will use func_add.\n</longcat_think>\n<longcat_tool_call>func_add\n" +
            "<longcat_arg_key>x1</longcat_arg_key>\n<longcat_arg_value>125679</longcat_arg_value>\n" +
            "<longcat_arg_key>x2</longcat_arg_key>\n<longcat_arg_value>234519</longcat_arg_value>\n" +
            "</longcat_tool_call>\n</longcat_s><longcat_observation><longcat_tool_response>func_add\n{\"ans\": 360198}</longcat_tool_response> /think_on <longcat_assistant><longcat_think>\n");
    }
}
