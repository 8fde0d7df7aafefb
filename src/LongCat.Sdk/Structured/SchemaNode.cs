using System.Text.Json;

namespace LongCat.Sdk.Structured;

/// <summary>
/// A schema object's keywords, each with the JSON pointer of the object it came from: what <see cref="JsonSchemaCompiler"/>
/// reads. allOf, and a $ref with sibling keywords, are compiled by merging nodes (<see cref="Merge"/>), so a keyword keeps
/// naming where it was written. Immutable.
/// </summary>
internal sealed class SchemaNode
{
    /// <summary>Keywords that only annotate (ignored), and the definition containers (read only through $ref).</summary>
    public static readonly HashSet<string> Annotations =
    [
        "$schema", "$id", "$comment", "$anchor", "$vocabulary", "$defs", "definitions", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly", "contentEncoding", "contentMediaType",
    ];

    private readonly List<(string Keyword, JsonElement Value, string Path)> _keywords;

    private SchemaNode(string path, List<(string, JsonElement, string)> keywords)
    {
        Path = path;
        _keywords = keywords;
    }

    /// <summary>The pointer of the schema object this node was read from (the first, for a merge).</summary>
    public string Path { get; }

    public IEnumerable<string> Keywords => _keywords.Select(k => k.Keyword);

    public static SchemaNode From(JsonElement schema, string path) =>
        new(path, [.. schema.EnumerateObject().Select(p => (p.Name, p.Value, path))]);

    public bool Has(string keyword) => _keywords.Exists(k => k.Keyword == keyword);

    public bool TryGet(string keyword, out JsonElement value)
    {
        int i = _keywords.FindIndex(k => k.Keyword == keyword);
        value = i >= 0 ? _keywords[i].Value : default;
        return i >= 0;
    }

    /// <summary>The pointer of the object that holds <paramref name="keyword"/> (this node's own when it has none).</summary>
    public string PathOf(string keyword) => _keywords.Find(k => k.Keyword == keyword).Path ?? Path;

    /// <summary>The pointer of <paramref name="keyword"/>'s value, with <paramref name="more"/> appended (pointer-escaped).</summary>
    public string Child(string keyword, params string[] more) => Pointer(PathOf(keyword), [keyword, .. more]);

    public static string Pointer(string path, params IEnumerable<string> tokens) =>
        tokens.Aggregate(path, (p, t) => p + "/" + t.Replace("~", "~0").Replace("/", "~1"));

    /// <summary>Whether it holds nothing but annotations.</summary>
    public bool IsOnlyAnnotations => _keywords.TrueForAll(k => Annotations.Contains(k.Keyword));

    public SchemaNode Without(params string[] keywords) => new(Path, _keywords.Where(k => !keywords.Contains(k.Keyword)).ToList());

    /// <summary>
    /// Both nodes' constraints in one (allOf of two schemas), where that is a merge of keywords: types intersect, required
    /// lists join, properties join when their names are distinct (or their schemas identical), lower bounds take the larger
    /// and upper bounds the smaller; any other keyword both hold must be identical.
    /// </summary>
    /// <exception cref="JsonSchemaException">A keyword both hold differently, which the merge cannot express.</exception>
    public SchemaNode Merge(SchemaNode other, string combinator)
    {
        var merged = new List<(string Keyword, JsonElement Value, string Path)>(_keywords);
        foreach (var (keyword, value, path) in other._keywords)
        {
            int i = merged.FindIndex(k => k.Keyword == keyword);
            if (i < 0) { merged.Add((keyword, value, path)); continue; }
            if (Annotations.Contains(keyword)) continue;
            var mine = merged[i].Value;
            if (mine.GetRawText() == value.GetRawText()) continue;
            JsonElement? result = keyword switch
            {
                "type" => MergeTypes(mine, value),
                "required" when mine.ValueKind == JsonValueKind.Array && value.ValueKind == JsonValueKind.Array =>
                    Strings(mine.EnumerateArray().Concat(value.EnumerateArray()).Select(e => e.GetString() ?? "").Distinct()),
                "properties" when mine.ValueKind == JsonValueKind.Object && value.ValueKind == JsonValueKind.Object => MergeProperties(mine, value),
                "minimum" or "exclusiveMinimum" or "minLength" or "minItems" => Bound(mine, value, larger: true),
                "maximum" or "exclusiveMaximum" or "maxLength" or "maxItems" => Bound(mine, value, larger: false),
                _ => null,
            };
            if (result is null)
                throw new JsonSchemaException(path, combinator, $"'{keyword}' differs from the one at {merged[i].Path}: only keywords that merge (type, required, properties with distinct names, bounds) may repeat across {combinator}.");
            merged[i] = (keyword, result.Value, merged[i].Path);
        }
        return new SchemaNode(Path, merged);
    }

    private static JsonElement MergeTypes(JsonElement a, JsonElement b)
    {
        static IEnumerable<string?> Names(JsonElement t) => t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(e => e.GetString()) : [t.GetString()];
        var left = Names(a).ToHashSet();
        var right = Names(b).ToHashSet();
        // "number" admits integers: number ∩ integer = integer.
        if (left.Contains("number")) left.Add("integer");
        if (right.Contains("number")) right.Add("integer");
        left.IntersectWith(right);
        if (left.Contains("number")) left.Remove("integer");
        return Strings(left.Select(t => t ?? ""));
    }

    private static JsonElement? MergeProperties(JsonElement a, JsonElement b)
    {
        var names = a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        foreach (var p in b.EnumerateObject())
            if (names.TryGetValue(p.Name, out var text) && text != p.Value.GetRawText()) return null;
        var text2 = new System.Text.StringBuilder("{");
        foreach (var p in a.EnumerateObject().Concat(b.EnumerateObject().Where(p => !a.TryGetProperty(p.Name, out _))))
            text2.Append(text2.Length > 1 ? "," : "").Append(JsonStrings.QuotedLiteral(p.Name)).Append(':').Append(p.Value.GetRawText());
        return Json(text2.Append('}').ToString());
    }

    private static JsonElement? Bound(JsonElement a, JsonElement b, bool larger)
    {
        if (a.ValueKind != JsonValueKind.Number || b.ValueKind != JsonValueKind.Number) return null;
        if (ExactDecimal.Parse(a.GetRawText()) is not { } x || ExactDecimal.Parse(b.GetRawText()) is not { } y) return null;
        return (x.CompareTo(y) >= 0) == larger ? a : b;
    }

    private static JsonElement Strings(IEnumerable<string> items) => Json("[" + string.Join(",", items.Select(JsonStrings.QuotedLiteral)) + "]");

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
