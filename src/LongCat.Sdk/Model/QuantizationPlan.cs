using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// Which weights a <see cref="WeightQuantization"/> preset quantizes, and to what. Quantized: the MLA projections q_a, q_b,
/// kv_a and o; the dense MLPs; the routed experts; the MTP layer's eh_proj, attention and MLP; lm_head. Kept as stored: norms
/// and biases; the router classifier (its F32 softmax picks the experts, and it is small); the embedding and N-gram tables and
/// the N-gram post-projections (tables are read a few rows per token, the projections are small); an lm_head tied to the
/// embedding; MLA's kv_b_proj (read head by head inside the attention kernels); any weight whose rows are not a multiple of 32.
/// </summary>
internal static class QuantizationPlan
{
    private static readonly string[] LinearSuffixes =
        ["." + WeightNames.QA, "." + WeightNames.QB, "." + WeightNames.KvA, "." + WeightNames.O,
         "." + WeightNames.Gate, "." + WeightNames.Up, "." + WeightNames.Down];

    /// <summary>The format <paramref name="name"/> [outDim, inDim] loads in under <paramref name="preset"/>; null: as stored.</summary>
    public static DType? FormatFor(WeightQuantization preset, string name, int inDim)
    {
        if (preset == WeightQuantization.None || inDim % BlockFormats.BlockSize != 0) return null;
        if (name == WeightNames.LmHead) return DType.Q8;
        bool linear = name == WeightNames.MtpEhProj || LinearSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal));
        if (!linear || name.Contains(".router.", StringComparison.Ordinal)) return null;
        bool expert = name.Contains(".mlp.experts.", StringComparison.Ordinal);
        return preset switch
        {
            WeightQuantization.Q8 => DType.Q8,
            WeightQuantization.Q4Experts => expert ? DType.Q4 : DType.Q8,
            _ => DType.Q4,
        };
    }

    /// <summary>Bytes tensor <paramref name="name"/> of <paramref name="index"/> takes once loaded under <paramref name="preset"/>:
    /// an FP8 weight's block scales take none when the weight is quantized (they are applied as it loads).</summary>
    public static long LoadedBytes(WeightQuantization preset, CheckpointIndex index, string name)
    {
        var info = index.Get(name).Info;
        if (name.EndsWith(WeightNames.ScaleSuffix, StringComparison.Ordinal) && index.Contains(name[..^WeightNames.ScaleSuffix.Length]))
        {
            var weight = index.Get(name[..^WeightNames.ScaleSuffix.Length]).Info;
            if (weight.Shape.Length == 2 && FormatFor(preset, weight.Name, (int)weight.Shape[1]) is not null) return 0;
        }
        return LoadedBytes(preset, info);
    }

    /// <summary>Bytes a stored tensor takes once loaded under <paramref name="preset"/> (values, scales).</summary>
    public static long LoadedBytes(WeightQuantization preset, TensorInfo info)
    {
        if (info.Shape.Length != 2 || info.DType is not (DType.F32 or DType.BF16 or DType.F16 or DType.F8E4M3)) return info.Length;
        var format = FormatFor(preset, info.Name, (int)info.Shape[1]);
        return format is { } f ? QuantizedBytes(f, info.Shape[0], info.Shape[1]) : info.Length;
    }

    /// <summary>Bytes of a [rows, columns] weight in a block format: values plus one F16 scale per 32 values.</summary>
    public static long QuantizedBytes(DType format, long rows, long columns) =>
        format.ByteCount(rows * columns) + rows * (columns / BlockFormats.BlockSize) * 2;
}
