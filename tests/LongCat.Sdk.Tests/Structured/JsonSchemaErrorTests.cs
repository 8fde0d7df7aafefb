using System.Text.Json;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>Schemas the compiler cannot honour fail at compile time with a typed error naming the keyword and where it is.</summary>
[TestClass]
public sealed class JsonSchemaErrorTests
{
    private static JsonSchemaException Fails(string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return Assert.ThrowsExactly<JsonSchemaException>(() => JsonSchemaCompiler.Compile(document.RootElement));
    }

    [TestMethod]
    [DataRow("{\"not\":{\"type\":\"string\"}}", "not", "#")]
    [DataRow("{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"uniqueItems\":true}}}", "uniqueItems", "#/properties/tags")]
    [DataRow("{\"properties\":{\"a/b\":{\"patternProperties\":{}}}}", "patternProperties", "#/properties/a~1b")]
    [DataRow("{\"type\":\"number\",\"multipleOf\":0.5}", "multipleOf", "#")]
    [DataRow("{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}", "items", "#")]
    [DataRow("{\"type\":\"array\",\"prefixItems\":[]}", "prefixItems", "#")]
    [DataRow("{\"type\":\"string\",\"minLength\":-1}", "minLength", "#")]
    [DataRow("{\"type\":\"string\",\"maxLength\":2.5}", "maxLength", "#")]
    [DataRow("{\"type\":\"strin\"}", "type", "#")]
    [DataRow("{\"type\":\"string\",\"pattern\":\"(a\"}", "pattern", "#")]
    [DataRow("{\"type\":\"string\",\"pattern\":\"^a\\\\1$\"}", "pattern", "#")]
    [DataRow("{\"type\":\"string\",\"pattern\":\"a(?=b)\"}", "pattern", "#")]
    [DataRow("{\"type\":\"string\",\"pattern\":\"a^b\"}", "pattern", "#")]
    [DataRow("{\"items\":{\"$ref\":\"#/$defs/missing\"}}", "$ref", "#/items")]
    [DataRow("{\"$ref\":\"other.json#/a\"}", "$ref", "#")]
    [DataRow("{\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"},{\"type\":\"null\"}]}},\"$ref\":\"#/$defs/a\"}", "$ref", "#/$defs/a")]
    [DataRow("{\"allOf\":[{\"pattern\":\"a\"},{\"pattern\":\"b\"}]}", "allOf", "#/allOf/1")]
    [DataRow("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}", "schema", "#")]
    [DataRow("{\"enum\":[1,2],\"type\":\"string\"}", "schema", "#")]
    [DataRow("{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false}", "schema", "#")]
    [DataRow("{\"minimum\":\"3\"}", "minimum", "#")]
    [DataRow("{\"anyOf\":[]}", "anyOf", "#")]
    [DataRow("{\"type\":\"object\",\"minProperties\":2}", "minProperties", "#")]
    [DataRow("{\"if\":{},\"then\":{}}", "if", "#")]
    public void UnsupportedOrInvalid_ThrowsNamingKeywordAndPath(string schema, string keyword, string path)
    {
        var e = Fails(schema);

        Assert.AreEqual(keyword, e.Keyword, e.Message);
        Assert.AreEqual(path, e.Path, e.Message);
        StringAssert.Contains(e.Message, $"'{keyword}'");
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void SchemaThatIsNotJson_ThrowsTyped()
    {
        var cache = new StructuredOutputCache(new SyntheticVocabulary(seed: 1).Vocabulary);
        Assert.ThrowsExactly<JsonSchemaException>(() => cache.ForJsonSchema("{\"type\":", [0]));
        Assert.ThrowsExactly<JsonSchemaException>(() => cache.ForRegex("a{2,1}", [0]));
    }

    [TestMethod]
    public void Error_IsALongCatException()
    {
        Assert.IsInstanceOfType<LongCatException>(Fails("{\"not\":{}}"));
    }
}
