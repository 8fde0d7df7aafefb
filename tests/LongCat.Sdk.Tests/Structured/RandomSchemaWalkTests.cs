using System.Text.Json;
using Json.Schema;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// For seeded random schemas of every kind, random walks through the constraint (a uniform choice among the allowed tokens of
/// a small byte-level vocabulary, until the end token) give text that parses and that an independent validator (JsonSchema.Net,
/// formats required) accepts.
/// </summary>
[TestClass]
public sealed class RandomSchemaWalkTests
{
    private static readonly EvaluationOptions Options = new() { RequireFormatValidation = true };

    [TestMethod]
    public void RandomSchemas_RandomWalks_ParseAndValidate()
    {
        var vocab = new SyntheticVocabulary(seed: 2024);
        var generator = new RandomSchemaGenerator(seed: 17);
        var rng = new Random(23);
        int schemas = 0, walks = 0;
        for (int round = 0; round < 4; round++)
            foreach (string kind in RandomSchemaGenerator.Kinds)
            {
                string schema = generator.Generate(kind);
                var validator = JsonSchema.FromText(schema);
                schemas++;
                for (int w = 0; w < 2; w++)
                {
                    string text = vocab.Walk(vocab.Constraint(schema), rng);
                    using var document = Parse(text, schema);
                    var result = validator.Evaluate(document.RootElement, Options);
                    Assert.IsTrue(result.IsValid, $"schema {schema}\noutput {text}\n{Errors(result)}");
                    walks++;
                }
            }
        Assert.IsGreaterThanOrEqualTo(50, schemas);
        Assert.AreEqual(2 * schemas, walks);
    }

    private static JsonDocument Parse(string text, string schema)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4096 });   // a uniform walk may nest deep
        }
        catch (JsonException e)
        {
            Assert.Fail($"schema {schema}\noutput does not parse: {text}\n{e.Message}");
            throw;
        }
    }

    private static string Errors(EvaluationResults result) =>
        string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
}
