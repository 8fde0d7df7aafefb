using System.Text.Json;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// The MTP head's draft vocabulary (mtp_draft_vocab.json): the file's checks, the head's logits over the draft tokens (the same
/// bits as those tokens' full-vocabulary logits), and speculative decoding that drafts from them and still emits exactly the
/// target's tokens.
/// </summary>
[TestClass]
public sealed class DraftVocabularyTests
{
    private static readonly ModelOptions Options = new() { Residency = WeightResidency.Mapped, KvBlockSize = 4, KvCacheBlocks = 64 };

    /// <summary>A copy of tiny-a (vocab 512) whose draft vocabulary is <paramref name="tokens"/>, first <paramref name="size"/> drafted.</summary>
    private static TempDir TinyWithDraftVocabulary(int[] tokens, int? size)
    {
        var dir = TempDir.CopyOfFixture("tiny-a");
        WriteVocabulary(dir, size is null ? new { tokens } : new { size, tokens });
        return dir;
    }

    private static void WriteVocabulary(TempDir dir, object document) =>
        File.WriteAllText(dir.File(DraftVocabulary.FileName), JsonSerializer.Serialize(document));

    /// <summary>512 ids in a fixed shuffled order.</summary>
    private static int[] Shuffled(int seed)
    {
        var ids = Enumerable.Range(0, 512).ToArray();
        new Random(seed).Shuffle(ids);
        return ids;
    }

    [TestMethod]
    public void Resolve_WithoutFile_IsTheWholeVocabulary_UnlessACountIsAskedFor()
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");

        Assert.IsNull(DraftVocabulary.Resolve(dir.Path, 512, null));
        Assert.IsNull(DraftVocabulary.Resolve(dir.Path, 512, 0));
        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => DraftVocabulary.Resolve(dir.Path, 512, 100));
        StringAssert.Contains(e.Message, DraftVocabulary.FileName);
        StringAssert.Contains(e.Message, "100");
    }

    [TestMethod]
    public void Resolve_WithFile_TakesItsSize_OrTheAskedCount_OrNothingForZero()
    {
        var ranked = Shuffled(1)[..300];
        using var dir = TinyWithDraftVocabulary(ranked, 120);

        CollectionAssert.AreEqual(ranked[..120], DraftVocabulary.Resolve(dir.Path, 512, null));
        CollectionAssert.AreEqual(ranked[..37], DraftVocabulary.Resolve(dir.Path, 512, 37));
        CollectionAssert.AreEqual(ranked, DraftVocabulary.Resolve(dir.Path, 512, 300));
        Assert.IsNull(DraftVocabulary.Resolve(dir.Path, 512, 0));
        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => DraftVocabulary.Resolve(dir.Path, 512, 301));
        StringAssert.Contains(e.Message, "ranks 300");
    }

    [TestMethod]
    [DataRow("""{"tokens": [5, 6, 5]}""", "tokens[2] = 5 is repeated")]
    [DataRow("""{"tokens": [5, 512]}""", "tokens[1] = 512 lies outside the vocabulary [0, 512)")]
    [DataRow("""{"tokens": [5, -1]}""", "tokens[1] = -1 lies outside")]
    [DataRow("""{"tokens": [5, "6"]}""", "tokens[1] is \"6\", not a token id")]
    [DataRow("""{"tokens": [5, 1.5]}""", "tokens[1] is 1.5")]
    [DataRow("""{"tokens": []}""", "\"tokens\" is empty")]
    [DataRow("""{"size": 3, "tokens": [5, 6]}""", "\"size\" is 3; expected a count in [1, 2]")]
    [DataRow("""{"size": 0, "tokens": [5, 6]}""", "\"size\" is 0")]
    [DataRow("""[5, 6]""", "expected an object with a \"tokens\" array")]
    [DataRow("""{"tokens": [5, 6""", "not valid JSON")]
    public void Read_MalformedFile_NamesTheFileAndTheProblem(string json, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File(DraftVocabulary.FileName);
        File.WriteAllText(path, json);

        var e = Assert.ThrowsExactly<InvalidCheckpointException>(() => DraftVocabulary.Read(path, 512));

        StringAssert.StartsWith(e.Message, DraftVocabulary.FileName);
        StringAssert.Contains(e.Message, expected);
        Assert.AreEqual(path, e.File);
    }

    [TestMethod]
    public void ModelLoad_MalformedFile_FailsTheLoad_UnlessTheWholeVocabularyIsAskedFor()
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");
        WriteVocabulary(dir, new { tokens = new[] { 1, 2, 2 } });

        Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));
        using var model = LongCatModel.Load(dir.Path, Options with { DraftVocabularySize = 0 });
        Assert.IsNull(model.DraftVocabulary);
    }

    [TestMethod]
    public void HeadLogitsOverDraftTokens_AreBitIdenticalToThoseTokensFullVocabularyLogits()
    {
        var draft = Shuffled(2)[..100];
        using var dir = TinyWithDraftVocabulary(draft, null);
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        using var model = LongCatModel.Load(dir.Path, Options);
        CollectionAssert.AreEqual(draft, model.DraftVocabulary!.ToArray());
        var prompt = golden.Ints("prompt_p0");
        var next = golden.Ints("mtp_input_ids_p0");
        int vocab = model.Config.VocabSize;

        float[] full, restricted;
        using (var session = model.CreateSession())
        {
            var target = session.Run(prompt, allLogits: true, returnHidden: true);
            full = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, next, AllLogits: true)], target.Hidden!, null, draftVocabulary: false).Logits.ToArray();
        }
        using (var session = model.CreateSession())
        {
            var target = session.Run(prompt, allLogits: true, returnHidden: true);
            restricted = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, next, AllLogits: true)], target.Hidden!, null, draftVocabulary: true).Logits.ToArray();
        }

        Assert.AreEqual(next.Length * draft.Length, restricted.Length);
        for (int row = 0; row < next.Length; row++)
            for (int j = 0; j < draft.Length; j++)
                Assert.AreEqual(BitConverter.SingleToInt32Bits(full[row * vocab + draft[j]]), BitConverter.SingleToInt32Bits(restricted[row * draft.Length + j]),
                    $"row {row}, token {draft[j]}");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task Greedy_DraftingFromASubset_EqualsPlainGreedy(int draftTokens)
    {
        // Half the vocabulary (the even ids) left out of the draft set, so many of the target's tokens can never be drafted.
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        var prompt = golden.Ints("prompt_p1");
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 120, IgnoreEos = true };
        List<int> plain;
        await using (var reference = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 }))
            plain = await Tokens(reference, prompt, options with { DraftTokens = 0 });
        var subset = Shuffled(3).Where(id => id % 2 == 0).ToArray();
        using var dir = TinyWithDraftVocabulary(subset, null);
        await using var engine = await LongCatEngine.LoadAsync(dir.Path, new LongCatOptions { KvBlockSize = 4, Speculative = SpeculativeOptions.Mtp(draftTokens) });

        var spec = await Tokens(engine, prompt, options with { DraftTokens = draftTokens });

        CollectionAssert.AreEqual(plain, spec);
        Assert.IsTrue(engine.Statistics.DraftedTokens > 0);
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    private static async Task<List<int>> Tokens(LongCatEngine engine, int[] prompt, GenerationOptions options)
    {
        var tokens = new List<int>();
        await foreach (var u in engine.GenerateAsync(prompt, options)) tokens.AddRange(u.TokenIds);
        return tokens;
    }
}
