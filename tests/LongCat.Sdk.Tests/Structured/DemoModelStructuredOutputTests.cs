using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Json.Schema;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// Structured output on the bundled demo model, through the engine and the chat client: sampled at temperature 1, every output
/// of every seeded random schema parses and an independent validator (JsonSchema.Net, formats required) accepts it;
/// <c>GetResponseAsync&lt;T&gt;</c> returns a populated record; tool arguments follow the tool's schema.
/// </summary>
[TestClass]
public sealed class DemoModelStructuredOutputTests
{
    private static LongCatEngine? _engine;
    private static readonly EvaluationOptions Validation = new() { RequireFormatValidation = true };

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _) => _engine = await TestModels.SharedDemoAsync();

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    [TestMethod]
    public async Task RandomSchemas_SampledAtTemperatureOne_EveryOutputParsesAndValidates()
    {
        // Arrange: three schemas of each of the generator's 21 kinds (63), one sampled answer each, eight requests at a time.
        var generator = new RandomSchemaGenerator(seed: 20261207);
        var schemas = Enumerable.Range(0, 3).SelectMany(_ => RandomSchemaGenerator.Kinds.Select(generator.Generate)).ToArray();
        var results = new (string Text, FinishReason? Reason)[schemas.Length];

        // Act
        await Parallel.ForEachAsync(Enumerable.Range(0, schemas.Length), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var options = new GenerationOptions { Temperature = 1, Seed = i, MaxTokens = 1024, Constraint = OutputConstraint.JsonSchema(schemas[i]) };
            var text = new System.Text.StringBuilder();
            FinishReason? reason = null;
            await foreach (var u in Engine.ChatAsync([LongCatMessage.User("Reply with a JSON value.")], options, ct))
            {
                text.Append(u.Text);
                reason = u.FinishReason ?? reason;
            }
            results[i] = (text.ToString(), reason);
        });

        // Assert
        Assert.IsGreaterThanOrEqualTo(50, schemas.Length);
        for (int i = 0; i < schemas.Length; i++)
        {
            // Stop, or MaxTokens reached with the value completed by its last token (the constraint completes every value within
            // the budget: a free string at temperature 1 is closed in time).
            var (text, reason) = results[i];
            Assert.IsTrue(reason is FinishReason.Stop or FinishReason.Length, $"{reason}: schema {schemas[i]}\noutput {text}");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4096 });
            }
            catch (JsonException e)
            {
                Assert.Fail($"schema {schemas[i]}\noutput does not parse: {text}\n{e.Message}");
                throw;
            }
            using (document)
            {
                var result = JsonSchema.FromText(schemas[i]).Evaluate(document.RootElement, Validation);
                Assert.IsTrue(result.IsValid, $"schema {schemas[i]}\noutput {text}");
            }
        }
        TestContext.WriteLine($"{results.Count(r => r.Reason == FinishReason.Length)} of {results.Length} ended at MaxTokens, complete");
        TestContext.WriteLine(string.Join("\n", results.Take(8).Select(r => r.Text)));
    }

    // Bounded strings, as an application annotates what it stores: the demo model (a toy) does not end a free string on its
    // own, and the bound is part of the schema M.E.AI makes (maxLength), so the constraint closes the string there.
    public sealed record Address([property: StringLength(24)] string City, [property: StringLength(24)] string Country, [property: Range(1000, 99999)] int Zip);

    public sealed record Person([property: StringLength(24)] string Name, [property: Range(0, 120)] int Age, bool Employed, Address Home);

    [TestMethod]
    public async Task GetResponseAsyncOfT_NestedRecord_IsPopulated()
    {
        var client = Engine.AsIChatClient(new GenerationOptions { Temperature = 0, MaxTokens = 256 });

        var response = await client.GetResponseAsync<Person>("Describe a person living in Paris.");

        TestContext.WriteLine(response.Text);
        Assert.IsTrue(response.TryGetResult(out var person), response.Text);
        Assert.IsNotNull(person.Name);
        Assert.IsNotNull(person.Home);
        Assert.IsNotNull(person.Home.City);
        Assert.IsNotNull(person.Home.Country);
        Assert.IsInRange(0, 120, person.Age);
        Assert.IsInRange(1000, 99999, person.Home.Zip);
    }

    [TestMethod]
    public async Task ResponseFormatJson_AnyValue_Parses()
    {
        var client = Engine.AsIChatClient(new GenerationOptions { Temperature = 1, Seed = 5, MaxTokens = 512 });

        var response = await client.GetResponseAsync("List three fruits.", new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        TestContext.WriteLine(response.Text);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason, response.Text);
        using var _ = JsonDocument.Parse(response.Text);
    }

    [TestMethod]
    public async Task UnsupportedKeyword_ThrowsAtTheCall_NamingIt()
    {
        var options = new GenerationOptions { Constraint = OutputConstraint.JsonSchema("""{"type":"object","properties":{"a":{"not":{"type":"string"}}}}""") };

        var e = Assert.ThrowsExactly<JsonSchemaException>(() => Engine.ChatAsync([LongCatMessage.User("Hi")], options));

        Assert.AreEqual("not", e.Keyword);
        StringAssert.Contains(e.Message, "#/properties/a");
    }

    [TestMethod]
    public async Task Choice_GreedyAndSampled_IsOneOfTheChoices()
    {
        string[] choices = ["red", "green", "blue"];
        foreach (float temperature in new[] { 0f, 1f })
        {
            var text = new System.Text.StringBuilder();
            GenerationUpdate? last = null;
            var options = new GenerationOptions { Temperature = temperature, Seed = 3, MaxTokens = 16, Constraint = OutputConstraint.Choice(choices) };
            await foreach (var u in Engine.ChatAsync([LongCatMessage.User("Pick a colour.")], options)) { text.Append(u.Text); last = u; }
            CollectionAssert.Contains(choices, text.ToString());
            Assert.AreEqual(FinishReason.Stop, last!.FinishReason);
        }
    }

    [TestMethod]
    public async Task Regex_Sampled_MatchesThePattern()
    {
        var options = new GenerationOptions { Temperature = 1, Seed = 11, MaxTokens = 32, Constraint = OutputConstraint.Regex(@"\d{3}-\d{4}") };
        var text = new System.Text.StringBuilder();
        await foreach (var u in Engine.ChatAsync([LongCatMessage.User("A phone number?")], options)) text.Append(u.Text);

        StringAssert.Matches(text.ToString(), new System.Text.RegularExpressions.Regex(@"^\d{3}-\d{4}$"));
    }
}
