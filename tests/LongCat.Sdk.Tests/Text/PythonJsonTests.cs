using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The JSON writer matches Python's json.dumps byte for byte. Expected strings were printed by Python 3's json module.</summary>
[TestClass]
public sealed class PythonJsonTests
{
    private static string Dump(string json, JsonStyle style)
    {
        using var doc = JsonDocument.Parse(json);
        return PythonJson.Serialize(doc.RootElement, style);
    }

    [TestMethod]
    public void Indent2_Schema_MatchesPythonJsonDumps()
    {
        // python3: json.dumps(json.loads(SCHEMA), indent=2)
        const string schema = """{"type": "object", "properties": {"city": {"type": "string", "description": "City name, e.g. Z\u00fcrich \u2603"}, "days": {"type": "integer", "minimum": 1, "maximum": 7.0, "default": 1e-5}, "units": {"type": "string", "enum": ["c", "f"]}, "extra": {}}, "required": ["city"]}""";
        const string expected =
            "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"city\": {\n      \"type\": \"string\",\n" +
            "      \"description\": \"City name, e.g. Z\\u00fcrich \\u2603\"\n    },\n    \"days\": {\n" +
            "      \"type\": \"integer\",\n      \"minimum\": 1,\n      \"maximum\": 7.0,\n      \"default\": 1e-05\n    },\n" +
            "    \"units\": {\n      \"type\": \"string\",\n      \"enum\": [\n        \"c\",\n        \"f\"\n      ]\n    },\n" +
            "    \"extra\": {}\n  },\n  \"required\": [\n    \"city\"\n  ]\n}";

        Assert.AreEqual(expected, Dump(schema, JsonStyle.PythonIndent2));
    }

    [TestMethod]
    public void Indent2_NumbersAndEscapes_MatchPythonReprAndEnsureAscii()
    {
        const string json = """{"s":"tab\tq\"\\ \u007f \u0001 \ud83d\ude00 \u00e9","n":[0,-0,1.0,1e16,1E15,0.0001,1e-5,-2.5e-7,123456789012345678901234567890,1e400,0.1,100.0,1.7976931348623157e308, 3.14159265358979]}""";
        const string expected =
            "{\n  \"s\": \"tab\\tq\\\"\\\\ \\u007f \\u0001 \\ud83d\\ude00 \\u00e9\",\n  \"n\": [\n    0,\n    0,\n    1.0,\n    1e+16,\n" +
            "    1000000000000000.0,\n    0.0001,\n    1e-05,\n    -2.5e-07,\n    123456789012345678901234567890,\n    Infinity,\n" +
            "    0.1,\n    100.0,\n    1.7976931348623157e+308,\n    3.14159265358979\n  ]\n}";

        Assert.AreEqual(expected, Dump(json, JsonStyle.PythonIndent2));
    }

    [TestMethod]
    public void Inline_WithoutEnsureAscii_KeepsUnicodeAndUsesCommaSpaceSeparators()
    {
        // python3: json.dumps(json.loads(...), ensure_ascii=False)
        const string json = """{"s":"tab\tq\"\\ \u007f \u0001 \ud83d\ude00 \u00e9","a":[1,2.50,null,true,{}],"e":[]}""";
        const string expected = "{\"s\": \"tab\\tq\\\"\\\\ \u007f \\u0001 😀 é\", \"a\": [1, 2.5, null, true, {}], \"e\": []}";

        Assert.AreEqual(expected, Dump(json, JsonStyle.PythonInline));
    }

    [TestMethod]
    public void Compact_KeepsNumberTextAndDropsWhitespace()
    {
        Assert.AreEqual("{\"x\":[1.50,1e2,-0],\"y\":{\"z\":\"Zürich\"}}", Dump("{ \"x\" : [1.50, 1e2, -0], \"y\": {\"z\": \"Zürich\"} }", JsonStyle.Compact));
    }

    [TestMethod]
    public void RepeatedKey_KeepsFirstPositionAndLastValue_LikeAPythonDict()
    {
        // python3: json.dumps(json.loads('{"a":1,"b":2,"a":3}')) == '{"a": 3, "b": 2}'
        Assert.AreEqual("{\"a\": 3, \"b\": 2}", Dump("{\"a\":1,\"b\":2,\"a\":3}", JsonStyle.PythonInline));
    }

    [TestMethod]
    public void Indent2_NestedEmptyContainers_StayOnOneLine()
    {
        Assert.AreEqual("[\n  [],\n  {}\n]", Dump("[[],{}]", JsonStyle.PythonIndent2));
        Assert.AreEqual("\"x\"", Dump("\"x\"", JsonStyle.PythonIndent2));
    }

    [TestMethod]
    [DataRow("-0.0", "-0.0")]
    [DataRow("0e0", "0.0")]
    [DataRow("5e-324", "5e-324")]
    [DataRow("123456789.125", "123456789.125")]
    [DataRow("9999999999999998e0", "9999999999999998.0")]
    [DataRow("1.5e300", "1.5e+300")]
    [DataRow("-1e400", "-Infinity")]
    [DataRow("0.00012", "0.00012")]
    [DataRow("0.000012", "1.2e-05")]
    public void PythonNumber_FloatLiteral_FormatsAsPythonRepr(string raw, string expected)
    {
        // Each expected value is repr(json.loads(raw)) in Python 3 (json.dumps writes inf as Infinity).
        Assert.AreEqual(expected, PythonJson.PythonNumber(raw));
    }
}
