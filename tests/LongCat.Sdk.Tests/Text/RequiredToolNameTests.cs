using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>
/// Required tool choice with any tool: the name is decoded over a trie of the offered names' tokens, the model consulted only
/// where the names part, and only among the tokens that continue an offered name.
/// </summary>
[TestClass]
public sealed class RequiredToolNameTests
{
    private static readonly Tokenizer Tok = Tokenizer.FromFile(Path.Combine(TestModels.TinyWithTokenizer, "tokenizer.json"));
    private static readonly ChatPrompt Prompt = ChatTemplate.RenderPrompt([ChatMessage.User("What time is it?")],
        [ToolDefinition.Create("get_time", "Time.", "{}"), ToolDefinition.Create("get_weather", "Weather.", "{}"), ToolDefinition.Create("add", "Add.", "{}")]);

    // The tokens of a name's call opening after the forced tag, as the engine's prompt would continue.
    private static int[] Tail(string name)
    {
        int[] context = Tok.Encode(Prompt.Text + ChatTemplate.RenderToolCallPrefix(), Prompt.PlainTextRanges);
        return Tok.Encode(Prompt.Text + ChatTemplate.RenderToolCallPrefix(name), Prompt.PlainTextRanges)[context.Length..];
    }

    [TestMethod]
    [DataRow("get_time")]
    [DataRow("get_weather")]
    [DataRow("add")]
    public async Task Choose_ModelPrefersAName_ThatNameIsChosen_AskedOnlyWhereNamesPart(string preferred)
    {
        int[] want = Tail(preferred);
        var asked = new List<(int Position, int[] Allowed)>();
        int contextLength = Tok.Encode(Prompt.Text + ChatTemplate.RenderToolCallPrefix(), Prompt.PlainTextRanges).Length;

        string? name = await RequiredToolName.ChooseAsync(Tok, Prompt, ["get_time", "get_weather", "add"], (context, allowed, _) =>
        {
            int j = context.Length - contextLength;
            asked.Add((j, allowed));
            return Task.FromResult(want[j]);                                 // a model that prefers `preferred`
        }, CancellationToken.None);

        Assert.AreEqual(preferred, name);
        // Each question offers exactly the distinct next tokens of the names still possible, and never just one.
        string[] all = ["get_time", "get_weather", "add"];
        foreach (var (j, allowed) in asked)
        {
            var expected = all.Select(Tail).Where(t => t.AsSpan(0, j).SequenceEqual(want.AsSpan(0, j))).Select(t => t[j]).Distinct().Order().ToArray();
            CollectionAssert.AreEqual(expected, allowed.Order().ToArray(), $"position {j}");
            Assert.IsTrue(allowed.Length > 1);
        }
        Assert.IsTrue(asked.Count >= 1);
    }

    [TestMethod]
    public async Task Choose_OneToolOffered_ItsNameWithoutAskingTheModel()
    {
        string? name = await RequiredToolName.ChooseAsync(Tok, Prompt, ["add", "add"],
            (_, _, _) => throw new AssertFailedException("the model was asked"), CancellationToken.None);

        Assert.AreEqual("add", name);
    }

    [TestMethod]
    public async Task Choose_StepReturnsATokenOutsideTheAllowedSet_Throws()
    {
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => RequiredToolName.ChooseAsync(Tok, Prompt, ["get_time", "add"],
            (_, allowed, _) => Task.FromResult(allowed.Max() + 1), CancellationToken.None));
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
            Temperature = 1f, Seed = seed, MaxTokens = 24, ToolChoice = ToolChoice.Required(),
            Tools = [.. names.Select(n => ToolDefinition.Create(n, "A tool.", "{}"))],
        };
        GenerationUpdate? last = null;
        var text = new System.Text.StringBuilder();
        await foreach (var u in engine.ChatAsync([ChatMessage.User("Hi")], options)) { text.Append(u.Text); last = u; }

        // The random-weight model rarely finishes the arguments, so the call may end up flagged as malformed; either way it
        // starts with an offered name, which is all the constraint promises.
        string raw = last!.ToolCalls is { Count: > 0 } calls ? calls[0].Name : string.Concat(last.MalformedToolCalls ?? [text.ToString()]);
        Assert.IsTrue(names.Any(n => raw == n || raw.StartsWith(ChatTemplate.RenderToolCallPrefix(n), StringComparison.Ordinal)), raw);
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }
}
