using System.Globalization;
using System.Text.Json;
using LongCat.Sdk.Templates;

namespace LongCat.Sdk.Tests.Templates;

/// <summary>The interpreter feature by feature: small templates rendered by jinja2 (conformance/interpreter.cases.json),
/// errors at load and at render, undefined semantics, and the plain-text ranges of message content.</summary>
[TestClass]
public sealed class JinjaTemplateTests
{
    private static string CasesFile => Path.Combine(AppContext.BaseDirectory, "Templates", "conformance", "interpreter.cases.json");

    public static IEnumerable<object[]> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CasesFile));
        int i = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            yield return [i++, c.GetProperty("template").GetString()!];
    }

    public static string CaseName(System.Reflection.MethodInfo m, object[] args) => $"interpreter case {args[0]}: {args[1]}";

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void Render_FeatureTemplate_MatchesJinja2(int index, string source)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CasesFile));
        var root = doc.RootElement;
        var c = root.GetProperty("cases")[index];
        var variables = root.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => TemplateValues.FromJson(p.Value));
        var now = DateTime.Parse(root.GetProperty("now").GetString()!, CultureInfo.InvariantCulture);

        var rendering = JinjaTemplate.Parse(source).Render(variables, now);

        ChatTemplateConformanceTests.AssertSameText(c.GetProperty("output").GetString()!, rendering.Text, source);
    }

    private static string Render(string source, Dictionary<string, object?>? variables = null) =>
        JinjaTemplate.Parse(source).Render(variables ?? []).Text;

    [TestMethod]
    public void Parse_UnsupportedTag_ThrowsNamingTheTagAndLine()
    {
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => JinjaTemplate.Parse("line one\n{% if x %}\n{% include 'other.jinja' %}\n{% endif %}"));

        Assert.AreEqual(3, e.Line);
        StringAssert.Contains(e.Message, "line 3");
        StringAssert.Contains(e.Message, "'include'");
    }

    [TestMethod]
    public void Parse_UnsupportedFilter_ThrowsNamingTheFilterAndLine()
    {
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => JinjaTemplate.Parse("{{ x }}\n\n{{ x | urlencode }}"));

        Assert.AreEqual(3, e.Line);
        StringAssert.Contains(e.Message, "filter 'urlencode'");
    }

    [TestMethod]
    public void UnknownFilterInsideIf_IsARuntimeError_OnlyWhenTheBranchRuns()
    {
        // jinja2 compiles an unknown filter directly inside an if to a runtime failure (DeepSeek-V3.2 guards from_json so).
        var template = JinjaTemplate.Parse("{% if s is string %}{{ s | from_json }}{% else %}ok{% endif %}");

        Assert.AreEqual("ok", template.Render(new Dictionary<string, object?> { ["s"] = 1L }).Text);
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => template.Render(new Dictionary<string, object?> { ["s"] = "{}" }));
        Assert.AreEqual("No filter named 'from_json' found.", e.Message);
        Assert.ThrowsExactly<ChatTemplateException>(() => JinjaTemplate.Parse("{% if x %}{% for i in x %}{{ i | from_json }}{% endfor %}{% endif %}"));
    }

    [TestMethod]
    public void Parse_UnclosedBlock_ThrowsSayingWhatWasExpected()
    {
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => JinjaTemplate.Parse("{% for m in messages %}\n{{ m }}"));

        StringAssert.Contains(e.Message, "'endfor'");
    }

    [TestMethod]
    public void Render_RaiseException_SurfacesTheTemplatesMessage_WithTheLine()
    {
        var template = JinjaTemplate.Parse("ok\n{% if messages|length == 0 %}\n{{ raise_exception('Conversation is empty!') }}\n{% endif %}");

        var e = Assert.ThrowsExactly<ChatTemplateException>(() => template.Render(new Dictionary<string, object?> { ["messages"] = new List<object?>() }));

        Assert.AreEqual("Conversation is empty!", e.Message);
        Assert.AreEqual(3, e.Line);
    }

    [TestMethod]
    public void Render_Undefined_PrintsNothing_IsFalse_IteratesEmpty_HasLengthZero()
    {
        Assert.AreEqual("[]|F|0|", Render("[{{ nope }}]|{{ 'T' if nope else 'F' }}|{{ nope | length }}|{% for x in nope %}x{% endfor %}"));
    }

    [TestMethod]
    public void Render_AttributeOfUndefined_FailsAsJinja2Does()
    {
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => Render("{{ nope.attr }}"));
        Assert.AreEqual("'nope' is undefined", e.Message);

        var d = new Dictionary<string, object?> { ["d"] = TemplateValues.FromJson(JsonDocument.Parse("{\"a\": 1}").RootElement) };
        e = Assert.ThrowsExactly<ChatTemplateException>(() => Render("{{ d.b.c }}", d));
        Assert.AreEqual("'dict object' has no attribute 'b'", e.Message);
    }

    [TestMethod]
    public void Render_PythonTypeErrors_CarryPythonsMessages()
    {
        Assert.AreEqual("can only concatenate str (not \"int\") to str", Assert.ThrowsExactly<ChatTemplateException>(() => Render("{{ 'a' + 1 }}")).Message);
        Assert.AreEqual("argument of type 'NoneType' is not iterable", Assert.ThrowsExactly<ChatTemplateException>(() => Render("{{ 'a' in none }}")).Message);
        Assert.AreEqual("access to attribute 'append' of 'list' object is unsafe.",
            Assert.ThrowsExactly<ChatTemplateException>(() => Render("{% set l = [] %}{{ l.append(1) }}")).Message);
    }

    [TestMethod]
    public void Render_MessageContent_IsReportedAsPlainText_ThroughConcatenationSlicingAndTrim()
    {
        var messages = JsonDocument.Parse("""[{"role": "user", "content": "  <|im_end|> hi  "}, {"role": "assistant", "content": "ok"}]""").RootElement;
        var template = JinjaTemplate.Parse(
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ (m.content | trim)[0:10] + '!' }}<|im_end|>\n{% endfor %}");

        var rendering = template.Render(JinjaTemplate.ChatVariables(messages, null, addGenerationPrompt: false));

        Assert.AreEqual("<|im_start|>user\n<|im_end|>!<|im_end|>\n<|im_start|>assistant\nok!<|im_end|>\n", rendering.Text);
        var plain = rendering.PlainTextRanges.Select(r => rendering.Text[r]).ToList();
        CollectionAssert.AreEqual(new[] { "<|im_end|>", "ok" }, plain);
    }

    [TestMethod]
    public void Render_PlainTextMark_SurvivesReplaceAndSplit_ButNotTheInsertedText()
    {
        var vars = new Dictionary<string, object?> { ["c"] = MarkedString.Whole("a</think>b") };

        var rendering = JinjaTemplate.Parse("{{ c.split('</think>')[-1] }}|{{ c | replace('</think>', '<X>') }}").Render(vars);

        Assert.AreEqual("b|a<X>b", rendering.Text);
        CollectionAssert.AreEqual(new[] { "b", "a", "b" }, rendering.PlainTextRanges.Select(r => rendering.Text[r]).ToList());
    }

    [TestMethod]
    public void Render_ToJsonOfMarkedStrings_MarksTheStringLiterals()
    {
        var vars = new Dictionary<string, object?> { ["c"] = MarkedString.Whole("x\"y") };

        var rendering = JinjaTemplate.Parse("{{ {'k': c} | tojson }}").Render(vars);

        Assert.AreEqual("{\"k\": \"x\\\"y\"}", rendering.Text);
        CollectionAssert.AreEqual(new[] { "\"x\\\"y\"" }, rendering.PlainTextRanges.Select(r => rendering.Text[r]).ToList());
    }

    [TestMethod]
    public void Render_TemplateText_IsNeverPlain()
    {
        var rendering = JinjaTemplate.Parse("<s>{{ 'literal' }}</s>").Render(new Dictionary<string, object?>());

        Assert.IsEmpty(rendering.PlainTextRanges);
    }
}
