using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// The conformance fixtures of tests/fixtures/tokenizers (written by tools/tokenizer-conformance): real tokenizer.json files
/// (gzipped), variants of them described in variants.json, and for each the reference's expected ids and decodes.
/// Tokenizers are loaded once per test run and shared.
/// </summary>
internal static class TokenizerFixtures
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> s_tokenizers = new();
    private static readonly ConcurrentDictionary<string, Lazy<Expected>> s_expected = new();

    public static string Root => Path.Combine(Fixtures.Root, "tokenizers");

    /// <summary>Every tokenizer with an expected.json: the real ones and the variants.</summary>
    public static IReadOnlyList<string> Names =>
        [.. Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, "expected.json"))).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    public static Tokenizer Get(string name) =>
        s_tokenizers.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Load(n))).Value;

    public static Expected ExpectedOf(string name) =>
        s_expected.GetOrAdd(name, n => new Lazy<Expected>(() =>
            JsonSerializer.Deserialize<Expected>(File.ReadAllBytes(Path.Combine(Root, n, "expected.json")))!)).Value;

    /// <summary>The JSON of a tokenizer: the gzipped file, or a variant built from its base as generate.mjs builds it.</summary>
    public static byte[] Json(string name)
    {
        string gz = Path.Combine(Root, name, "tokenizer.json.gz");
        if (File.Exists(gz)) return Gunzip(File.ReadAllBytes(gz));
        var variant = JsonNode.Parse(File.ReadAllBytes(Path.Combine(Root, "variants.json")))!.AsArray()
            .Single(v => (string)v!["name"]! == name)!;
        var json = JsonNode.Parse(Json((string)variant["base"]!))!;
        foreach (var (key, value) in variant["set"]?.AsObject() ?? [])
        {
            var parts = key.Split('.');
            var node = json;
            foreach (var p in parts[..^1]) node = node[p]!;
            node[parts[^1]] = value?.DeepClone();
        }
        foreach (var t in variant["append_added_tokens"]?.AsArray() ?? []) json["added_tokens"]!.AsArray().Add(t!.DeepClone());
        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private static Tokenizer Load(string name)
    {
        string gz = Path.Combine(Root, name, "tokenizer.json.gz");
        return File.Exists(gz) ? Tokenizer.FromFile(gz) : Tokenizer.FromJson(Json(name), name);
    }

    internal sealed class Expected
    {
        [System.Text.Json.Serialization.JsonPropertyName("vocab_size")] public int VocabSize { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("cases")] public List<Case> Cases { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("decode_cases")] public List<DecodeCase> DecodeCases { get; set; } = [];
    }

    internal sealed class Case
    {
        [System.Text.Json.Serialization.JsonPropertyName("text")] public string Text { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("ids")] public int[] Ids { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("ids_no_special")] public int[] IdsNoSpecial { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("decoded")] public string Decoded { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("decoded_skip_special")] public string DecodedSkipSpecial { get; set; } = "";
    }

    internal sealed class DecodeCase
    {
        [System.Text.Json.Serialization.JsonPropertyName("ids")] public int[] Ids { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("decoded")] public string Decoded { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("decoded_skip_special")] public string DecodedSkipSpecial { get; set; } = "";
    }
}
