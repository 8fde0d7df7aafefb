using System.Globalization;
using System.Text;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// Seeded random JSON schemas, each rooted in one of <see cref="Kinds"/> (every keyword the compiler supports), nested a few
/// levels. Every schema is satisfiable; bounds are consistent.
/// </summary>
internal sealed class RandomSchemaGenerator(int seed)
{
    public static readonly string[] Kinds =
    [
        "true", "null", "boolean", "integer", "number", "string", "string-length", "string-pattern", "string-format", "enum", "const",
        "type-list", "object", "object-additional", "array", "anyOf", "oneOf", "allOf", "ref", "recursive-ref", "nested",
    ];

    private static readonly string[] Patterns =
    [
        "^[a-z]{1,8}$", "^\\\\d{3}-\\\\d{4}$", "ab", "^(yes|no|maybe)$", "^[A-Z][a-z]*( [A-Z][a-z]*)?$", "^[^\\\"\\\\\\\\]{0,5}$",
        "^\\\\w+@\\\\w+\\\\.com$", "x+y?z*", "^(\\\\+|-)?[0-9]+(\\\\.[0-9]{1,2})?$", "^.{2,4}$", "[\\\\s,;]", "^(?:a|b|c){2}[.]$",
    ];

    private static readonly string[] Formats = ["date", "time", "date-time", "uuid", "email"];
    private static readonly string[] Names = ["id", "name", "age", "tags", "x", "é", "a b", "q\\\"t", "kids", "value", "n2", "type"];

    private readonly Random _rng = new(seed);

    /// <summary>A schema (JSON text) of <paramref name="kind"/>.</summary>
    public string Generate(string kind) => kind switch
    {
        "recursive-ref" =>
            "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":" + Leaf(0) + ",\"next\":{\"anyOf\":[{\"$ref\":\"#/$defs/node\"},{\"type\":\"null\"}]}},\"required\":[\"v\"]}},\"$ref\":\"#/$defs/node\"}",
        "ref" => "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"definitions\":{\"item\":" + Schema(1) + "},\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/item\"},\"maxItems\":3}",
        _ => Of(kind, 0),
    };

    private string Schema(int depth)
    {
        string[] leaves = ["null", "boolean", "integer", "number", "string", "string-length", "string-pattern", "string-format", "enum", "const", "type-list", "true"];
        string[] inner = ["object", "object-additional", "array", "anyOf", "oneOf", "allOf"];
        return depth >= 3 || _rng.Next(3) > 0 ? Of(leaves[_rng.Next(leaves.Length)], depth) : Of(inner[_rng.Next(inner.Length)], depth);
    }

    private string Leaf(int depth) => Of(new[] { "integer", "string", "boolean", "number" }[_rng.Next(4)], depth);

    private string Of(string kind, int depth)
    {
        switch (kind)
        {
            case "true": return _rng.Next(2) == 0 ? "true" : "{}";
            case "null": return "{\"type\":\"null\"}";
            case "boolean": return "{\"type\":\"boolean\"}";
            case "integer":
            {
                var parts = new List<string> { "\"type\":\"integer\"" };
                int lo = _rng.Next(-1000, 1000);
                if (_rng.Next(2) == 0) parts.Add($"\"{(_rng.Next(2) == 0 ? "minimum" : "exclusiveMinimum")}\":{lo}");
                if (_rng.Next(2) == 0) parts.Add($"\"{(_rng.Next(2) == 0 ? "maximum" : "exclusiveMaximum")}\":{lo + 2 + _rng.Next(5000)}");
                return Object(parts);
            }
            case "number":
            {
                var parts = new List<string> { "\"type\":\"number\"" };
                double lo = Math.Round((_rng.NextDouble() - 0.5) * 200, _rng.Next(4));
                if (_rng.Next(2) == 0) parts.Add($"\"{(_rng.Next(2) == 0 ? "minimum" : "exclusiveMinimum")}\":{Number(lo)}");
                if (_rng.Next(2) == 0) parts.Add($"\"{(_rng.Next(2) == 0 ? "maximum" : "exclusiveMaximum")}\":{Number(lo + 0.5 + Math.Round(_rng.NextDouble() * 50, _rng.Next(3)))}");
                return Object(parts);
            }
            case "string": return "{\"type\":\"string\"}";
            case "string-length":
            {
                int min = _rng.Next(0, 4);
                return _rng.Next(3) == 0 ? $"{{\"type\":\"string\",\"minLength\":{min}}}" : $"{{\"type\":\"string\",\"minLength\":{min},\"maxLength\":{min + _rng.Next(0, 12)}}}";
            }
            case "string-pattern":
            {
                string pattern = Patterns[_rng.Next(Patterns.Length)];
                return _rng.Next(4) == 0 ? $"{{\"type\":\"string\",\"pattern\":\"{pattern}\",\"maxLength\":8}}" : $"{{\"type\":\"string\",\"pattern\":\"{pattern}\"}}";
            }
            case "string-format": return $"{{\"type\":\"string\",\"format\":\"{Formats[_rng.Next(Formats.Length)]}\"}}";
            case "enum": return "{\"enum\":[\"red\",\"gr\\\"een\",42,-1.5,null,true,{\"a\":[1,\"b\"]},[],\"中文\"]}";
            case "const": return _rng.Next(2) == 0 ? "{\"const\":{\"k\":\"v\",\"n\":[1,2]}}" : "{\"type\":\"string\",\"const\":\"exact\"}";
            case "type-list": return "{\"type\":[\"string\",\"null\",\"integer\"],\"maxLength\":5,\"minimum\":0}";
            case "object":
            case "object-additional":
            {
                var names = Names.OrderBy(_ => _rng.Next()).Take(_rng.Next(1, 5)).ToList();
                var props = names.Select(n => $"\"{n}\":{Schema(depth + 1)}");
                var required = names.Where(_ => _rng.Next(2) == 0).Select(n => $"\"{n}\"");
                var parts = new List<string> { "\"type\":\"object\"", $"\"properties\":{{{string.Join(",", props)}}}", $"\"required\":[{string.Join(",", required)}]" };
                if (kind == "object-additional")
                    parts.Add("\"additionalProperties\":" + (_rng.Next(3) switch { 0 => "true", 1 => "false", _ => Leaf(depth + 1) }));
                return Object(parts);
            }
            case "array":
            {
                int min = _rng.Next(0, 3);
                var parts = new List<string> { "\"type\":\"array\"", "\"items\":" + Schema(depth + 1), $"\"minItems\":{min}" };
                if (_rng.Next(2) == 0) parts.Add($"\"maxItems\":{min + _rng.Next(0, 4)}");
                return Object(parts);
            }
            case "anyOf":
                return $"{{\"anyOf\":[{string.Join(",", Enumerable.Range(0, _rng.Next(2, 4)).Select(_ => Schema(depth + 1)))}],\"description\":\"d\"}}";
            case "oneOf":
            {
                // Branches of distinct types: the compiler reads oneOf as anyOf, so only disjoint branches keep "exactly one".
                string[] disjoint = ["null", "boolean", "integer", "string-pattern", "object", "array"];
                var branches = disjoint.OrderBy(_ => _rng.Next()).Take(_rng.Next(2, 4)).Select(k => Of(k, depth + 1));
                return $"{{\"oneOf\":[{string.Join(",", branches)}]}}";
            }
            case "allOf":
                return _rng.Next(2) == 0
                    ? "{\"allOf\":[{\"type\":\"integer\",\"minimum\":-20},{\"maximum\":" + _rng.Next(-20, 100) + "}]}"
                    : "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":" + Leaf(depth + 1) + "}},{\"properties\":{\"b\":" + Leaf(depth + 1) + "},\"required\":[\"b\"]}]}";
            case "nested":
                return "{\"type\":\"object\",\"properties\":{\"list\":{\"type\":\"array\",\"items\":" + Of("object", depth + 1) + ",\"maxItems\":4},\"meta\":" + Of("object-additional", depth + 1) + "},\"required\":[\"list\"]}";
            default:
                throw new ArgumentException(kind);
        }
    }

    private static string Object(IEnumerable<string> parts) => "{" + string.Join(",", parts) + "}";

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
