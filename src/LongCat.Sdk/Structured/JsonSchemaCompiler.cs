using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Structured;

/// <summary>
/// Compiles a JSON schema (or any JSON, a regex, a choice among strings) to the pushdown automaton a
/// <see cref="JsonSchemaConstraint"/> follows. Each schema object becomes a grammar expression inline; a <c>$ref</c> target
/// becomes a rule (called, so recursion works), as does "any JSON value" and any part large enough that copying it would cost
/// more than a call.
/// </summary>
/// <remarks>
/// <para>Supported: boolean schemas and <c>{}</c>; <c>type</c> (a name or a list); <c>enum</c>/<c>const</c> of any JSON
/// values (kept only where the sibling keywords accept them); <c>properties</c>, <c>required</c>, <c>additionalProperties</c>
/// (false, true or a schema); <c>items</c>, <c>minItems</c>, <c>maxItems</c>; <c>minLength</c>, <c>maxLength</c>,
/// <c>pattern</c> (the <see cref="RegexTranslator"/> subset), <c>format</c> (date, time, date-time, uuid, email:
/// <see cref="JsonFormats"/>; other formats are annotations); <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>,
/// <c>exclusiveMaximum</c> (numbers, or draft-4 booleans), exact for integers and for decimals (a bounded number is written
/// without exponent); <c>anyOf</c>, <c>oneOf</c> (as anyOf: a value matching two branches is not excluded); <c>allOf</c>
/// and <c>$ref</c> with siblings where the keywords merge (<see cref="SchemaNode.Merge"/>); local <c>$ref</c>
/// (<c>#</c>, <c>#/$defs/…</c>, <c>#/definitions/…</c>, any pointer into the document; recursion allowed, but not before a
/// byte is written); <c>minProperties</c>/<c>maxProperties</c> and <c>uniqueItems</c> where trivially met;
/// <c>unevaluatedProperties</c>/<c>unevaluatedItems</c> false (as additionalProperties / items false). Annotations and
/// unknown keywords are ignored.</para>
/// <para>Rejected with a <see cref="JsonSchemaException"/> naming the keyword and its pointer: not, if/then/else,
/// patternProperties, propertyNames, dependencies, dependentRequired/Schemas, contains, prefixItems, tuple <c>items</c>,
/// additionalItems, multipleOf (except 1 on integers), $dynamicRef, $recursiveRef, remote refs; invalid keyword values.</para>
/// <para>Output shape: properties in the order of <c>properties</c> (optional ones may be skipped), then additional
/// properties (keys of printable ASCII that no declared property has; the automaton cannot stop two extra keys from being
/// equal); without <c>properties</c>, <c>additionalProperties</c> defaults to true, with it to false (the model writes the
/// declared properties only: always valid). Strings with minLength/maxLength use <see cref="JsonStrings.LengthAlphabet"/>;
/// strings with a pattern or format use the canonical spelling of each character. Whitespace: see
/// <see cref="JsonSchemaConstraint"/>.</para>
/// </remarks>
internal sealed partial class JsonSchemaCompiler
{
    /// <summary>Parts whose size times copies passes this become rules (a call instead of a copy).</summary>
    private const int ShareAbove = 4000;

    private readonly JsonElement _root;
    private readonly GrammarBuilder _builder = new();
    private readonly Dictionary<string, int> _refRules = [];
    private readonly Queue<(int Rule, string Pointer)> _pending = [];
    private readonly HashSet<string> _filtering;             // enum nodes whose siblings are being compiled (recursion guard)
    private int _anyValue = -1;

    private JsonSchemaCompiler(JsonElement root, HashSet<string> filtering)
    {
        _root = root;
        _filtering = filtering;
    }

    private static readonly HashSet<string> Unsupported =
    [
        "not", "if", "then", "else", "patternProperties", "propertyNames", "dependencies", "dependentRequired", "dependentSchemas",
        "contains", "minContains", "maxContains", "prefixItems", "additionalItems", "$dynamicRef", "$dynamicAnchor", "$recursiveRef",
        "$recursiveAnchor", "contentSchema",
    ];

    /// <summary>Any one value of <paramref name="schema"/>.</summary>
    /// <exception cref="JsonSchemaException">An invalid or unsupported keyword, or a schema no value satisfies.</exception>
    public static CompiledGrammar Compile(JsonElement schema)
    {
        var compiler = new JsonSchemaCompiler(schema, []);
        var grammar = compiler.Build(b => compiler.Value(schema, "#"));
        if (grammar.MatchesNothing)
            throw new JsonSchemaException("#", "schema", "no JSON value satisfies it (contradictory keywords, no acceptable enum value, or a required property that cannot be written).");
        return grammar;
    }

    /// <summary>Any one JSON value (object, array, string, number, true, false, null).</summary>
    public static CompiledGrammar AnyJson()
    {
        var compiler = new JsonSchemaCompiler(default, []);
        return compiler.Build(_ => compiler.AnyValue());
    }

    /// <summary>Text that is exactly one of <paramref name="choices"/>.</summary>
    public static CompiledGrammar Choice(IEnumerable<string> choices)
    {
        var builder = new GrammarBuilder();
        builder.Define(builder.NewRule("choice"), GrammarExpr.Choice(choices.Select(GrammarExpr.Literal)));
        return builder.Build();
    }

    /// <summary>Text that <paramref name="pattern"/> matches whole (the <see cref="RegexTranslator"/> subset; <c>^</c> and
    /// <c>$</c> at the ends change nothing).</summary>
    /// <exception cref="JsonSchemaException">The pattern leaves the subset.</exception>
    public static CompiledGrammar Regex(string pattern)
    {
        var builder = new GrammarBuilder();
        builder.Define(builder.NewRule("regex"), RegexTranslator.Translate(pattern, set => set.ToUtf8(), search: false, "regex", "pattern"));
        var grammar = builder.Build();
        if (grammar.MatchesNothing) throw new JsonSchemaException("regex", "pattern", $"/{pattern}/ matches nothing that can be written.");
        return grammar;
    }

    private CompiledGrammar Build(Func<GrammarBuilder, GrammarExpr> root)
    {
        int rule = _builder.NewRule("#");
        _builder.Define(rule, root(_builder));
        while (_pending.TryDequeue(out var next)) _builder.Define(next.Rule, Value(Resolve(next.Pointer, "#", "$ref"), next.Pointer));
        return _builder.Build();
    }

    /// <summary>The values of a schema (object or boolean) at <paramref name="path"/>.</summary>
    private GrammarExpr Value(JsonElement schema, string path) => schema.ValueKind switch
    {
        JsonValueKind.True => AnyValue(),
        JsonValueKind.False => GrammarExpr.Never,
        JsonValueKind.Object => Node(SchemaNode.From(schema, path), 0),
        _ => throw new JsonSchemaException(path, "schema", $"a schema is an object or a boolean, not {schema.ValueKind}."),
    };

    private GrammarExpr Node(SchemaNode n, int merges)
    {
        foreach (string keyword in n.Keywords)
            if (Unsupported.Contains(keyword)) throw new JsonSchemaException(n.PathOf(keyword), keyword, "this keyword is not supported by constrained decoding.");
        if (merges > 64) throw new JsonSchemaException(n.Path, "$ref", "references merged with sibling keywords recurse without end.");

        if (n.TryGet("$ref", out var reference))
        {
            string pointer = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : throw new JsonSchemaException(n.PathOf("$ref"), "$ref", "must be a string.");
            var rest = n.Without("$ref");
            if (rest.IsOnlyAnnotations) return GrammarExpr.Call(RefRule(pointer, n.PathOf("$ref")));
            var target = Resolve(pointer, n.PathOf("$ref"), "$ref");
            if (target.ValueKind == JsonValueKind.False) return GrammarExpr.Never;
            if (target.ValueKind == JsonValueKind.True) return Node(rest, merges + 1);
            return Node(SchemaNode.From(target, pointer).Merge(rest, "$ref"), merges + 1);
        }
        if (n.TryGet("allOf", out var allOf))
        {
            var merged = n.Without("allOf");
            int i = 0;
            foreach (var item in Array(allOf, n, "allOf"))
            {
                string path = n.Child("allOf", (i++).ToString());
                if (item.ValueKind == JsonValueKind.False) return GrammarExpr.Never;
                if (item.ValueKind == JsonValueKind.Object) merged = merged.Merge(SchemaNode.From(item, path), "allOf");
                else if (item.ValueKind != JsonValueKind.True) throw new JsonSchemaException(path, "allOf", "each item is a schema (object or boolean).");
            }
            return Node(merged, merges + 1);
        }
        if (n.Has("anyOf") && n.Has("oneOf")) throw new JsonSchemaException(n.Path, "oneOf", "anyOf and oneOf together are not supported.");
        foreach (string combinator in (ReadOnlySpan<string>)["anyOf", "oneOf"])
        {
            if (!n.TryGet(combinator, out var branches)) continue;
            var rest = n.Without(combinator);
            var parts = new List<GrammarExpr>();
            int i = 0;
            foreach (var item in Array(branches, n, combinator))
            {
                string path = n.Child(combinator, (i++).ToString());
                if (item.ValueKind == JsonValueKind.True) parts.Add(Node(rest, merges + 1));
                else if (item.ValueKind == JsonValueKind.Object) parts.Add(Node(rest.Merge(SchemaNode.From(item, path), combinator), merges + 1));
                else if (item.ValueKind != JsonValueKind.False) throw new JsonSchemaException(path, combinator, "each item is a schema (object or boolean).");
            }
            return GrammarExpr.Choice(parts);
        }
        if (n.Has("enum") || n.Has("const")) return Literals(n);
        return Typed(n);
    }

    // enum/const: the values the sibling keywords accept (a sub-grammar of the siblings checks each), written compactly.
    private GrammarExpr Literals(SchemaNode n)
    {
        var values = new List<JsonElement>();
        if (n.TryGet("const", out var constant)) values.Add(constant);
        if (n.TryGet("enum", out var list))
        {
            var items = Array(list, n, "enum").ToList();
            values = values.Count == 0 ? items : [.. values.Where(v => items.Any(i => JsonElement.DeepEquals(i, v)))];
        }
        var rest = n.Without("enum", "const");
        var texts = values.Select(JsonStrings.Literal).Distinct().ToList();
        if (!rest.IsOnlyAnnotations && !_filtering.Contains(n.Path))
        {
            var check = new JsonSchemaCompiler(_root, [.. _filtering, n.Path]);
            var grammar = check.Build(_ => check.Node(rest, 0));
            texts = [.. texts.Where(t => GrammarMatcher.Matches(grammar, Encoding.UTF8.GetBytes(t)))];
        }
        return GrammarExpr.Choice(texts.Select(GrammarExpr.Literal));
    }

    private GrammarExpr Typed(SchemaNode n)
    {
        var types = new List<string> { "null", "boolean", "object", "array", "string", "number" };
        if (n.TryGet("type", out var type))
        {
            var names = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToList() : [type];
            types = [];
            foreach (var name in names)
            {
                if (name.ValueKind != JsonValueKind.String || name.GetString() is not ("null" or "boolean" or "object" or "array" or "string" or "number" or "integer"))
                    throw new JsonSchemaException(n.PathOf("type"), "type", $"unknown type {name.GetRawText()}.");
                types.Add(name.GetString()!);
            }
            if (types.Contains("number")) types.Remove("integer");   // number admits every integer
        }
        var parts = new List<GrammarExpr>();
        foreach (string t in types.Distinct())
            parts.Add(t switch
            {
                "null" => GrammarExpr.Literal("null"),
                "boolean" => GrammarExpr.Choice(GrammarExpr.Literal("true"), GrammarExpr.Literal("false")),
                "object" => Object(n),
                "array" => Array(n),
                "string" => String(n),
                "integer" => Integer(n),
                _ => Number(n),
            });
        return GrammarExpr.Choice(parts);
    }

    /// <summary>The rule of any JSON value (made once): objects and arrays call it for their members.</summary>
    private GrammarExpr AnyValue()
    {
        if (_anyValue < 0)
        {
            _anyValue = _builder.NewRule("(any JSON value)");
            var value = GrammarExpr.Call(_anyValue);
            var member = GrammarExpr.Sequence(JsonStrings.AnyString, JsonStrings.Separator(':'), value);
            _builder.Define(_anyValue, GrammarExpr.Choice(
                GrammarExpr.Sequence(GrammarExpr.Byte((byte)'{'), GrammarExpr.Optional(GrammarExpr.Sequence(member, GrammarExpr.Star(GrammarExpr.Sequence(JsonStrings.Separator(','), member)))), GrammarExpr.Byte((byte)'}')),
                GrammarExpr.Sequence(GrammarExpr.Byte((byte)'['), GrammarExpr.Optional(GrammarExpr.Sequence(value, GrammarExpr.Star(GrammarExpr.Sequence(JsonStrings.Separator(','), value)))), GrammarExpr.Byte((byte)']')),
                JsonStrings.AnyString,
                JsonNumbers.AnyNumber,
                GrammarExpr.Literal("true"),
                GrammarExpr.Literal("false"),
                GrammarExpr.Literal("null")));
        }
        return GrammarExpr.Call(_anyValue);
    }

    private int RefRule(string pointer, string path)
    {
        if (!_refRules.TryGetValue(pointer, out int rule))
        {
            Resolve(pointer, path, "$ref");                       // fails now, naming where the reference is written
            _refRules[pointer] = rule = _builder.NewRule(pointer);
            _pending.Enqueue((rule, pointer));
        }
        return rule;
    }

    /// <summary><paramref name="expr"/>, or a call of a rule holding it when it would be copied <paramref name="copies"/> times
    /// and is large.</summary>
    private GrammarExpr Share(GrammarExpr expr, int copies, string name)
    {
        if ((long)expr.Size * copies <= ShareAbove || expr is GrammarExpr.RuleCall || expr.IsNever) return expr;
        int rule = _builder.NewRule(name);
        _builder.Define(rule, expr);
        return GrammarExpr.Call(rule);
    }

    // A local JSON pointer into the document.
    private JsonElement Resolve(string pointer, string path, string keyword)
    {
        if (!pointer.StartsWith('#'))
            throw new JsonSchemaException(path, keyword, $"'{pointer}': only references within the schema (#/...) are supported.");
        var node = _root;
        string fragment = Uri.UnescapeDataString(pointer[1..]);
        if (fragment.Length == 0) return node;
        if (fragment[0] != '/') throw new JsonSchemaException(path, keyword, $"'{pointer}': anchors are not supported; use a JSON pointer (#/$defs/...).");
        foreach (string raw in fragment[1..].Split('/'))
        {
            string token = raw.Replace("~1", "/").Replace("~0", "~");
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(token, out var child)) node = child;
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(token, out int index) && index >= 0 && index < node.GetArrayLength()) node = node[index];
            else throw new JsonSchemaException(path, keyword, $"'{pointer}' does not resolve: no '{token}'.");
        }
        return node;
    }

    private static IEnumerable<JsonElement> Array(JsonElement value, SchemaNode n, string keyword) =>
        value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0
            ? value.EnumerateArray()
            : throw new JsonSchemaException(n.PathOf(keyword), keyword, "must be a non-empty array.");
}
