using System.Text;
using LongCat.Sdk.Structured;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>The grammar of a 2601 XML tool call's body: offered names, the schema's keys in order, values typed as the reader
/// reads them; everything it accepts parses to a call whose arguments have the schema's types.</summary>
[TestClass]
public sealed class XmlToolCallGrammarTests
{
    private static readonly ToolDefinition[] Tools =
    [
        ToolDefinition.Create("Reminder-Create", "Create a reminder.", """
            {"type": "object", "properties": {"minutes": {"type": "integer"}, "message": {"type": "string"},
             "options": {"type": "object", "properties": {"repeat": {"type": "boolean"}}, "required": ["repeat"], "additionalProperties": false}},
             "required": ["minutes", "message"]}
            """),
        ToolDefinition.Create("Clock-Now", "The time.", "{}"),
    ];

    private static string Pair(string key, string value) => $"<longcat_arg_key>{key}</longcat_arg_key>\n<longcat_arg_value>{value}</longcat_arg_value>\n";

    [TestMethod]
    public void Grammar_AcceptsTypedCallsAndRejectsTheRest()
    {
        var grammar = JsonSchemaCompiler.XmlToolCalls(Tools);
        string[] valid =
        [
            "Reminder-Create\n" + Pair("minutes", "15") + Pair("message", "pray at 5 > 4"),
            "Reminder-Create\n" + Pair("minutes", "-2") + Pair("message", "") + Pair("options", "{\"repeat\": true}"),
            "Clock-Now\n",
        ];
        string[] invalid =
        [
            "Reminder-Create\n" + Pair("minutes", "fifteen") + Pair("message", "pray"),               // not an integer
            "Reminder-Create\n" + Pair("message", "pray") + Pair("minutes", "15"),                    // out of the schema's order
            "Reminder-Create\n" + Pair("minutes", "15"),                                              // a required key missing
            "Reminder-Create\n" + Pair("minutes", "15") + Pair("message", "a <b> c"),                 // '<' in raw text
            "Reminder-Create\n" + Pair("minutes", "15") + Pair("message", "x") + Pair("options", "{}"), // the object's required key
            "Reminder-Create\n" + Pair("minutes", "15") + Pair("message", "x") + Pair("color", "red"),  // not a parameter
            "Clock-Later\n",
        ];
        foreach (string text in valid)
        {
            Assert.IsTrue(GrammarMatcher.Matches(grammar, Encoding.UTF8.GetBytes(text)), text);
            Assert.IsTrue(XmlToolCallReader.TryReadCall(text, Tools, out _), "what the grammar accepts, the reader reads: " + text);
        }
        foreach (string text in invalid) Assert.IsFalse(GrammarMatcher.Matches(grammar, Encoding.UTF8.GetBytes(text)), text);
    }

    [TestMethod]
    public void Grammar_ParameterNameThatCannotBeWritten_NamesTheTool()
    {
        var e = Assert.ThrowsExactly<JsonSchemaException>(() => JsonSchemaCompiler.XmlToolCalls(
            [ToolDefinition.Create("f", "d", """{"type": "object", "properties": {"a<b": {"type": "string"}}}""")]));
        StringAssert.Contains(e.Message, "tool 'f'");
    }
}
