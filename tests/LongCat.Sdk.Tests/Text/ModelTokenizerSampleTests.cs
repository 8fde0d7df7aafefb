using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// Every bundled model whose folder has a tokenizer.json and a tokenizer_samples.json (a JSON list of
/// <c>{"text": …, "ids": […]}</c> written by the model's own tooling) is checked sample by sample: a new model needs no code.
/// </summary>
[TestClass]
public sealed class ModelTokenizerSampleTests
{
    private sealed record Sample(string Text, int[] Ids);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Tokenizer>> s_tokenizers = new();

    public static IEnumerable<object[]> Samples()
    {
        var dirs = Fixtures.RepoRoot() is { } root && Directory.Exists(Path.Combine(root, "models"))
            ? Directory.GetDirectories(Path.Combine(root, "models"))
                .Where(d => File.Exists(Path.Combine(d, "tokenizer.json")) && File.Exists(Path.Combine(d, "tokenizer_samples.json")))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        var rows = dirs.SelectMany(d => Enumerable.Range(0, Load(d).Count).Select(i => new object[] { d, i })).ToList();
        return rows.Count > 0 ? rows : [["", -1]];        // one placeholder row, reported as inconclusive
    }

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) =>
        (int)args[1] < 0 ? $"{m.Name}(no models/*/tokenizer_samples.json)" : $"{m.Name}({Fixtures.Name((string)args[0])}, #{args[1]})";

    [TestMethod]
    [DynamicData(nameof(Samples), DynamicDataDisplayName = nameof(CaseName))]
    public void Encode_ModelSample_MatchesItsIds(string dir, int index)
    {
        if (index < 0) Assert.Inconclusive("No bundled model has tokenizer.json with tokenizer_samples.json.");
        var sample = Load(dir)[index];
        var tokenizer = s_tokenizers.GetOrAdd(dir, d => new Lazy<Tokenizer>(() => Tokenizer.FromFile(Path.Combine(d, "tokenizer.json")))).Value;

        CollectionAssert.AreEqual(sample.Ids, tokenizer.Encode(sample.Text), JsonSerializer.Serialize(sample.Text));
        Assert.AreEqual(tokenizer.Decode(sample.Ids), tokenizer.Decode(tokenizer.Encode(sample.Text)));
    }

    private static List<Sample> Load(string dir) =>
        JsonSerializer.Deserialize<List<Sample>>(File.ReadAllBytes(Path.Combine(dir, "tokenizer_samples.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
        ?? throw new InvalidDataException($"{dir}/tokenizer_samples.json is empty");
}
