using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Reads one GPTQ / AutoRound-packed linear from a checkpoint: the layer's <c>qweight</c>, <c>qzeros</c>, <c>scales</c> (and
/// <c>g_idx</c> when present) in place of its <c>weight</c>, checked against the layer's shape, repacked by <see cref="GptqRepack"/>.
/// Legend: O out, I in, G group.
/// </summary>
internal static unsafe class GptqLinear
{
    /// <summary>Suffixes of a packed linear's tensors.</summary>
    public const string QWeight = ".qweight", QZeros = ".qzeros", Scales = ".scales", GIdx = ".g_idx";

    /// <summary>The layer name of a linear's weight name (<c>….q_a_proj.weight</c> → <c>….q_a_proj</c>).</summary>
    public static string Layer(string weightName) =>
        weightName.EndsWith(".weight", StringComparison.Ordinal) ? weightName[..^".weight".Length] : weightName;

    /// <summary>Whether the checkpoint stores this linear packed (its <c>qweight</c> in place of <c>weight</c>).</summary>
    public static bool IsPacked(CheckpointIndex checkpoint, string weightName) =>
        !checkpoint.Contains(weightName) && checkpoint.Contains(Layer(weightName) + QWeight);

    /// <summary>The linear [O, I] as <see cref="Q4Weight"/>, and the bytes of checkpoint tensors it read.</summary>
    /// <exception cref="InvalidCheckpointException">A tensor is missing, of the wrong dtype or shape (the packed length), g_idx is not
    /// trivial, the group size does not divide the row, or config.json has no GPTQ quantization_config; the message names the tensor.</exception>
    public static (Q4Weight Weight, long Bytes) Read(CheckpointIndex checkpoint, GptqConfig? config, string weightName, int outDim, int inDim)
    {
        string layer = Layer(weightName);
        var (qwInfo, qwFile) = checkpoint.Get(layer + QWeight);
        if (config is null)
            throw new InvalidCheckpointException(qwFile.Path,
                $"tensor '{layer}{QWeight}' is GPTQ-packed, but config.json has no GPTQ or AutoRound quantization_config to read it with");
        var scheme = config.For(layer, inDim);
        if (!scheme.Quantized)
            throw new InvalidCheckpointException(qwFile.Path,
                $"tensor '{layer}{QWeight}': quantization_config leaves '{layer}' in 16 bits, but the checkpoint has it packed");
        GptqRepack.CheckShape(qwFile.Path, layer, outDim, inDim, scheme.Bits, scheme.GroupSize);
        int groups = inDim / scheme.GroupSize, perWord = 32 / scheme.Bits;

        (qwInfo, qwFile) = checkpoint.Get(layer + QWeight, [inDim / perWord, outDim], DType.I32);
        var (qzInfo, qzFile) = checkpoint.Get(layer + QZeros, [groups, outDim / perWord], DType.I32);
        var (scInfo, scFile) = checkpoint.Get(layer + Scales, [groups, outDim], DType.F16);
        long bytes = qwInfo.Length + qzInfo.Length + scInfo.Length;
        ReadOnlySpan<int> gIdx = default;
        if (checkpoint.Contains(layer + GIdx))
        {
            var (gInfo, gFile) = checkpoint.Get(layer + GIdx, [inDim], DType.I32);
            gIdx = new ReadOnlySpan<int>(gFile.Pointer(gInfo), inDim);
            bytes += gInfo.Length;
        }
        var weight = GptqRepack.Repack(qwFile.Path, layer, outDim, inDim,
            new ReadOnlySpan<int>(qwFile.Pointer(qwInfo), checked((int)qwInfo.ElementCount)),
            new ReadOnlySpan<int>(qzFile.Pointer(qzInfo), checked((int)qzInfo.ElementCount)),
            new ReadOnlySpan<Half>(scFile.Pointer(scInfo), checked((int)scInfo.ElementCount)),
            gIdx, scheme.Bits, scheme.GroupSize, config.ZeroMinusOne);
        return (weight, bytes);
    }
}
