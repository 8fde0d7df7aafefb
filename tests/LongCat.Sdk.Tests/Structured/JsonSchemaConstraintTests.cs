using System.Text;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Tests.Structured;

/// <summary>The token-level constraint: exact masks, end tokens exactly at completion, exact rollback, no hang on dead ends.</summary>
[TestClass]
public sealed class JsonSchemaConstraintTests
{
    private const string Nested =
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":6},\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",\"ab\"]},\"maxItems\":3}," +
        "\"n\":{\"type\":\"integer\",\"minimum\":-5,\"maximum\":250},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}},\"required\":[\"name\",\"n\"]}";

    [TestMethod]
    [DataRow(Nested)]
    [DataRow("true")]
    [DataRow("{\"type\":\"string\",\"pattern\":\"^(ab|a\\\\.c)+$\"}")]
    [DataRow("{\"anyOf\":[{\"type\":\"number\",\"minimum\":0.5},{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}]}")]
    public void Mask_EveryStep_EqualsStepByStepCheckOfEachToken(string schema)
    {
        var vocab = new SyntheticVocabulary(seed: 7);
        var rng = new Random(11);
        for (int walk = 0; walk < 4; walk++)
        {
            var constraint = vocab.Constraint(schema);
            var mask = new uint[(vocab.Size + 31) / 32];
            for (int step = 0; step < 60; step++)
            {
                constraint.FillNextTokenBitmask(mask);
                for (int id = 0; id < vocab.Size; id++)
                    Assert.AreEqual(constraint.Allows(id), (mask[id >> 5] & (1u << (id & 31))) != 0, $"token {id} at step {step} of {schema}");
                var allowed = vocab.Allowed(mask);
                int token = allowed[rng.Next(allowed.Count)];
                if (token == vocab.EndToken) break;
                constraint.Accept(token);
            }
        }
    }

    [TestMethod]
    public void EndToken_OnlyWhenComplete_ThenOnlyIt()
    {
        var vocab = new SyntheticVocabulary(seed: 1);
        var constraint = vocab.Constraint("{\"type\":\"boolean\"}");
        var mask = new uint[(vocab.Size + 31) / 32];

        constraint.FillNextTokenBitmask(mask);
        Assert.DoesNotContain(vocab.EndToken, vocab.Allowed(mask));
        foreach (byte b in "tru"u8) constraint.Accept(b);
        Assert.IsFalse(constraint.CanEnd);
        constraint.FillNextTokenBitmask(mask);
        CollectionAssert.AreEqual(new[] { (int)'e' }, vocab.Allowed(mask));
        constraint.Accept('e');

        Assert.IsTrue(constraint.FillNextTokenBitmask(mask), "complete but not ended: still restricting");
        CollectionAssert.AreEqual(new[] { vocab.EndToken }, vocab.Allowed(mask));
        Assert.IsFalse(constraint.IsComplete);
        constraint.Accept(vocab.EndToken);
        Assert.IsTrue(constraint.IsComplete);
        Assert.IsFalse(constraint.FillNextTokenBitmask(mask), "after the end token nothing is restricted");
    }

    [TestMethod]
    public void Number_CompleteButExtensible_AllowsDigitsAndEnd()
    {
        var vocab = new SyntheticVocabulary(seed: 1);
        var constraint = vocab.Constraint("{\"type\":\"integer\",\"maximum\":500}");
        var mask = new uint[(vocab.Size + 31) / 32];
        constraint.Accept('4');
        constraint.Accept('9');
        constraint.FillNextTokenBitmask(mask);
        var allowed = vocab.Allowed(mask);
        Assert.Contains(vocab.EndToken, allowed);
        Assert.Contains((int)'9', allowed, "499 ≤ 500");
        Assert.DoesNotContain(vocab.OtherSpecial, allowed);
        constraint.Accept('9');
        constraint.FillNextTokenBitmask(mask);
        allowed = vocab.Allowed(mask);
        CollectionAssert.AreEqual(new[] { vocab.EndToken }, allowed, "4990 > 500: only the end");
    }

    [TestMethod]
    public void Rollback_RestoresEveryEarlierMaskExactly()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var constraint = vocab.Constraint(Nested);
        var rng = new Random(5);
        var mask = new uint[(vocab.Size + 31) / 32];
        var masks = new List<uint[]>();
        var tokens = new List<int>();
        while (true)
        {
            constraint.FillNextTokenBitmask(mask);
            masks.Add((uint[])mask.Clone());
            var allowed = vocab.Allowed(mask);
            int token = allowed[rng.Next(allowed.Count)];
            constraint.Accept(token);
            tokens.Add(token);
            if (token == vocab.EndToken || tokens.Count == 80) break;
        }
        for (int back = 1; back <= tokens.Count; back++)
        {
            constraint.Rollback(1);
            Assert.IsFalse(constraint.IsComplete);
            constraint.FillNextTokenBitmask(mask);
            CollectionAssert.AreEqual(masks[^back], mask, $"after rolling back {back} token(s)");
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => constraint.Rollback(1));
        foreach (int t in tokens) constraint.Accept(t);                 // the same path is accepted again
        Assert.AreEqual(tokens[^1] == vocab.EndToken, constraint.IsComplete);
    }

    [TestMethod]
    public void Rollback_AfterEnd_CountsTokensPastTheEndFirst()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var constraint = vocab.Constraint("{\"const\":1}");
        constraint.Accept('1');
        constraint.Accept(vocab.EndToken);
        constraint.Accept('x');                                   // past the end anything goes
        constraint.Accept(vocab.OtherSpecial);
        constraint.Rollback(2);
        Assert.IsTrue(constraint.IsComplete);
        constraint.Rollback(1);
        Assert.IsFalse(constraint.IsComplete);
        Assert.IsTrue(constraint.CanEnd);
    }

    [TestMethod]
    public void Accept_DisallowedToken_Throws_StateUnchanged()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var constraint = vocab.Constraint("{\"type\":\"array\"}");
        Assert.ThrowsExactly<InvalidOperationException>(() => constraint.Accept('{'));
        Assert.ThrowsExactly<InvalidOperationException>(() => constraint.Accept(vocab.EndToken));
        Assert.ThrowsExactly<InvalidOperationException>(() => constraint.Accept(vocab.OtherSpecial));
        constraint.Accept('[');
        constraint.Accept(']');
        Assert.IsTrue(constraint.CanEnd);
    }

    [TestMethod]
    public void PatternTheVocabularyCannotSpell_AllZeroMask_NoHang()
    {
        var tokens = Enumerable.Range(0, 256).Select(b => b == 'q' ? null : new[] { (byte)b }).Append(null).ToList();
        var vocabulary = TokenVocabulary.FromBytes(tokens);
        var constraint = new StructuredOutputCache(vocabulary).ForJsonSchema("{\"type\":\"string\",\"pattern\":\"^q+$\"}", [256]);
        var mask = new uint[(vocabulary.Size + 31) / 32];

        constraint.Accept('"');
        Assert.IsTrue(constraint.FillNextTokenBitmask(mask));

        Assert.IsTrue(mask.All(w => w == 0), "no token can continue: the engine ends the sequence");
    }

    [TestMethod]
    public void ForcedTokens_AlwaysEmpty()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var constraint = vocab.Constraint("{\"const\":\"abcdef\"}");
        Assert.IsEmpty(constraint.ForcedTokens());
    }

    [TestMethod]
    public void Cache_SameSchemaAnyWhitespace_CompiledOnce()
    {
        var vocab = new SyntheticVocabulary(seed: 3);
        var cache = new StructuredOutputCache(vocab.Vocabulary, capacity: 2);
        int compiles = 0;
        CompiledGrammar Compile() { compiles++; return JsonSchemaCompiler.AnyJson(); }

        var first = cache.Masks("k", Compile);
        Assert.AreSame(first, cache.Masks("k", Compile));
        cache.ForJsonSchema("{\"type\": \"integer\"}", [vocab.EndToken]);
        cache.ForJsonSchema("{ \"type\":\"integer\" }", [vocab.EndToken]);

        Assert.AreEqual(1, compiles);
        Assert.AreEqual(2, cache.Count);
        cache.ForAnyJson([vocab.EndToken]);
        Assert.AreEqual(2, cache.Count, "the least recently used grammar goes");
    }

    [TestMethod]
    public void LargeRandomVocabulary_MaskEqualsBruteForce()
    {
        var rng = new Random(99);
        var tokens = new List<byte[]?>();
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);
        string alphabet = "{}[]\":, abcdefghijklmnopqrstuvwxyz0123456789-.eE\\né中";
        while (tokens.Count < 20_000)
        {
            var text = new StringBuilder();
            for (int k = rng.Next(2, 9); k > 0; k--) text.Append(alphabet[rng.Next(alphabet.Length)]);
            tokens.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }
        tokens.Add(null);
        var vocabulary = TokenVocabulary.FromBytes(tokens);
        var mask = new uint[(vocabulary.Size + 31) / 32];
        foreach (string prefix in new[] { "", "{\"name\":\"ab", "{\"name\":\"ab\",\"tags\":[\"a\"", "{\"name\":\"\",\"n\":2" })
        {
            var fresh = new StructuredOutputCache(vocabulary).ForJsonSchema(Nested, [tokens.Count - 1]);
            foreach (byte b in Encoding.UTF8.GetBytes(prefix)) fresh.Accept(b);
            fresh.FillNextTokenBitmask(mask);
            int allowed = 0;
            for (int id = 0; id < vocabulary.Size; id++)
            {
                bool bit = (mask[id >> 5] & (1u << (id & 31))) != 0;
                Assert.AreEqual(fresh.Allows(id), bit, $"token {id} after '{prefix}'");
                if (bit) allowed++;
            }
            Assert.IsGreaterThan(0, allowed);
        }
    }
}
