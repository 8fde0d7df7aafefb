using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>Speculative rollback at the model level: verifying wrong drafts and truncating leaves exactly the plain run's cache.</summary>
[TestClass]
public sealed class RollbackTests
{
    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public void RejectedDrafts_RolledBack_CacheAndPoolEqualThePlainRun(string fixture)
    {
        using var golden = new Golden(Fixtures.Dir(fixture));
        var prompt = golden.Ints("prompt_p1");
        var continuation = golden.Ints("greedy_p1");
        const int blockSize = 4;
        using var plainModel = LongCatModel.Load(Fixtures.Dir(fixture), new ModelOptions { KvBlockSize = blockSize, KvCacheBlocks = 32 });
        using var specModel = LongCatModel.Load(Fixtures.Dir(fixture), new ModelOptions { KvBlockSize = blockSize, KvCacheBlocks = 32 });
        int history = plainModel.NgramHistoryLength;

        // Plain: prompt, then the continuation one token at a time.
        var plain = new BlockTable();
        var tokens = new List<int>(prompt);
        Run(plainModel, plain, 0, prompt, []);
        for (int i = 0; i < 8; i++) Run(plainModel, plain, tokens.Count, [continuation[i]], Ctx(tokens, history), tokens);

        // Speculative: after the prompt, each step verifies [token, 3 wrong drafts] (crossing block boundaries) and rolls back.
        var spec = new BlockTable();
        var specTokens = new List<int>(prompt);
        Run(specModel, spec, 0, prompt, []);
        for (int i = 0; i < 8; i++)
        {
            int start = specTokens.Count;
            int wrong = (continuation[i] + 1) % specModel.Config.VocabSize;
            Run(specModel, spec, start, [continuation[i], wrong, wrong, wrong], Ctx(specTokens, history));
            specModel.SessionBlocks.Truncate(spec, start + 1);                    // only the pending token is kept
            specTokens.Add(continuation[i]);
        }

        Assert.AreEqual(plain.TokenCount, spec.TokenCount);
        Assert.AreEqual(plainModel.SessionBlocks.FreeBlocks, specModel.SessionBlocks.FreeBlocks, "free blocks");
        int sublayers = 2 * plainModel.Config.NumLayers + (plainModel.HasMtp ? 1 : 0);
        int width = plainModel.Config.KvCacheWidth;
        for (int layer = 0; layer < 2 * plainModel.Config.NumLayers; layer++)
        {
            var a = ReadRows(plainModel, layer, plain, blockSize, width);
            var b = ReadRows(specModel, layer, spec, blockSize, width);
            Compare.Close(a, b, 1e-5f, $"cache sublayer {layer} of {sublayers}");
        }
    }

    private static int[] Ctx(List<int> tokens, int history) => tokens.Skip(Math.Max(0, tokens.Count - history)).ToArray();

    private static void Run(LongCatModel model, BlockTable table, int start, int[] tokens, int[] ctx, List<int>? record = null)
    {
        Assert.IsTrue(model.SessionBlocks.TryReserve(table, start + tokens.Length));
        var batch = new ForwardBatch();
        batch.Chunks.Add(new SequenceChunk(table.Blocks, start, tokens, ctx, AllLogits: true));
        model.Forward(batch);
        model.SessionBlocks.Commit(table, start + tokens.Length);
        record?.AddRange(tokens);
    }

    /// <summary>The sequence's cached rows of one sublayer, in position order.</summary>
    private static float[] ReadRows(LongCatModel model, int layer, BlockTable table, int blockSize, int width)
    {
        var all = new float[model.KvCache.BlockCount * blockSize * width];
        model.Backend.Download<float>(model.KvCache.Layer(layer), all);
        var rows = new float[table.TokenCount * width];
        for (int p = 0; p < table.TokenCount; p++)
            Array.Copy(all, (long)table.Slot(p, blockSize) * width, rows, (long)p * width, width);
        return rows;
    }
}
