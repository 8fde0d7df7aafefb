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

    /// <summary>The JSON of a tokenizer: the gzipped file, or a variant built from its base as generate.mjs builds it
    /// ("set" replaces the values at dotted paths, "append_added_tokens" extends added_tokens).</summary>
    public static byte[] Json(string name)
    {
        string gz = Path.Combine(Root, name, "tokenizer.json.gz");
        if (File.Exists(gz)) return Gunzip(File.ReadAllBytes(gz));
        var variant = JsonNode.Parse(File.ReadAllBytes(Path.Combine(Root, "variants.json")))!.AsArray()
            .Single(v => (string)v!["name"]! == name)!;
        var set = (variant["set"]?.AsObject() ?? []).ToDictionary(p => p.Key, p => p.Value);
        var append = variant["append_added_tokens"]?.AsArray() ?? [];
        using var document = JsonDocument.Parse(Json((string)variant["base"]!));
        var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output))
            Write(writer, document.RootElement, "");
        return output.ToArray();

        // Streams the base through, descending only where a replacement or an append applies (JsonNode is slow on 10 MB).
        void Write(Utf8JsonWriter w, JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Array && path == "added_tokens")
            {
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray()) item.WriteTo(w);
                foreach (var item in append) item!.WriteTo(w);
                w.WriteEndArray();
                return;
            }
            if (e.ValueKind != JsonValueKind.Object) { e.WriteTo(w); return; }
            w.WriteStartObject();
            var seen = new HashSet<string>();
            foreach (var p in e.EnumerateObject())
            {
                string child = path.Length == 0 ? p.Name : path + "." + p.Name;
                seen.Add(child);
                w.WritePropertyName(p.Name);
                if (set.TryGetValue(child, out var value)) WriteNode(w, value);
                else if (child == "added_tokens" || set.Keys.Any(k => k.StartsWith(child + ".", StringComparison.Ordinal))) Write(w, p.Value, child);
                else p.Value.WriteTo(w);
            }
            foreach (var (key, value) in set)
                if (!seen.Contains(key) && key.StartsWith(path.Length == 0 ? "" : path + ".", StringComparison.Ordinal) && !key[(path.Length == 0 ? 0 : path.Length + 1)..].Contains('.'))
                {
                    w.WritePropertyName(key[(path.Length == 0 ? 0 : path.Length + 1)..]);
                    WriteNode(w, value);
                }
            w.WriteEndObject();
        }

        static void WriteNode(Utf8JsonWriter w, JsonNode? value)
        {
            if (value is null) w.WriteNullValue(); else value.WriteTo(w);
        }
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
