namespace LongCat.Sdk.Checkpoints;

/// <summary>A 4-bit linear in the SDK's <see cref="Compute.DType.Q4"/> layout, on the host.</summary>
/// <param name="Values">[out, in/2]: per row, per block of 32 columns, 16 bytes; byte j = column 32b+j (low nibble) and 32b+16+j (high).</param>
/// <param name="Scales">[out, in/G] row-major.</param>
/// <param name="Zeros">[out, in/G], 0..15; null when every zero is 8 (symmetric).</param>
/// <param name="GroupSize">G: columns per scale.</param>
internal sealed record Q4Weight(byte[] Values, Half[] Scales, byte[]? Zeros, int GroupSize);

/// <summary>
/// Repacks a GPTQ / AutoRound int4 linear into <see cref="Q4Weight"/>, exactly (no re-quantization). Legend: O out, I in, G group.
/// The export stores the weight transposed, eight values to an int32 word (bits 4j..4j+3 hold element 8k+j):
/// <c>qweight</c> [I/8, O] packs along the input dim, <c>qzeros</c> [I/G, O/8] along the output dim, <c>scales</c> [I/G, O],
/// and w[o, c] = scales[c/G, o]·(q[o, c] − zero[c/G, o]). GPTQ "v1" (AutoRound's <c>auto_round:auto_gptq</c>) stores zero − 1
/// as the wrapped sum of (zero − 1) &lt;&lt; 4j, so a zero of 0 borrows from the next nibble: adding 0x11111111 to the word
/// before splitting it undoes that exactly (GPTQModel's v1 → v2 conversion).
/// </summary>
internal static class GptqRepack
{
    /// <summary>Bits per value; the only width the Q4 layout holds.</summary>
    public const int Bits = 4;
    private const int PerWord = 32 / Bits;
    private const int Block = 32;
    private const uint V1ZeroOffset = 0x11111111;

    /// <summary>Repacks one linear [O, I].</summary>
    /// <param name="file">The shard, for messages.</param>
    /// <param name="layer">The layer name (the tensors' prefix), for messages.</param>
    /// <param name="outDim">O.</param>
    /// <param name="inDim">I.</param>
    /// <param name="qweight">[I/8, O].</param>
    /// <param name="qzeros">[I/G, O/8].</param>
    /// <param name="scales">[I/G, O].</param>
    /// <param name="gIdx">[I], or empty when the export has none.</param>
    /// <param name="bits">Bits per value (4).</param>
    /// <param name="groupSize">G.</param>
    /// <param name="zeroMinusOne">Whether the zeros are stored minus one (GPTQ v1).</param>
    /// <exception cref="InvalidCheckpointException">A length or the group size does not fit the shape, g_idx is not c/G, or bits is not 4.</exception>
    public static Q4Weight Repack(string file, string layer, int outDim, int inDim, ReadOnlySpan<int> qweight, ReadOnlySpan<int> qzeros,
        ReadOnlySpan<Half> scales, ReadOnlySpan<int> gIdx, int bits, int groupSize, bool zeroMinusOne)
    {
        CheckShape(file, layer, outDim, inDim, bits, groupSize);
        int groups = inDim / groupSize;
        Expect(file, $"{layer}.qweight", qweight.Length, (long)inDim / PerWord * outDim, $"[{inDim / PerWord}, {outDim}]");
        Expect(file, $"{layer}.qzeros", qzeros.Length, (long)groups * (outDim / PerWord), $"[{groups}, {outDim / PerWord}]");
        Expect(file, $"{layer}.scales", scales.Length, (long)groups * outDim, $"[{groups}, {outDim}]");
        if (!gIdx.IsEmpty)
        {
            Expect(file, $"{layer}.g_idx", gIdx.Length, inDim, $"[{inDim}]");
            for (int c = 0; c < inDim; c++)
                if (gIdx[c] != c / groupSize)
                    throw new InvalidCheckpointException(file, $"tensor '{layer}.g_idx': column {c} is in group {gIdx[c]}, not {c / groupSize}: " +
                        "act-order (desc_act) checkpoints are not supported");
        }

        // values[o, 16b + j] = q[o, 32b + j] | q[o, 32b + 16 + j] << 4, where q[o, c] is nibble c % 8 of qweight[c / 8, o].
        int rowBytes = inDim / 2;
        var values = new byte[(long)outDim * rowBytes];
        for (int o = 0; o < outDim; o++)
        {
            int row = o * rowBytes;
            for (int c0 = 0; c0 < inDim; c0 += Block)
                for (int j = 0; j < Block / 2; j++)
                    values[row + c0 / 2 + j] = (byte)(Nibble(qweight, outDim, c0 + j, o) | Nibble(qweight, outDim, c0 + Block / 2 + j, o) << 4);
        }

        var scaleRows = new Half[(long)outDim * groups];
        var zeros = new byte[(long)outDim * groups];
        bool symmetric = true;
        int zeroWords = outDim / PerWord;
        for (int g = 0; g < groups; g++)
            for (int o = 0; o < outDim; o++)
            {
                scaleRows[o * groups + g] = scales[g * outDim + o];
                uint word = (uint)qzeros[g * zeroWords + o / PerWord];
                if (zeroMinusOne) word = unchecked(word + V1ZeroOffset);
                byte z = (byte)((word >> (Bits * (o % PerWord))) & 0xF);
                zeros[o * groups + g] = z;
                symmetric &= z == 8;
            }
        return new Q4Weight(values, scaleRows, symmetric ? null : zeros, groupSize);
    }

    /// <summary>Checks that a layer of this shape and scheme fits the Q4 layout; errors name the layer's qweight.</summary>
    public static void CheckShape(string file, string layer, int outDim, int inDim, int bits, int groupSize)
    {
        string t = $"{layer}.qweight";
        if (bits != Bits) throw new InvalidCheckpointException(file, $"tensor '{t}': {bits}-bit weights are not supported (only {Bits}-bit)");
        if (inDim % Block != 0) throw new InvalidCheckpointException(file, $"tensor '{t}': {inDim} input columns are not a multiple of {Block}");
        if (outDim % PerWord != 0) throw new InvalidCheckpointException(file, $"tensor '{t}': {outDim} output rows are not a multiple of {PerWord} (qzeros packing)");
        if (groupSize <= 0 || groupSize % Block != 0)
            throw new InvalidCheckpointException(file, $"tensor '{t}': group size {groupSize} is not a positive multiple of {Block}");
        if (inDim % groupSize != 0)
            throw new InvalidCheckpointException(file, $"tensor '{t}': group size {groupSize} does not divide the row of {inDim} columns");
    }

    private static int Nibble(ReadOnlySpan<int> qweight, int outDim, int c, int o) =>
        (int)(((uint)qweight[c / PerWord * outDim + o] >> (Bits * (c % PerWord))) & 0xF);

    private static void Expect(string file, string tensor, long found, long expected, string shape)
    {
        if (found != expected)
            throw new InvalidCheckpointException(file, $"tensor '{tensor}': {found} elements, expected {expected} ({shape})");
    }
}
