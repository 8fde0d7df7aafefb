using System.Globalization;
using System.Text.Json;
using LongCat.Sdk.Templates;

namespace LongCat.Sdk.Tests.Templates;

/// <summary>
/// Every (template, conversation) pair of the conformance corpus renders byte for byte as Python's jinja2 rendered it in
/// transformers' environment (tests/LongCat.Sdk.Tests/Templates/conformance, made by tools/chat-templates/generate.py); where
/// jinja2 raised, the interpreter raises <see cref="ChatTemplateException"/> with the same message.
/// </summary>
[TestClass]
public sealed class ChatTemplateConformanceTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Templates", "conformance");

    public static IEnumerable<object[]> Cases()
    {
        foreach (var file in Directory.EnumerateFiles(Folder, "*.expected.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            int i = 0;
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
                yield return [Path.GetFileName(file), i++, c.GetProperty("name").GetString()!];
        }
    }

    public static string CaseName(System.Reflection.MethodInfo m, object[] args) => $"{((string)args[0]).Replace(".expected.json", "")}: {args[2]}";

    [TestMethod]
    public void Corpus_CoversEveryTemplate_WithExpectations()
    {
        var templates = Directory.EnumerateFiles(Path.Combine(Folder, "templates"), "*.jinja").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.IsGreaterThanOrEqualTo(5, templates.Count);
        foreach (var t in templates)
            Assert.IsTrue(File.Exists(Path.Combine(Folder, $"{t}.expected.json")), $"{t}.expected.json is missing: run tools/chat-templates/generate.py");
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(CaseName))]
    public void Render_CorpusConversation_MatchesJinja2ByteForByte(string file, int index, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, file)));
        var root = doc.RootElement;
        var c = root.GetProperty("cases")[index];
        var template = JinjaTemplate.Parse(File.ReadAllText(Path.Combine(Folder, "templates", root.GetProperty("template").GetString()!)));
        var now = DateTime.Parse(root.GetProperty("now").GetString()!, CultureInfo.InvariantCulture);
        var extra = c.GetProperty("kwargs").EnumerateObject().ToDictionary(p => p.Name, p => TemplateValues.FromJson(p.Value));
        var variables = JinjaTemplate.ChatVariables(c.GetProperty("messages"), c.GetProperty("tools"), c.GetProperty("add_generation_prompt").GetBoolean(), extra);

        if (c.TryGetProperty("error", out var error))
        {
            var e = Assert.ThrowsExactly<ChatTemplateException>(() => template.Render(variables, now), $"{file} {name}");
            Assert.AreEqual(error.GetString(), e.Message, $"{file} {name}");
            return;
        }

        var rendering = template.Render(variables, now);
        AssertSameText(c.GetProperty("output").GetString()!, rendering.Text, $"{file} {name}");
    }

    /// <summary>Fails naming the first differing offset with the text around it on both sides.</summary>
    internal static void AssertSameText(string expected, string actual, string what)
    {
        if (expected == actual) return;
        int at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        static string Around(string s, int at) => JsonSerializer.Serialize(s.Substring(Math.Max(0, at - 40), Math.Min(s.Length, at + 40) - Math.Max(0, at - 40)), TemplateTestJson.Default.String);
        Assert.Fail($"{what}: first difference at offset {at} (expected length {expected.Length}, actual {actual.Length})\n" +
                    $"expected: {Around(expected, at)}\nactual:   {Around(actual, at)}");
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TemplateTestJson : System.Text.Json.Serialization.JsonSerializerContext;
