using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

[TestClass]
public sealed class IncrementalDecodeTests
{
    public static IEnumerable<object[]> Dirs => Fixtures.LastPrompts();

    /// <summary>Prefill k tokens, then decode the rest one at a time through 5-token blocks: every position matches the full forward.</summary>
    [TestMethod]
    [DynamicData(nameof(Dirs))]
    public void Decode_AcrossBlockBoundaries_MatchesFullForward(string dir, int promptIndex)
    {
        using var golden = new Golden(dir);
        var prompt = golden.Ints($"prompt_p{promptIndex}");
        using var model = LongCatModel.Load(dir, new ModelOptions { KvBlockSize = 5 });
        int vocab = model.Config.VocabSize;
        float[] full;
        using (var s = model.CreateSession()) full = s.Prefill(prompt, allLogits: true);

        foreach (int k in new[] { 1, 7, 23 }.Where(k => k < prompt.Length))
        {
            using var session = model.CreateSession();
            var first = session.Prefill(prompt.AsSpan(0, k), allLogits: true);
            Compare.Close(full.AsSpan(0, k * vocab), first, golden.LogitsTolerance, $"prefill of {k}");
            for (int p = k; p < prompt.Length; p++)
            {
                var step = session.Decode(prompt[p]);
                Compare.Close(full.AsSpan(p * vocab, vocab), step, golden.LogitsTolerance, $"decode at position {p} after prefill of {k}");
            }
            Assert.AreEqual((prompt.Length + 4) / 5, session.Blocks.Count, "blocks held");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Dirs))]
    public void Session_Dispose_ReturnsEveryBlockToThePool(string dir, int promptIndex)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { KvBlockSize = 4, KvCacheBlocks = 64 });
        int free = model.SessionBlocks.FreeBlocks;
        var prompt = golden.Ints($"prompt_p{promptIndex}");
        using (var s = model.CreateSession())
        {
            s.Prefill(prompt);
            Assert.AreEqual(free - (prompt.Length + 3) / 4, model.SessionBlocks.FreeBlocks, $"{prompt.Length} tokens in 4-token blocks");
        }
        Assert.AreEqual(free, model.SessionBlocks.FreeBlocks);
    }
}
