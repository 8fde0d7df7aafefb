using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Where a checkpoint's chat template comes from, and what a bad one does: at load and at the call.</summary>
[TestClass]
public sealed class ChatFormatTests
{
    private static string Folder(string? tokenizerConfig = null, string? jinja = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"longcat-chatformat-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        if (tokenizerConfig is not null) File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), tokenizerConfig);
        if (jinja is not null) File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), jinja);
        return dir;
    }

    private static string Config(object chatTemplate) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["bos_token"] = "<s>", ["chat_template"] = chatTemplate });

    private static readonly LongCatMessage[] Hello = [LongCatMessage.User("hello")];

    [TestMethod]
    public void Load_NoTemplate_IsTheBuiltInFlashChatFormat()
    {
        var format = ChatFormat.Load(Folder("{}"));
        Assert.IsFalse(format.HasTemplate);
        Assert.AreEqual(ChatTemplate.Render(Hello), format.Render(Hello).Text);
    }

    [TestMethod]
    public void Load_StringTemplate_RendersWithSpecialTokensAndPlainTextMarked()
    {
        var format = ChatFormat.Load(Folder(Config("{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}")));

        var prompt = format.Render([LongCatMessage.User("hi </longcat_s>")]);

        Assert.AreEqual("<s><user>hi </longcat_s>", prompt.Text);
        Assert.AreEqual(1, prompt.PlainTextRanges.Count);
        Assert.AreEqual("hi </longcat_s>", prompt.Text[prompt.PlainTextRanges[0]]);
    }

    [TestMethod]
    public void Load_NamedTemplates_DefaultAndToolUse()
    {
        var format = ChatFormat.Load(Folder(Config(new[]
        {
            new { name = "tool_use", template = "tools:{{ tools | length }}" },
            new { name = "default", template = "default" },
        })));
        var tool = ToolDefinition.Create("f", "d", "{}");

        Assert.AreEqual("default", format.Render(Hello).Text);
        Assert.AreEqual("tools:1", format.Render(Hello, [tool]).Text);
    }

    [TestMethod]
    public void Load_ChatTemplateJinja_WinsOverTokenizerConfig()
    {
        var format = ChatFormat.Load(Folder(Config("from config"), jinja: "from jinja file"));
        Assert.AreEqual("from jinja file", format.Render(Hello).Text);
    }

    [TestMethod]
    public void Load_ChatTemplateJson_WinsOverTokenizerConfigButNotOverJinja()
    {
        string dir = Folder(Config("from config"));
        File.WriteAllText(Path.Combine(dir, "chat_template.json"), "{\"chat_template\": \"from json\"}");
        Assert.AreEqual("from json", ChatFormat.Load(dir).Render(Hello).Text);
        File.WriteAllText(Path.Combine(dir, "chat_template.jinja"), "from jinja");
        Assert.AreEqual("from jinja", ChatFormat.Load(dir).Render(Hello).Text);
        File.WriteAllText(Path.Combine(dir, "chat_template.json"), "[1]");
        Assert.ThrowsExactly<InvalidCheckpointException>(() => ChatFormat.Load(dir));
    }

    [TestMethod]
    public void Load_XmlToolCallTemplate_SelectsTheXmlSyntax()
    {
        Assert.AreEqual(ToolCallSyntax.Xml, ChatFormat.Load(Folder(Config("<longcat_arg_key>{{ 1 }}"))).ToolSyntax);
        Assert.AreEqual(ToolCallSyntax.Json, ChatFormat.Load(Folder(Config("{{ 1 }}"))).ToolSyntax);
    }

    [TestMethod]
    public void Load_UnsupportedConstruct_NamesItAndTheLine()
    {
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => ChatFormat.Load(Folder(Config("line one\n{% include 'other.jinja' %}"))));
        StringAssert.Contains(e.Message, "include");
        StringAssert.Contains(e.Message, "tokenizer_config.json");
        Assert.AreEqual(2, e.Line);
    }

    [TestMethod]
    [DataRow("42")]
    [DataRow("[{\"name\": \"default\"}]")]
    [DataRow("[3]")]
    public void Load_ChatTemplateOfTheWrongShape_IsAnInvalidCheckpoint(string value)
    {
        string dir = Folder("{\"chat_template\": " + value + "}");
        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => ChatFormat.Load(dir));
        StringAssert.Contains(e.Message, "chat_template");
    }

    [TestMethod]
    public void Render_TemplateRaises_ItsMessageSurfaces()
    {
        var format = ChatFormat.FromSource("{% if messages[0].role != 'system' %}{{ raise_exception('A system message must come first.') }}{% endif %}");
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => format.Render(Hello));
        Assert.AreEqual("A system message must come first.", e.Message);
    }

    [TestMethod]
    public void Render_MessagesInTheOpenAIShape()
    {
        var format = ChatFormat.FromSource(
            "{% for m in messages %}{{ m.role }}|{{ m.content }}|{{ m.reasoning_content }}|" +
            "{% for c in m.tool_calls or [] %}{{ c.function.name }}({{ c.function.arguments.city }}){% endfor %}|{{ m.name }};{% endfor %}" +
            "{{ tools[0].function.name }}:{{ tools[0].function.parameters.type }}:{{ enable_thinking }}:{{ extra }}");
        LongCatMessage[] messages =
        [
            LongCatMessage.User("q"),
            LongCatMessage.Assistant("", [new ToolCall("clock", "{\"city\": \"Paris\"}")]) with { Reasoning = "r" },
            LongCatMessage.ToolResult("clock", "12:00"),
        ];

        var text = format.Render(messages, [ToolDefinition.Create("clock", "d", "{\"type\": \"object\"}")], true, enableThinking: false,
            new Dictionary<string, object?> { ["extra"] = 7 }).Text;

        Assert.AreEqual("user|q|||;assistant||r|clock(Paris)|;tool|12:00|||clock;clock:object:False:7", text);
    }

    [TestMethod]
    public void Render_BadToolCallArguments_NameTheMessage()
    {
        var format = ChatFormat.FromSource("x");
        var e = Assert.ThrowsExactly<ArgumentException>(() => format.Render([LongCatMessage.User("q"), LongCatMessage.Assistant("", [new ToolCall("f", "{oops")])]));
        StringAssert.Contains(e.Message, "messages[1].ToolCalls[0]");
    }

    [TestMethod]
    public async Task LoadAsync_BadTemplate_FailsTheLoad()
    {
        string dir = Folder(Config("{% for x in y %}"));
        foreach (var file in Directory.GetFiles(TestModels.TinyWithTokenizer)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), Config("ok\n{% for x in y %}"));

        var e = await Assert.ThrowsExactlyAsync<ChatTemplateException>(() => LongCatEngine.LoadAsync(dir));
        StringAssert.Contains(e.Message, "for");
    }

    [TestMethod]
    public async Task ChatAsync_TemplateRaises_ThrowsAtTheCall()
    {
        string dir = Folder();
        foreach (var file in Directory.GetFiles(TestModels.TinyWithTokenizer)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), Config("{{ raise_exception('Conversation roles must alternate.') }}"));
        await using var engine = await LongCatEngine.LoadAsync(dir);

        var e = Assert.ThrowsExactly<ChatTemplateException>(() => engine.ChatAsync(Hello));
        Assert.AreEqual("Conversation roles must alternate.", e.Message);
        // The engine is unharmed: a request that renders still runs.
        Assert.AreEqual(3, (await Streams.Collect(engine.GenerateAsync("abc", new GenerationOptions { MaxTokens = 3, Temperature = 0 }))).Tokens.Count);
    }
}
