using System.Text;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// A small byte-level vocabulary for walks: every single byte, JSON-ish fragments that cross token boundaries the way BPE
/// tokens do (<c>":</c>, <c>"},</c>, half a UTF-8 character), random multi-byte strings, then two non-text tokens: the end
/// token and another special one that must never be allowed.
/// </summary>
internal sealed class SyntheticVocabulary
{
    private static readonly string[] Fragments =
    [
        "{\"", "\"}", "\":", "\": ", "\",", "\", \"", ",\"", "[{", "}]", "]}", "[]", "{}", "},{", "\"]", "[\"", "\"\"", ", ",
        "true", "false", "null", "tr", "ue", "nu", "ll", "fa", "lse", "0.", "12", "345", "-1", "e+", "E-", "1e", ".5", "00",
        "\\n", "\\\"", "\\\\", "\\u00", "\\u", "e9", "é", "中", "😀", "ab", "the", " the", "name", "\"name\"", "age", "id",
        "T12:", ":00", "Z\"", "-0", "@", ".com", "202", "-01-", "yes", "no", "a-", "x_", "ABC", "  ", "\n",
    ];

    public SyntheticVocabulary(int seed, int randomTokens = 300)
    {
        var rng = new Random(seed);
        var tokens = new List<byte[]?>();
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);
        foreach (string f in Fragments) tokens.Add(Encoding.UTF8.GetBytes(f));
        tokens.Add([0xE4, 0xB8]);                                // the first two bytes of 中
        tokens.Add([0xAD, 0x22]);                                // its last byte, then a quote
        for (int i = 0; i < randomTokens; i++)
        {
            var text = new StringBuilder();
            int length = rng.Next(2, 7);
            for (int k = 0; k < length; k++)
                text.Append(rng.Next(10) switch
                {
                    0 => "\"",
                    1 => ",:{}[]"[rng.Next(6)],
                    2 => (char)rng.Next(0xA0, 0x2FF),
                    _ => (char)rng.Next(0x20, 0x7F),
                });
            tokens.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }
        EndToken = tokens.Count;
        tokens.Add(null);
        OtherSpecial = tokens.Count;
        tokens.Add(null);
        Vocabulary = TokenVocabulary.FromBytes(tokens);
    }

    public TokenVocabulary Vocabulary { get; }
    public int EndToken { get; }
    public int OtherSpecial { get; }
    public int Size => Vocabulary.Size;

    private int TowardsEnd(List<int> allowed, Random rng)
    {
        if (allowed.Contains(EndToken)) return EndToken;
        foreach (char c in "\"]}")
            if (allowed.Contains(c)) return c;
        var single = allowed.Where(t => t < 256 && t != ',' && t != '[' && t != '{').ToList();
        return single.Count > 0 ? single[rng.Next(single.Count)] : allowed[rng.Next(allowed.Count)];
    }

    /// <summary>A constraint for <paramref name="schema"/> over this vocabulary, ending with <see cref="EndToken"/>.</summary>
    public JsonSchemaConstraint Constraint(string schema) => new StructuredOutputCache(Vocabulary).ForJsonSchema(schema, [EndToken]);

    /// <summary>The allowed tokens in <paramref name="mask"/>.</summary>
    public List<int> Allowed(uint[] mask)
    {
        var ids = new List<int>();
        for (int id = 0; id < Size; id++)
            if ((mask[id >> 5] & (1u << (id & 31))) != 0) ids.Add(id);
        return ids;
    }

    /// <summary>
    /// Chooses uniformly among the allowed tokens until the end token; returns the text. Past <paramref name="uniformTokens"/>
    /// it heads for the end (a uniform walk's length is heavy-tailed: a vocabulary full of string characters keeps strings
    /// and extra properties going): the end token when allowed, else a closing byte, else a short token. Fails on an empty
    /// mask or when no end comes within <paramref name="maxTokens"/>.
    /// </summary>
    public string Walk(JsonSchemaConstraint constraint, Random rng, int uniformTokens = 3_000, int maxTokens = 20_000)
    {
        var mask = new uint[(Size + 31) / 32];
        var bytes = new List<byte>();
        for (int step = 0; step < maxTokens; step++)
        {
            Assert.IsTrue(constraint.FillNextTokenBitmask(mask), "a constraint before its end restricts the tokens");
            var allowed = Allowed(mask);
            Assert.IsNotEmpty(allowed, $"no token allowed after: {Encoding.UTF8.GetString([.. bytes])}");
            Assert.DoesNotContain(OtherSpecial, allowed, "a special token is never allowed");
            int token = step < uniformTokens ? allowed[rng.Next(allowed.Count)] : TowardsEnd(allowed, rng);
            if (token == EndToken)
            {
                constraint.Accept(token);
                Assert.IsTrue(constraint.IsComplete);
                return Encoding.UTF8.GetString([.. bytes]);
            }
            constraint.Accept(token);
            bytes.AddRange(Vocabulary.Bytes(token).ToArray());
        }
        Assert.Fail($"no end token within {maxTokens} tokens: {Encoding.UTF8.GetString([.. bytes])[..200]}...");
        return "";
    }
}
