using System.Text;
using System.Text.Json;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Structured;

/// <summary>
/// Where constraints come from, for one vocabulary (an engine's tokenizer): compiled grammars with their token masks, kept for
/// the <paramref name="capacity"/> most recently used schemas, patterns and choice lists (keyed by kind and canonical text:
/// a schema's compact JSON), so a repeated request compiles nothing and finds its masks warm. Thread-safe.
/// </summary>
internal sealed class StructuredOutputCache(TokenVocabulary vocabulary, int capacity = 64)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, TokenMaskCache Masks)>> _entries = [];
    private readonly LinkedList<(string Key, TokenMaskCache Masks)> _recent = [];      // most recent first
    private readonly Lock _lock = new();

    public StructuredOutputCache(Tokenizer tokenizer, int capacity = 64) : this(TokenVocabulary.FromTokenizer(tokenizer), capacity) { }

    /// <summary>A cache whose vocabulary also spells <paramref name="markup"/> tokens (the XML tool calls' argument tags).</summary>
    public StructuredOutputCache(Tokenizer tokenizer, IReadOnlySet<string> markup, int capacity = 64) : this(TokenVocabulary.FromTokenizer(tokenizer, markup), capacity) { }

    public TokenVocabulary Vocabulary => vocabulary;

    /// <summary>Grammars held now.</summary>
    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>A constraint to one value of the JSON schema <paramref name="schema"/> (JSON text), then an end token.</summary>
    /// <exception cref="JsonSchemaException">The text is not JSON, or the schema is invalid, unsupported or unsatisfiable.</exception>
    public JsonSchemaConstraint ForJsonSchema(string schema, IEnumerable<int> endTokens)
    {
        ArgumentNullException.ThrowIfNull(schema);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(schema);
        }
        catch (JsonException e)
        {
            throw new JsonSchemaException($"The JSON schema is not valid JSON: {e.Message}", e);
        }
        using (document) return ForJsonSchema(document.RootElement, endTokens);
    }

    /// <inheritdoc cref="ForJsonSchema(string, IEnumerable{int})"/>
    public JsonSchemaConstraint ForJsonSchema(JsonElement schema, IEnumerable<int> endTokens)
    {
        var compact = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(compact)) schema.WriteTo(writer);
        string text = Encoding.UTF8.GetString(compact.WrittenSpan);
        var element = schema.Clone();
        return new JsonSchemaConstraint(Masks("schema:" + text, () => JsonSchemaCompiler.Compile(element)), endTokens);
    }

    /// <summary>A constraint to any one JSON value, then an end token.</summary>
    public JsonSchemaConstraint ForAnyJson(IEnumerable<int> endTokens) => new(Masks("json", JsonSchemaCompiler.AnyJson), endTokens);

    /// <summary>A constraint to text <paramref name="pattern"/> matches whole, then an end token.</summary>
    /// <exception cref="JsonSchemaException">The pattern leaves the supported subset.</exception>
    public JsonSchemaConstraint ForRegex(string pattern, IEnumerable<int> endTokens)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return new(Masks("regex:" + pattern, () => JsonSchemaCompiler.Regex(pattern)), endTokens);
    }

    /// <summary>A constraint to exactly one of <paramref name="choices"/>, then an end token.</summary>
    public JsonSchemaConstraint ForChoice(IEnumerable<string> choices, IEnumerable<int> endTokens)
    {
        ArgumentNullException.ThrowIfNull(choices);
        string[] list = [.. choices];
        if (list.Length == 0) throw new ArgumentException("A choice constraint needs at least one string.", nameof(choices));
        string key = "choice:" + string.Join("\u0000", list.Select(c => c.Length + ":" + c));
        return new(Masks(key, () => JsonSchemaCompiler.Choice(list)), endTokens);
    }

    /// <summary>The grammar and masks under <paramref name="key"/>, compiled by <paramref name="compile"/> on a miss.</summary>
    public TokenMaskCache Masks(string key, Func<CompiledGrammar> compile)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Masks;
            }
            var masks = new TokenMaskCache(compile(), vocabulary);
            _entries[key] = _recent.AddFirst((key, masks));
            while (_entries.Count > capacity)
            {
                _entries.Remove(_recent.Last!.Value.Key);
                _recent.RemoveLast();
            }
            return masks;
        }
    }
}
