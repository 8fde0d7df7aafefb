using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Bytes of weights one decoded token reads: every dense weight, one embedding row, and the real experts the router chose; under
/// a quantization preset, each weight as it is loaded (values and scales, <see cref="QuantizationPlan.LoadedBytes"/>).
/// </summary>
internal static class DecodeCost
{
    public static long BytesPerToken(string checkpointDir, LongCatConfig c, ForwardTrace trace, WeightQuantization quantization = WeightQuantization.None)
    {
        using var index = CheckpointIndex.Open(checkpointDir);
        long dense = 0, expert = 0;
        foreach (var name in index.TensorNames)
        {
            var (info, _) = index.Get(name);
            long loaded = QuantizationPlan.LoadedBytes(quantization, info);
            if (name.StartsWith(WeightNames.Mtp, StringComparison.Ordinal)) continue;          // MTP runs only when speculating
            if (name.Contains(".mlp.experts.", StringComparison.Ordinal)) { if (name.StartsWith(WeightNames.Expert(0, 0) + ".", StringComparison.Ordinal)) expert += loaded; continue; }
            if (name == WeightNames.Embedding || name.Contains("ngram_embeddings.embedders.", StringComparison.Ordinal))
            {
                dense += info.Length / info.Shape[0];                                           // one row per table
                continue;
            }
            dense += loaded;
        }
        long realSlots = trace.RouterIds.Sum(ids => ids.Distinct().Count(e => e < c.NRoutedExperts));
        return dense + realSlots * expert;
    }
}
