using LongCat.Sdk.Serving;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// Required tool choice: the answer is constrained to one of the offered tools' call openings, walked as a trie of their tokens;
/// the model is consulted only where the names part, and only among the tokens that continue an offered name.
/// </summary>
[TestClass]
public sealed class ToolCallOpeningsTests
{
    private static readonly Tokenizer Tok = Tokenizer.FromFile(Path.Combine(TestModels.TinyWithTokenizer, "tokenizer.json"));
    private static readonly ToolDefinition[] Tools =
        [ToolDefinition.Create("get_time", "Time.", "{}"), ToolDefinition.Create("get_weather", "Weather.", "{}"), ToolDefinition.Create("add", "Add.", "{}")];
    private static readonly ChatPrompt Prompt = ChatTemplate.RenderPrompt([LongCatMessage.User("What time is it?")], Tools);
    private static readonly int[] PromptIds = Tok.Encode(Prompt.Text, Prompt.PlainTextRanges);

    private static int[] Opening(string name) => ToolCallOpenings.Tokenize(Tok, Prompt, PromptIds, Tools.Where(t => t.Name == name)).Single();

    [TestMethod]
    [DataRow("get_time")]
    [DataRow("get_weather")]
    [DataRow("add")]
    public void Openings_ContinueThePrompt_AndSpellTheCallOpening(string name)
    {
        var full = PromptIds.Concat(Opening(name)).ToArray();

        Assert.AreEqual(Prompt.Text + ChatTemplate.RenderToolCallPrefix(Tools.Single(t => t.Name == name)), Tok.Decode(full));
        CollectionAssert.AreEqual(Tok.Encode(Prompt.Text + ChatTemplate.RenderToolCallPrefix(name), Prompt.PlainTextRanges), full);
    }

    [TestMethod]
    [DataRow("get_time")]
    [DataRow("get_weather")]
    [DataRow("add")]
    public void Trie_ModelPrefersAName_ThatNameIsWritten_AskedOnlyWhereNamesPart(string preferred)
    {
        var alternatives = ToolCallOpenings.Tokenize(Tok, Prompt, PromptIds, Tools);
        var constraint = new TokenTrieConstraint(alternatives);
        int[] want = Opening(preferred);
        var written = new List<int>();
        var mask = new uint[TokenConstraint.BitmaskWords(Tok.VocabSize)];
        int asked = 0;

        while (!constraint.IsComplete)
        {
            var forced = constraint.ForcedTokens();
            if (forced.Count > 0)
            {
                foreach (int t in forced) { constraint.Accept(t); written.Add(t); }
                continue;
            }
            Assert.IsTrue(constraint.FillNextTokenBitmask(mask));
            int j = written.Count;
            int[] allowed = Enumerable.Range(0, Tok.VocabSize).Where(v => (mask[v / 32] & (1u << (v % 32))) != 0).ToArray();
            var expected = alternatives.Where(a => a.AsSpan(0, j).SequenceEqual(written.ToArray())).Select(a => a[j]).Distinct().Order().ToArray();
            CollectionAssert.AreEqual(expected, allowed, $"position {j}");
            Assert.IsTrue(allowed.Length > 1, "the model is only asked where the names part");
            asked++;
            constraint.Accept(want[j]);                                    // a model that prefers `preferred`
            written.Add(want[j]);
        }

        CollectionAssert.AreEqual(want, written);
        Assert.IsTrue(asked >= 1);
        Assert.IsFalse(constraint.FillNextTokenBitmask(mask), "complete: everything allowed");
    }

    [TestMethod]
    public void Trie_OneToolRequired_EveryTokenForcedAtOnce()
    {
        var constraint = new TokenTrieConstraint(ToolCallOpenings.Tokenize(Tok, Prompt, PromptIds, Tools.Where(t => t.Name == "add")));

        var forced = constraint.ForcedTokens();
        foreach (int t in forced) constraint.Accept(t);

        CollectionAssert.AreEqual(Opening("add"), forced.ToArray());
        Assert.IsTrue(constraint.IsComplete);
        Assert.AreEqual(0, constraint.ForcedTokens().Count);
    }

    [TestMethod]
    public void Trie_TokenOffTheTrie_IsRejected_AndRollbackRestoresTheState()
    {
        var constraint = new TokenTrieConstraint([[1, 2, 3], [1, 4]]);
        CollectionAssert.AreEqual(new[] { 1 }, constraint.ForcedTokens().ToArray());
        constraint.Accept(1);
        Assert.ThrowsExactly<InvalidOperationException>(() => constraint.Accept(9));

        constraint.Accept(4);
        Assert.IsTrue(constraint.IsComplete);
        constraint.Accept(77);                                             // anything goes once complete
        constraint.Rollback(2);

        Assert.IsFalse(constraint.IsComplete);
        var mask = new uint[1];
        Assert.IsTrue(constraint.FillNextTokenBitmask(mask));
        Assert.AreEqual((1u << 2) | (1u << 4), mask[0]);
    }

    [TestMethod]
    public void Trie_AlternativeThatPrefixesAnother_IsRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new TokenTrieConstraint([[1, 2], [1, 2, 3]]));
        Assert.ThrowsExactly<ArgumentException>(() => new TokenTrieConstraint([]));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task Engine_RequiredAny_EverySeedCallsAnOfferedTool(int seed)
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        string[] names = ["get_time", "get_weather", "add"];
        var options = new GenerationOptions
        {
            Temperature = 1f, Seed = seed, MaxTokens = 48, ToolChoice = ToolChoice.Required(),
            Tools = [.. names.Select(n => ToolDefinition.Create(n, "A tool.", "{}"))],
        };
        GenerationUpdate? last = null;
        var text = new System.Text.StringBuilder();
        await foreach (var u in engine.ChatAsync([LongCatMessage.User("Hi")], options)) { text.Append(u.Text); last = u; }

        // The random-weight model rarely finishes the arguments, so the call may end up flagged as malformed; either way it
        // starts with an offered name, which is all the constraint promises.
        string raw = last!.ToolCalls is { Count: > 0 } calls ? calls[0].Name : string.Concat(last.MalformedToolCalls ?? [text.ToString()]);
        Assert.IsTrue(names.Any(n => raw == n || raw.StartsWith(ChatTemplate.RenderToolCallPrefix(n), StringComparison.Ordinal)), raw);
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }
}
