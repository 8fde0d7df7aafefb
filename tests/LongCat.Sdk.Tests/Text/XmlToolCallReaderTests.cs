using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The 2601 XML tool-call body: names, pairs, values typed by the tool's schema (LONGCAT-THINKING.md §6.2).</summary>
[TestClass]
public sealed class XmlToolCallReaderTests
{
    private static readonly ToolDefinition[] Tools =
    [
        ToolDefinition.Create("Reminder-Create", "Create a reminder.", """
            {"type": "object", "properties": {"minutes": {"type": "integer"}, "message": {"type": "string"},
             "options": {"type": "object"}, "note": {"type": ["string", "null"]}}}
            """),
    ];

    private static ToolCall Read(string body)
    {
        Assert.IsTrue(XmlToolCallReader.TryReadCall(body, Tools, out var call), body);
        return call;
    }

    private static string Pair(string key, string value) => $"<longcat_arg_key>{key}</longcat_arg_key>\n<longcat_arg_value>{value}</longcat_arg_value>\n";

    [TestMethod]
    public void TryReadCall_IntStringAndObject_TypedFromTheSchema()
    {
        var call = Read("Reminder-Create\n" + Pair("minutes", "15") + Pair("message", "pray") + Pair("options", "{\"repeat\": false, \"sound\": \"bell\"}"));

        Assert.AreEqual("Reminder-Create", call.Name);
        Assert.AreEqual("{\"minutes\":15,\"message\":\"pray\",\"options\":{\"repeat\":false,\"sound\":\"bell\"}}", call.ArgumentsJson);
    }

    [TestMethod]
    [DataRow("message", "42", "\"42\"")]                         // a string parameter keeps digits as text
    [DataRow("note", "null", "\"null\"")]                        // string-or-null: text
    [DataRow("minutes", "True", "true")]                         // Python literal
    [DataRow("options", "{'a': (1, 2), 'b': None}", "{\"a\":[1,2],\"b\":null}")]
    [DataRow("unknown", "[1, 2]", "[1,2]")]                      // not in the schema: JSON first
    [DataRow("unknown", "hello world", "\"hello world\"")]       // ...else text
    [DataRow("message", "  line one\nline two  ", "\"line one\\nline two\"")]
    [DataRow("message", "a \"quoted\" <b>", "\"a \\\"quoted\\\" <b>\"")]
    public void TryReadCall_Values(string key, string value, string json)
    {
        Assert.AreEqual("{\"" + key + "\":" + json + "}", Read("Reminder-Create\n" + Pair(key, value)).ArgumentsJson);
    }

    [TestMethod]
    [DataRow("Reminder-Create\n")]
    [DataRow("Reminder-Create")]
    [DataRow("  Reminder-Create  \n\n")]
    public void TryReadCall_NoArguments_IsAnEmptyObject(string body)
    {
        Assert.AreEqual("{}", Read(body).ArgumentsJson);
    }

    [TestMethod]
    public void TryReadCall_MissingCloseTags_SettledByTheNextTag()
    {
        var call = Read("Reminder-Create\n<longcat_arg_key>minutes<longcat_arg_value>5\n<longcat_arg_key>message</longcat_arg_key><longcat_arg_value>go");

        Assert.AreEqual("{\"minutes\":5,\"message\":\"go\"}", call.ArgumentsJson);
    }

    [TestMethod]
    public void TryReadCall_JsonBody_ReadAsTheJsonFormat()
    {
        Assert.AreEqual("{\"minutes\":3}", Read("\n{\"name\": \"Reminder-Create\", \"arguments\": {\"minutes\": 3}}\n").ArgumentsJson);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("\n" + "<longcat_arg_key>a</longcat_arg_key><longcat_arg_value>1</longcat_arg_value>")]  // no name
    [DataRow("f\njunk<longcat_arg_key>a</longcat_arg_key><longcat_arg_value>1</longcat_arg_value>")]   // text between pairs
    [DataRow("f\n<longcat_arg_key>a</longcat_arg_key>")]                                                  // key without value
    [DataRow("f\n<longcat_arg_key></longcat_arg_key><longcat_arg_value>1</longcat_arg_value>")]         // empty key
    [DataRow("f\n<longcat_arg_key>a</longcat_arg_key><longcat_arg_value>1</longcat_arg_value><longcat_arg_key>a</longcat_arg_key><longcat_arg_value>2</longcat_arg_value>")]
    [DataRow("f\nx\n<longcat_arg_key>a</longcat_arg_key><longcat_arg_value>1</longcat_arg_value>")]   // a name over two lines
    public void TryReadCall_Malformed_IsNotACall(string body)
    {
        Assert.IsFalse(XmlToolCallReader.TryReadCall(body, Tools, out _), body);
    }

    [TestMethod]
    public void Parse_XmlReader_CallsAndContent()
    {
        string text = "Let me set it.\n<longcat_tool_call>Reminder-Create\n" + Pair("minutes", "15") + "</longcat_tool_call>\n";

        var result = ToolCallParser.Parse(text, ToolCallSyntax.Xml.Reader(Tools));

        Assert.AreEqual("Let me set it.\n\n", result.Content);
        Assert.AreEqual("{\"minutes\":15}", result.ToolCalls.Single().ArgumentsJson);
        Assert.IsFalse(result.HasMalformed);
    }

    [TestMethod]
    public void StreamFilter_XmlReader_MatchesParse()
    {
        string text = "<longcat_tool_call>Reminder-Create\n" + Pair("message", "pray") + "</longcat_tool_call>\n<longcat_tool_call>\nbad\nname</longcat_tool_call>";
        var reader = ToolCallSyntax.Xml.Reader(Tools);
        var filter = new ToolCallStreamFilter(holdMalformed: false, reader);
        var shown = string.Concat(text.Select(c => filter.Push(c.ToString()))) + filter.Flush();

        var parsed = ToolCallParser.Parse(text, reader);
        Assert.AreEqual(parsed.Content, shown);
        Assert.AreEqual("{\"message\":\"pray\"}", filter.ToolCalls.Single().ArgumentsJson);
        Assert.AreEqual(1, filter.Malformed.Count);
    }

    [TestMethod]
    [DataRow("True", "true")]
    [DataRow("-12", "-12")]
    [DataRow("1.5e3", "1500")]
    [DataRow("'it\\'s'", "\"it's\"")]
    [DataRow("[1, 'a', None, False]", "[1,\"a\",null,false]")]
    [DataRow("{1: 'x'}", "{\"1\":\"x\"}")]
    [DataRow("()", "[]")]
    [DataRow("12345678901234567890123", "12345678901234567890123")]
    public void PythonLiteral_ToJson(string literal, string json)
    {
        Assert.AreEqual(json, PythonLiteral.TryToJson(literal));
    }

    [TestMethod]
    [DataRow("Truee")]
    [DataRow("'open")]
    [DataRow("[1, 2")]
    [DataRow("{'a' 1}")]
    [DataRow("1 2")]
    [DataRow("os.system('x')")]
    public void PythonLiteral_NotALiteral_IsNull(string text)
    {
        Assert.IsNull(PythonLiteral.TryToJson(text));
    }

    [TestMethod]
    public void PythonLiteral_DeepNesting_IsRefusedNotAStackOverflow()
    {
        Assert.IsNull(PythonLiteral.TryToJson(new string('[', 100_000)));
    }
}
