using System.Numerics;
using System.Text.Json;

namespace LongCat.Sdk.Structured;

/// <summary>The per-type keywords of <see cref="JsonSchemaCompiler"/>: objects, arrays, strings, integers, numbers.</summary>
internal sealed partial class JsonSchemaCompiler
{
    /// <summary>minLength, maxLength, minItems and maxItems past this are refused (each unit is a copy in the automaton).</summary>
    private const int MaxCount = 10_000;

    private GrammarExpr Object(SchemaNode n)
    {
        var names = new List<string>();
        var schemas = new List<(JsonElement Schema, string Path)>();
        if (n.TryGet("properties", out var properties))
        {
            if (properties.ValueKind != JsonValueKind.Object) throw new JsonSchemaException(n.PathOf("properties"), "properties", "must be an object.");
            foreach (var p in properties.EnumerateObject())
            {
                names.Add(p.Name);
                schemas.Add((p.Value, n.Child("properties", p.Name)));
            }
        }
        var required = new HashSet<string>();
        if (n.TryGet("required", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new JsonSchemaException(n.PathOf("required"), "required", "must be an array of strings.");
            foreach (var e in list.EnumerateArray()) required.Add(e.GetString()!);
        }
        // additionalProperties: false where properties are declared and it is absent (the model writes what was declared).
        JsonElement? additional = null;
        string additionalPath = n.Child("additionalProperties");
        if (n.TryGet("additionalProperties", out var extra)) additional = extra;
        else if (n.TryGet("unevaluatedProperties", out var unevaluated))
        {
            if (unevaluated.ValueKind == JsonValueKind.Object) throw new JsonSchemaException(n.PathOf("unevaluatedProperties"), "unevaluatedProperties", "only a boolean is supported.");
            additional = unevaluated;
            additionalPath = n.Child("unevaluatedProperties");
        }
        bool extras = additional is { ValueKind: not JsonValueKind.False } || (additional is null && !n.Has("properties"));
        foreach (string name in required.Where(r => !names.Contains(r)))
        {
            if (!extras) return GrammarExpr.Never;                      // required but not allowed
            names.Add(name);
            schemas.Add((additional ?? default, additionalPath));
        }
        CheckPropertyCounts(n, names, required, extras);

        var items = new List<GrammarExpr>();
        var mandatory = new List<bool>();
        for (int i = 0; i < names.Count; i++)
        {
            var value = schemas[i].Schema.ValueKind == JsonValueKind.Undefined ? AnyValue() : Value(schemas[i].Schema, schemas[i].Path);
            bool isRequired = required.Contains(names[i]);
            if (value.IsNever)
            {
                if (isRequired) return GrammarExpr.Never;
                continue;                                               // may not appear: never written
            }
            items.Add(GrammarExpr.Sequence(GrammarExpr.Literal(JsonStrings.QuotedLiteral(names[i])), JsonStrings.Separator(':'), Share(value, 2, schemas[i].Path)));
            mandatory.Add(isRequired);
        }
        GrammarExpr? rest = null;
        if (extras)
        {
            var value = additional is { ValueKind: JsonValueKind.Object } schema ? Value(schema, additionalPath) : AnyValue();
            if (!value.IsNever)
                rest = GrammarExpr.Sequence(JsonStrings.KeyOutside(names), JsonStrings.Separator(':'), Share(value, 2, additionalPath));
        }
        return GrammarExpr.Sequence(GrammarExpr.Byte((byte)'{'),
            GrammarExpr.Subsequence([.. items], [.. mandatory], JsonStrings.Separator(','), rest), GrammarExpr.Byte((byte)'}'));
    }

    // minProperties/maxProperties only where the declared shape meets them whatever is written.
    private static void CheckPropertyCounts(SchemaNode n, List<string> names, HashSet<string> required, bool extras)
    {
        if (n.TryGet("minProperties", out var min) && Count(min, n, "minProperties") > required.Count)
            throw new JsonSchemaException(n.PathOf("minProperties"), "minProperties", "is supported only when the required properties meet it.");
        if (n.TryGet("maxProperties", out var max) && (extras || Count(max, n, "maxProperties") < names.Count))
            throw new JsonSchemaException(n.PathOf("maxProperties"), "maxProperties", "is supported only when the declared properties (and no others) meet it.");
    }

    private GrammarExpr Array(SchemaNode n)
    {
        int min = n.TryGet("minItems", out var minItems) ? Count(minItems, n, "minItems") : 0;
        int max = n.TryGet("maxItems", out var maxItems) ? Count(maxItems, n, "maxItems") : -1;
        if (n.TryGet("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True && !(max >= 0 && max <= 1))
            throw new JsonSchemaException(n.PathOf("uniqueItems"), "uniqueItems", "true is supported only with maxItems ≤ 1.");
        GrammarExpr item;
        if (n.TryGet("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array) throw new JsonSchemaException(n.PathOf("items"), "items", "the array (tuple) form is not supported.");
            item = Value(items, n.Child("items"));
        }
        else if (n.TryGet("unevaluatedItems", out var unevaluated) && unevaluated.ValueKind == JsonValueKind.False) item = GrammarExpr.Never;
        else item = AnyValue();
        if (item.IsNever) max = 0;
        if (max >= 0 && max < min) return GrammarExpr.Never;
        var open = GrammarExpr.Byte((byte)'[');
        var close = GrammarExpr.Byte((byte)']');
        if (max == 0) return GrammarExpr.Sequence(open, close);
        item = Share(item, max > 0 ? max : min + 1, n.Child("items"));
        var elements = GrammarExpr.Sequence(item,
            GrammarExpr.Repeat(GrammarExpr.Sequence(JsonStrings.Separator(','), item), Math.Max(min - 1, 0), max < 0 ? -1 : max - 1));
        return GrammarExpr.Sequence(open, min == 0 ? GrammarExpr.Optional(elements) : elements, close);
    }

    private GrammarExpr String(SchemaNode n)
    {
        var parts = new List<GrammarExpr>();
        int min = n.TryGet("minLength", out var minLength) ? Count(minLength, n, "minLength") : 0;
        int max = n.TryGet("maxLength", out var maxLength) ? Count(maxLength, n, "maxLength") : -1;
        if (min > 0 || max >= 0) parts.Add(GrammarExpr.Repeat(JsonStrings.CanonicalChar(JsonStrings.LengthAlphabet), min, max));
        if (n.TryGet("pattern", out var pattern))
        {
            if (pattern.ValueKind != JsonValueKind.String) throw new JsonSchemaException(n.PathOf("pattern"), "pattern", "must be a string.");
            parts.Add(RegexTranslator.Translate(pattern.GetString()!, JsonStrings.CanonicalChar, search: true, n.PathOf("pattern"), "pattern"));
        }
        if (n.TryGet("format", out var format) && format.ValueKind == JsonValueKind.String && JsonFormats.Pattern(format.GetString()!) is { } regex)
            parts.Add(RegexTranslator.Translate(regex, JsonStrings.CanonicalChar, search: false, n.PathOf("format"), "format"));
        var body = parts.Count == 0 ? GrammarExpr.Star(JsonStrings.AnyChar) : parts.Aggregate(GrammarExpr.Intersect);
        return GrammarExpr.Sequence(JsonStrings.Quote, body, JsonStrings.Quote);
    }

    private GrammarExpr Integer(SchemaNode n)
    {
        if (n.TryGet("multipleOf", out var multiple) && multiple.GetRawText() is not ("1" or "1.0"))
            throw new JsonSchemaException(n.PathOf("multipleOf"), "multipleOf", "is not supported (except 1 on integers).");
        var (lo, loExclusive, hi, hiExclusive) = Bounds(n);
        BigInteger? low = lo is null ? null : loExclusive ? lo.Floor + 1 : lo.Ceiling;
        BigInteger? high = hi is null ? null : hiExclusive ? hi.Ceiling - 1 : hi.Floor;
        return JsonNumbers.Integer(low, high);
    }

    private GrammarExpr Number(SchemaNode n)
    {
        if (n.Has("multipleOf")) throw new JsonSchemaException(n.PathOf("multipleOf"), "multipleOf", "is not supported on numbers.");
        var (lo, loExclusive, hi, hiExclusive) = Bounds(n);
        return JsonNumbers.Number(lo, loExclusive, hi, hiExclusive);
    }

    // The tightest lower and upper bound of minimum/exclusiveMinimum and maximum/exclusiveMaximum (draft 4's boolean
    // exclusiveMinimum/Maximum make minimum/maximum exclusive).
    private static (ExactDecimal? Lo, bool LoExclusive, ExactDecimal? Hi, bool HiExclusive) Bounds(SchemaNode n)
    {
        ExactDecimal? lo = null, hi = null;
        bool loExclusive = false, hiExclusive = false;
        bool draft4Min = n.TryGet("exclusiveMinimum", out var exMin) && exMin.ValueKind == JsonValueKind.True;
        bool draft4Max = n.TryGet("exclusiveMaximum", out var exMax) && exMax.ValueKind == JsonValueKind.True;
        Tighten("minimum", exclusive: draft4Min, lower: true);
        Tighten("exclusiveMinimum", exclusive: true, lower: true);
        Tighten("maximum", exclusive: draft4Max, lower: false);
        Tighten("exclusiveMaximum", exclusive: true, lower: false);
        return (lo, loExclusive, hi, hiExclusive);

        void Tighten(string keyword, bool exclusive, bool lower)
        {
            if (!n.TryGet(keyword, out var value) || value.ValueKind is JsonValueKind.True or JsonValueKind.False) return;
            if (value.ValueKind != JsonValueKind.Number || ExactDecimal.Parse(value.GetRawText()) is not { } bound)
                throw new JsonSchemaException(n.PathOf(keyword), keyword, $"must be a number (with an exponent within ±1000), not {value.GetRawText()}.");
            if (lower)
            {
                int c = lo is null ? 1 : bound.CompareTo(lo);
                if (c > 0 || (c == 0 && exclusive)) (lo, loExclusive) = (bound, exclusive);
            }
            else
            {
                int c = hi is null ? -1 : bound.CompareTo(hi);
                if (c < 0 || (c == 0 && exclusive)) (hi, hiExclusive) = (bound, exclusive);
            }
        }
    }

    private static int Count(JsonElement value, SchemaNode n, string keyword)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal d) || d < 0 || d != decimal.Truncate(d))
            throw new JsonSchemaException(n.PathOf(keyword), keyword, $"must be a non-negative integer, not {value.GetRawText()}.");
        if (d > MaxCount && keyword is not ("minProperties" or "maxProperties"))
            throw new JsonSchemaException(n.PathOf(keyword), keyword, $"{d} is above the supported {MaxCount}.");
        return (int)Math.Min(d, int.MaxValue);
    }
}
