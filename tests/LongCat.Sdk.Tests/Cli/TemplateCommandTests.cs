using LongCat.Cli;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Cli;

/// <summary><c>longcat template</c>: the exact prompt, nothing added.</summary>
[TestClass]
public sealed class TemplateCommandTests
{
    private static string File(string name, string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"longcat-template-{Guid.NewGuid():N}-{name}");
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        int code = Commands.Template(new CliArgs(args, Help.Switches), output);
        return (code, output.ToString());
    }

    private const string MessagesJson = """
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What time is it in Paris?"},
         {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "clock", "arguments": {"city": "Paris"}}}]},
         {"role": "tool", "name": "clock", "content": "12:00"}]
        """;

    private const string ToolsJson = """
        [{"type": "function", "function": {"name": "clock", "description": "The time in a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        """;

    [TestMethod]
    public void Template_DemoModel_PrintsExactlyWhatTheEngineFeedsIt()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var messages = OpenAIChatJson.ParseMessages(System.Text.Json.JsonDocument.Parse(MessagesJson).RootElement);
        var tools = OpenAIChatJson.ParseTools(System.Text.Json.JsonDocument.Parse(ToolsJson).RootElement);

        var (code, output) = Run("--model", model, "--messages", File("m.json", MessagesJson), "--tools", File("t.json", ToolsJson));

        Assert.AreEqual(0, code);
        Assert.AreEqual(ChatFormat.Load(model).Render(messages, tools).Text, output);
        StringAssert.EndsWith(output, "</longcat_tool_response> ASSISTANT:", "no newline added");
    }

    [TestMethod]
    public void Template_GivenTemplateAndOptions()
    {
        string template = File("t.jinja", "{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{{ add_generation_prompt }}/{{ enable_thinking }}/{{ mode }}");

        var (code, output) = Run("--template", template, "--messages", File("m.json", "[{\"role\": \"user\", \"content\": \"hi\"}]"),
            "--no-generation-prompt", "--enable-thinking", "false", "--kwargs", File("k.json", "{\"mode\": \"fast\"}"));

        Assert.AreEqual(0, code);
        Assert.AreEqual("[user:hi]False/False/fast", output);
    }

    [TestMethod]
    public void Template_NoMessages_IsAUsageError()
    {
        Assert.ThrowsExactly<UsageException>(() => Run("--template", File("t.jinja", "x")));
        Assert.ThrowsExactly<UsageException>(() => Run("--template", File("t.jinja", "x"), "--messages", "/nonexistent/m.json"));
        Assert.ThrowsExactly<UsageException>(() => Run("--template", File("t.jinja", "x"), "--messages", File("m.json", "[]"), "--enable-thinking", "maybe"));
    }

    [TestMethod]
    public void Template_BadMessages_NamesTheField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Run("--template", File("t.jinja", "x"), "--messages", File("m.json", "[{\"role\": \"user\", \"content\": 1}]")));
        StringAssert.Contains(e.Message, "--messages[0].content");
    }
}
