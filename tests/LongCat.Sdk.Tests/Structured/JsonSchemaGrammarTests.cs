using System.Text;
using System.Text.Json;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>The compiled automaton of each keyword accepts the hand-written valid texts and rejects the invalid ones.</summary>
[TestClass]
public sealed class JsonSchemaGrammarTests
{
    internal static CompiledGrammar Compile(string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return JsonSchemaCompiler.Compile(document.RootElement);
    }

    private static void Check(string schema, string[] valid, string[] invalid)
    {
        var grammar = Compile(schema);
        foreach (string text in valid) Assert.IsTrue(GrammarMatcher.Matches(grammar, Encoding.UTF8.GetBytes(text)), $"{schema} should accept {text}");
        foreach (string text in invalid) Assert.IsFalse(GrammarMatcher.Matches(grammar, Encoding.UTF8.GetBytes(text)), $"{schema} should reject {text}");
    }

    [TestMethod]
    public void TrueAndEmptySchema_AcceptAnyJsonValue_RejectWhitespaceAndJunk()
    {
        string[] valid = ["{}", "[]", "null", "true", "-0.5e+1", "\"a\\u00e9\\n\"", "{\"a\":[1,{\"b\":null}],\"c\": \"x\"}", "[1, 2,3]", "\"é中😀\""];
        string[] invalid = ["", " 1", "1 ", "{\"a\" :1}", "[1,]", "{,}", "01", "\"\\ud800\"", "\"a\nb\"", "tru", "nul", "{\"a\":1}x"];
        Check("true", valid, invalid);
        Check("{}", valid, invalid);
    }

    [TestMethod]
    public void Type_NameOrList_AcceptsOnlyThoseTypes()
    {
        Check("{\"type\":\"null\"}", ["null"], ["0", "\"null\""]);
        Check("{\"type\":\"boolean\"}", ["true", "false"], ["1", "null"]);
        Check("{\"type\":[\"string\",\"null\"]}", ["null", "\"x\""], ["1", "{}"]);
        Check("{\"type\":\"integer\"}", ["0", "-7", "9999999999999999", "-9999999999999999"], ["1.5", "1e3", "-0", "007", "+1", "10000000000000000"]);
        Check("{\"type\":\"number\"}", ["0", "-7.25", "1e3", "2.5E-7", "-0.5"], ["1.", ".5", "--1", "1e", "1e10", "0.1234567890123"]);
    }

    [TestMethod]
    public void Object_PropertiesInDeclaredOrder_RequiredPresentOptionalSkippable()
    {
        const string schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"},\"c\":{\"type\":\"boolean\"}},\"required\":[\"b\"]}";
        Check(schema,
            ["{\"b\":\"x\"}", "{\"a\":1,\"b\":\"\"}", "{\"a\": 1, \"b\": \"y\", \"c\": true}", "{\"b\":\"x\",\"c\":false}"],
            ["{}", "{\"a\":1}", "{\"b\":\"x\",\"a\":1}", "{\"b\":\"x\",\"d\":1}", "{\"b\":1}", "{\"b\":\"x\",}", "{\"b\":\"x\",\"b\":\"y\"}", "{ \"b\":\"x\"}", "{\"b\":\"x\"  ,\"c\":true}"]);
    }

    [TestMethod]
    public void Object_AdditionalProperties_AfterDeclaredOnesAndNeverADeclaredName()
    {
        Check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"additionalProperties\":{\"type\":\"string\"}}",
            ["{}", "{\"a\":1,\"x\":\"s\",\"y\":\"t\"}", "{\"x\":\"s\"}"],
            ["{\"x\":1}", "{\"a\":\"s\"}", "{\"x\":\"s\",\"a\":1}", "{\"a\":1,\"a\":2}"]);
        Check("{\"type\":\"object\",\"additionalProperties\":false}", ["{}"], ["{\"x\":1}"]);
        Check("{\"type\":\"object\"}", ["{}", "{\"k\":[1,2],\"l\":{}}"], ["[]"]);
        Check("{\"type\":\"object\",\"properties\":{\"a\":{}}}", ["{}", "{\"a\":[]}"], ["{\"b\":1}"]);
        Check("{\"type\":\"object\",\"required\":[\"id\"],\"additionalProperties\":{\"type\":\"integer\"}}", ["{\"id\":3}"], ["{}", "{\"id\":\"x\"}"]);
    }

    [TestMethod]
    public void Array_ItemsAndCounts_Enforced()
    {
        const string schema = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}";
        Check(schema, ["[1]", "[1,2]", "[1, 2, 3]"], ["[]", "[1,2,3,4]", "[\"a\"]", "[1,]"]);
        Check("{\"type\":\"array\",\"maxItems\":0}", ["[]"], ["[1]"]);
        Check("{\"type\":\"array\"}", ["[]", "[1,\"a\",null,[{}]]"], ["[,]"]);
        Check("{\"type\":\"array\",\"items\":false}", ["[]"], ["[1]"]);
    }

    [TestMethod]
    public void String_Lengths_CountCharactersNotBytes_NoCombiningMarks()
    {
        const string schema = "{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}";
        Check(schema, ["\"ab\"", "\"abc\"", "\"é中\"", "\"a\\n\"", "\"\\\"\\\\\""], ["\"a\"", "\"abcd\"", "\"\"", "\"a\\u0041\"", "\"a\r\"", "\"😀😀\"", "\"e\u0301x\""]);
    }

    [TestMethod]
    public void EnumAndConst_AnyJsonValues_FilteredBySiblingKeywords()
    {
        Check("{\"enum\":[\"red\",\"green\",1,null,{\"a\":[true]}]}", ["\"red\"", "\"green\"", "1", "null", "{\"a\":[true]}"], ["\"blue\"", "\"re\"", "2", "{\"a\":[false]}"]);
        Check("{\"const\":\"x\\\"y\"}", ["\"x\\\"y\""], ["\"xy\""]);
        Check("{\"type\":\"string\",\"enum\":[\"a\",\"bb\",3],\"maxLength\":1}", ["\"a\""], ["\"bb\"", "3"]);
    }

    [TestMethod]
    public void String_Pattern_SearchesUnlessAnchored()
    {
        Check("{\"type\":\"string\",\"pattern\":\"^[a-z]+[0-9]{2,3}$\"}", ["\"ab12\"", "\"x999\""], ["\"ab1\"", "\"AB12\"", "\"ab1234\"", "\"ab12 \""]);
        Check("{\"type\":\"string\",\"pattern\":\"ab\"}", ["\"ab\"", "\"xxabyy\"", "\"\\\"ab\""], ["\"a b\"", "\"\""]);
        Check("{\"type\":\"string\",\"pattern\":\"^(cat|dog)s?$\"}", ["\"cat\"", "\"dogs\""], ["\"cats!\"", "\"bird\""]);
        Check("{\"type\":\"string\",\"pattern\":\"^\\\\d\\\\w\\\\s.[^a-c]$\"}", ["\"1a x9\"", "\"0_\\tzz\""], ["\"1a xa\"", "\"1a \\nz\""]);
        Check("{\"type\":\"string\",\"pattern\":\"^a\\\\.b\\\\\\\\c\\\"$\"}", ["\"a.b\\\\c\\\"\""], ["\"axb\\\\c\\\"\""]);
        Check("{\"type\":\"string\",\"pattern\":\"^x*$\",\"maxLength\":2}", ["\"\"", "\"xx\""], ["\"xxx\""]);
    }

    [TestMethod]
    public void String_Formats_DateTimeUuidEmailEnforced_OthersIgnored()
    {
        Check("{\"type\":\"string\",\"format\":\"date\"}", ["\"2024-02-28\"", "\"0001-12-31\""], ["\"2024-02-30\"", "\"2024-13-01\"", "\"0000-01-01\"", "\"24-01-01\""]);
        Check("{\"type\":\"string\",\"format\":\"time\"}", ["\"23:59:59Z\"", "\"00:00:00.123+05:30\""], ["\"24:00:00Z\"", "\"12:00:00\"", "\"12:60:00Z\""]);
        Check("{\"type\":\"string\",\"format\":\"date-time\"}", ["\"2024-01-31T12:00:00Z\""], ["\"2024-01-31 12:00:00Z\""]);
        Check("{\"type\":\"string\",\"format\":\"uuid\"}", ["\"123e4567-e89b-12d3-a456-426614174000\""], ["\"123e4567e89b12d3a456426614174000\""]);
        Check("{\"type\":\"string\",\"format\":\"email\"}", ["\"a.b+c@example.com\""], ["\"a..b@example.com\"", "\"@example.com\"", "\"a@b\""]);
        Check("{\"type\":\"string\",\"format\":\"hostname\"}", ["\"anything at all\""], ["1"]);
    }

    [TestMethod]
    public void Integer_Bounds_ExactIncludingExclusiveAndDraft4()
    {
        Check("{\"type\":\"integer\",\"minimum\":-12,\"maximum\":105}", ["-12", "-1", "0", "9", "10", "99", "100", "105"], ["-13", "106", "1000", "-100"]);
        Check("{\"type\":\"integer\",\"exclusiveMinimum\":7,\"exclusiveMaximum\":10}", ["8", "9"], ["7", "10"]);
        Check("{\"type\":\"integer\",\"minimum\":1.5}", ["2", "30", "123456789"], ["1", "0", "-5"]);
        Check("{\"type\":\"integer\",\"minimum\":100000000000000000000}", ["100000000000000000000", "100000000000000000001"], ["99999999999999999999"]);
        Check("{\"type\":\"integer\",\"maximum\":-3}", ["-3", "-1000"], ["-2", "0", "5"]);
        Check("{\"type\":\"integer\",\"minimum\":5,\"exclusiveMinimum\":true}", ["6"], ["5"]);
    }

    [TestMethod]
    public void Number_Bounds_ExactWithoutExponent()
    {
        Check("{\"type\":\"number\",\"minimum\":0.25,\"maximum\":1}", ["0.25", "0.3", "0.99999", "1", "1.000"], ["0.2", "0.249", "1.0001", "2", "0.25e0", "-0.5"]);
        Check("{\"type\":\"number\",\"exclusiveMinimum\":-1.5,\"exclusiveMaximum\":2.5}", ["-1.4", "-1", "0", "2.4999", "2"], ["-1.5", "-1.50", "2.5", "-2", "3"]);
        Check("{\"type\":\"number\",\"minimum\":10}", ["10", "10.5", "11", "100"], ["9.99", "-10"]);
        Check("{\"type\":\"number\",\"maximum\":0}", ["0", "-0.1", "-1000"], ["0.1", "1"]);
    }

    [TestMethod]
    public void AnyOfOneOf_AcceptTheUnion_SiblingsApplyToEachBranch()
    {
        Check("{\"anyOf\":[{\"type\":\"integer\",\"maximum\":0},{\"type\":\"string\",\"maxLength\":1}]}", ["-3", "0", "\"a\""], ["1", "\"ab\""]);
        Check("{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", ["1", "1.5"], ["\"1\""]);
        Check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"anyOf\":[{\"required\":[\"a\"]}]}", ["{\"a\":1}"], ["{}"]);
    }

    [TestMethod]
    public void AllOf_MergedKeywords_AllApply()
    {
        Check("{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}},{\"properties\":{\"b\":{\"type\":\"string\"}},\"required\":[\"b\"]}]}",
            ["{\"b\":\"x\"}", "{\"a\":1,\"b\":\"x\"}"], ["{\"a\":1}"]);
        Check("{\"allOf\":[{\"type\":\"integer\",\"minimum\":0},{\"maximum\":5}]}", ["0", "5"], ["6", "-1"]);
    }

    [TestMethod]
    public void Ref_DefsDefinitionsAndRecursion_Followed()
    {
        const string tree = "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},\"required\":[\"v\"]}},\"$ref\":\"#/$defs/node\"}";
        Check(tree, ["{\"v\":1}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3}]},{\"v\":4}]}"], ["{\"v\":1,\"kids\":[{}]}", "{\"kids\":[]}"]);
        Check("{\"definitions\":{\"n\":{\"type\":\"integer\"}},\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/n\"}}", ["[1,2]"], ["[\"a\"]"]);
        Check("{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}}}", ["{}", "{\"next\":{\"next\":{}}}"], ["{\"next\":1}"]);
        Check("{\"$defs\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/s\",\"maxLength\":2}", ["\"ab\""], ["\"abc\""]);
    }

    [TestMethod]
    public void Nesting_ObjectsInArraysInObjects_Enforced()
    {
        const string schema = "{\"type\":\"object\",\"properties\":{\"people\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"name\",\"age\"]}}},\"required\":[\"people\"]}";
        Check(schema, ["{\"people\":[]}", "{\"people\":[{\"name\":\"A\",\"age\":3}, {\"name\":\"B\",\"age\":0}]}"], ["{\"people\":[{\"name\":\"A\"}]}", "{\"people\":[{\"name\":\"A\",\"age\":-1}]}"]);
    }

    [TestMethod]
    public void Modes_AnyJsonChoiceRegex_MatchWholeOutput()
    {
        var any = JsonSchemaCompiler.AnyJson();
        Assert.IsTrue(GrammarMatcher.Matches(any, "{\"a\": [1, 2]}"u8));
        Assert.IsFalse(GrammarMatcher.Matches(any, "{\"a\": [1, 2]} "u8));
        var choice = JsonSchemaCompiler.Choice(["yes", "no", "maybe so"]);
        Assert.IsTrue(GrammarMatcher.Matches(choice, "maybe so"u8));
        Assert.IsFalse(GrammarMatcher.Matches(choice, "\"yes\""u8));
        Assert.IsFalse(GrammarMatcher.Matches(choice, "maybe"u8));
        var regex = JsonSchemaCompiler.Regex("^[A-Z][a-z]+ (\\d{1,2})?$");
        Assert.IsTrue(GrammarMatcher.Matches(regex, "Hello 42"u8));
        Assert.IsTrue(GrammarMatcher.Matches(regex, "Hello "u8));
        Assert.IsFalse(GrammarMatcher.Matches(regex, "hello 42"u8));
        Assert.IsFalse(GrammarMatcher.Matches(regex, "xHello 42"u8), "a regex constraint matches the whole output");
    }
}
