using System.Text;
using System.Text.Json;
using Json.Schema;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>
/// Budget-aware completion: <see cref="JsonSchemaConstraint.MinBytesToEnd"/> is the shortest completion (hand cases, and a
/// breadth-first search over bytes as its slow twin); with a token budget every walk ends with a complete, valid value in
/// time; a budget far above the need changes no mask.
/// </summary>
[TestClass]
public sealed class JsonSchemaBudgetTests
{
    private static readonly EvaluationOptions Validation = new() { RequireFormatValidation = true };

    [TestMethod]
    [DataRow("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "", 8)]          // {"a":""}
    [DataRow("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "{\"a\":\"xy", 2)]
    [DataRow("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "{\"a\":\"xy\"}", 0)]
    [DataRow("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "{\"a\":\"x\\u0", 5)]   // 3 hex, ", }
    [DataRow("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1},\"minItems\":2}", "", 9)]   // [[0],[0]]
    [DataRow("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1},\"minItems\":2}", "[[", 7)]
    [DataRow("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1},\"minItems\":2}", "[[12,", 7)]  // 0],[0]]
    [DataRow("{\"$defs\":{\"p\":{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#/$defs/q\"}},\"required\":[\"x\"]},\"q\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":1}},\"$ref\":\"#/$defs/p\"}", "", 12)]   // {"x":[true]}
    [DataRow("{\"$defs\":{\"p\":{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"#/$defs/q\"}},\"required\":[\"x\"]},\"q\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":1}},\"$ref\":\"#/$defs/p\"}", "{\"x\":[f", 6)]   // alse]}
    [DataRow("{\"type\":\"integer\",\"minimum\":100}", "", 3)]
    [DataRow("true", "[{\"k\":[", 3)]                                                                                     // ]}]
    public void MinBytesToEnd_HandCases(string schema, string prefix, int expected)
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var constraint = vocab.Constraint(schema);
        foreach (byte b in Encoding.UTF8.GetBytes(prefix)) constraint.Accept(b);        // the first 256 tokens are the bytes

        Assert.AreEqual(expected, constraint.MinBytesToEnd, $"{schema} after {prefix}");
        Assert.AreEqual(expected, BreadthFirst(Grammar(schema), Encoding.UTF8.GetBytes(prefix), expected + 1));
    }

    [TestMethod]
    public void MinBytesToEnd_RandomSchemasAtRandomWalkPoints_MatchesBreadthFirstSearchOverBytes()
    {
        var vocab = new SyntheticVocabulary(seed: 2024);
        var generator = new RandomSchemaGenerator(seed: 41);
        var rng = new Random(5);
        int compared = 0;
        foreach (string kind in RandomSchemaGenerator.Kinds.Concat(RandomSchemaGenerator.Kinds).Concat(RandomSchemaGenerator.Kinds))
        {
            string schema = generator.Generate(kind);
            var grammar = Grammar(schema);
            var constraint = new JsonSchemaConstraint(new TokenMaskCache(grammar, vocab.Vocabulary), [vocab.EndToken]);
            var mask = new uint[(vocab.Size + 31) / 32];
            var bytes = new List<byte>();
            for (int step = 0; step < 24; step++)
            {
                int expected = BreadthFirst(grammar, [.. bytes], limit: 40);
                if (expected >= 0)
                {
                    Assert.AreEqual(expected, constraint.MinBytesToEnd, $"{schema}\nafter {Encoding.UTF8.GetString([.. bytes])}");
                    compared++;
                }
                constraint.FillNextTokenBitmask(mask);
                var allowed = vocab.Allowed(mask).Where(t => t != vocab.EndToken).ToList();
                if (allowed.Count == 0) break;
                int token = allowed[rng.Next(allowed.Count)];
                constraint.Accept(token);
                bytes.AddRange(vocab.Vocabulary.Bytes(token).ToArray());
            }
        }
        Assert.IsGreaterThanOrEqualTo(600, compared);
    }

    [TestMethod]
    public void Budget_RandomSchemasOfEveryKind_WalkEndsCompleteAndValidWithinIt()
    {
        var vocab = new SyntheticVocabulary(seed: 2024);
        var generator = new RandomSchemaGenerator(seed: 99);
        var rng = new Random(8);
        var mask = new uint[(vocab.Size + 31) / 32];
        int walks = 0;
        for (int round = 0; round < 3; round++)
            foreach (string kind in RandomSchemaGenerator.Kinds)
            {
                string schema = generator.Generate(kind);
                var validator = JsonSchema.FromText(schema);
                for (int w = 0; w < 3; w++)
                {
                    var constraint = vocab.Constraint(schema);
                    int maxTokens = Math.Max(1, constraint.MinBytesToEnd) + rng.Next(31);   // shortest completion .. +30
                    var bytes = new List<byte>();
                    for (int used = 0; ; used++)
                    {
                        string context = $"schema {schema}\nbudget {maxTokens}\noutput {Encoding.UTF8.GetString([.. bytes])}";
                        Assert.IsLessThanOrEqualTo(maxTokens - used, constraint.MinBytesToEnd, $"cannot end in time: {context}");
                        if (used == maxTokens)
                        {
                            Assert.IsTrue(constraint.CanEnd, $"the budget is spent before the value is complete: {context}");
                            break;                                                           // ended by MaxTokens, complete
                        }
                        constraint.SetBudget(maxTokens - used);
                        Assert.IsTrue(constraint.FillNextTokenBitmask(mask));
                        var allowed = vocab.Allowed(mask);
                        Assert.IsNotEmpty(allowed, context);
                        if (w == 0) AssertExactlyTheTokensThatEndInTime(vocab, constraint, allowed, maxTokens - used, context);
                        int token = allowed[rng.Next(allowed.Count)];
                        constraint.Accept(token);
                        if (token == vocab.EndToken) break;
                        bytes.AddRange(vocab.Vocabulary.Bytes(token).ToArray());
                    }
                    string text = Encoding.UTF8.GetString([.. bytes]);
                    using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4096 });
                    Assert.IsTrue(validator.Evaluate(document.RootElement, Validation).IsValid, $"schema {schema}\noutput {text}");
                    walks++;
                }
            }
        Assert.AreEqual(3 * 3 * RandomSchemaGenerator.Kinds.Length, walks);
    }

    [TestMethod]
    public void Budget_Tight_OnlyTokensThatStillEndInTime()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var mask = new uint[(vocab.Size + 31) / 32];
        var array = vocab.Constraint("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
        foreach (byte b in "[1"u8) array.Accept(b);                                     // ] ends it: 1 byte

        array.SetBudget(2);                                                              // a token, then ]
        array.FillNextTokenBitmask(mask);
        var allowed = vocab.Allowed(mask);
        CollectionAssert.Contains(allowed, (int)'2');
        CollectionAssert.Contains(allowed, (int)']');
        CollectionAssert.DoesNotContain(allowed, (int)',', "after , the value needs 0]: 3 tokens, 2 left");
        array.SetBudget(3);
        array.FillNextTokenBitmask(mask);
        CollectionAssert.Contains(vocab.Allowed(mask), (int)',');

        var text = vocab.Constraint("{\"type\":\"string\"}");
        foreach (byte b in "\"ab"u8) text.Accept(b);
        text.SetBudget(1);                                                               // the closing quote
        text.FillNextTokenBitmask(mask);
        allowed = vocab.Allowed(mask);
        CollectionAssert.Contains(allowed, (int)'"');
        CollectionAssert.DoesNotContain(allowed, (int)'a');
        Assert.IsTrue(allowed.All(t => vocab.Vocabulary.Bytes(t)[^1] == '"'), "every allowed token closes the string");
    }

    [TestMethod]
    public void Budget_FarAboveTheNeed_EveryMaskUnchanged()
    {
        var vocab = new SyntheticVocabulary(seed: 2024);
        var generator = new RandomSchemaGenerator(seed: 7);
        var rng = new Random(13);
        var budgeted = new uint[(vocab.Size + 31) / 32];
        var plain = new uint[budgeted.Length];
        foreach (string kind in RandomSchemaGenerator.Kinds)
        {
            string schema = generator.Generate(kind);
            var a = vocab.Constraint(schema);
            var b = vocab.Constraint(schema);
            for (int step = 0; step < 80; step++)
            {
                a.SetBudget(100_000 - step);
                a.FillNextTokenBitmask(budgeted);
                b.FillNextTokenBitmask(plain);
                CollectionAssert.AreEqual(plain, budgeted, $"{schema} at step {step}");
                var allowed = vocab.Allowed(plain);
                int token = allowed[rng.Next(allowed.Count)];
                a.Accept(token);
                b.Accept(token);
                if (token == vocab.EndToken) break;
            }
        }
    }

    // The slow twin of a budgeted mask: each token accepted, its distance read, rolled back. Every allowed token must end in
    // time; while some parse is within the cap (not yet on the last shortest path) every token that ends in time is allowed.
    private static void AssertExactlyTheTokensThatEndInTime(SyntheticVocabulary vocab, JsonSchemaConstraint constraint, List<int> allowed, int budget, string context)
    {
        bool tight = constraint.MinBytesToEnd > budget - 1;
        for (int id = 0; id < vocab.Size; id++)
        {
            if (id == vocab.EndToken || !constraint.Allows(id)) continue;
            constraint.Accept(id);
            bool inTime = constraint.MinBytesToEnd <= budget - 1;
            constraint.Rollback(1);
            if (allowed.Contains(id)) Assert.IsTrue(inTime, $"token {id} cannot end in time: {context}");
            else if (!tight) Assert.IsFalse(inTime, $"token {id} ends in time but is masked: {context}");
        }
    }

    private static CompiledGrammar Grammar(string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return JsonSchemaCompiler.Compile(document.RootElement);
    }

    // The slow twin: the fewest bytes after which some parse can finish, by breadth-first search over the sets of threads
    // reachable byte by byte (−1: none within limit, or too many sets to search).
    private static int BreadthFirst(CompiledGrammar grammar, byte[] prefix, int limit)
    {
        var matcher = new GrammarMatcher(grammar, new GrammarStacks());
        var buffer = new ThreadBuffer();
        int start = matcher.StepAll([new GrammarThread(grammar.Start, 0)], prefix, buffer);
        var frontier = new List<GrammarThread[]> { buffer.Slice(start, buffer.Count).ToArray() };
        var seen = new HashSet<string> { Key(frontier[0]) };
        for (int depth = 0; depth <= limit && frontier.Count > 0; depth++)
        {
            if (frontier.Any(set => set.Any(matcher.CanFinish))) return depth;
            var next = new List<GrammarThread[]>();
            foreach (var set in frontier)
                for (int b = 0; b < 256; b++)
                {
                    buffer.Count = 0;
                    matcher.Step(set, (byte)b, buffer);
                    var after = buffer.Slice(0, buffer.Count).ToArray();
                    if (after.Length > 0 && seen.Add(Key(after))) next.Add(after);
                }
            if (seen.Count > 20_000) return -1;
            frontier = next;
        }
        return -1;
    }

    // Stacks are hash-consed in the one matcher's GrammarStacks: equal sets of threads have equal keys.
    private static string Key(GrammarThread[] set) =>
        string.Join(";", set.OrderBy(t => t.State).ThenBy(t => t.Stack).Select(t => $"{t.State},{t.Stack}"));
}
