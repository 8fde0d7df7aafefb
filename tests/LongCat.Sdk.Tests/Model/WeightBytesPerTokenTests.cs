using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// <see cref="LongCatModel.WeightBytesPerToken"/> (issue 16) against a count from the checkpoint's headers: every tensor's stored
/// bytes (F32 router tensors at 4 bytes an element beside BF16 weights), the routed experts counted top-k times per block, one row
/// of each embedding table, the MTP head left out.
/// </summary>
[TestClass]
public sealed class WeightBytesPerTokenTests
{
    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public void WeightBytesPerToken_MatchesTheCheckpointsTensorSizes(string fixture)
    {
        string dir = Fixtures.Dir(fixture);
        var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
        double expected = 0;
        using (var index = CheckpointIndex.Open(dir))
            foreach (var name in index.TensorNames.Where(n => !n.StartsWith(WeightNames.Mtp + ".", StringComparison.Ordinal)))
            {
                var info = index.Get(name).Info;
                if (name.Contains(".mlp.experts.", StringComparison.Ordinal))
                    expected += (double)info.Length * Math.Min(config.MoeTopK, config.NRoutedExperts) / config.NRoutedExperts;   // top-k of the block's equal-sized experts
                else if (name == WeightNames.Embedding || name.StartsWith("model.ngram_embeddings.embedders.", StringComparison.Ordinal))
                    expected += info.Length / info.Shape[0];                                                                    // one row
                else expected += info.Length;
            }
        using var model = LongCatModel.Load(dir, new ModelOptions { KvCacheBlocks = 4 });

        long bytes = model.WeightBytesPerToken();

        Assert.AreEqual((long)Math.Round(expected), bytes);
        Assert.IsTrue(bytes < model.WeightBytes, "fewer bytes than the whole checkpoint: most experts sit idle");
    }
}
