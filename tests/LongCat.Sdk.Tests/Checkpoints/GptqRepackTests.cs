using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// <see cref="GptqRepack"/> against hand-packed GPTQ tensors: qweight [I/8, O] (eight 4-bit values along the input dim per int32,
/// element 8k+j at bits 4j), qzeros [I/G, O/8] (along the output dim), scales [I/G, O]; zeros stored as is (v2) or minus one (v1).
/// </summary>
[TestClass]
public sealed class GptqRepackTests
{
    private const string File = "model.safetensors", Layer = "model.layers.0.mlps.0.gate_proj";

    /// <summary>An int32 word of eight 4-bit fields, element j at bits 4j, as the exporters compute it: the wrapped sum of v << 4j
    /// (a v1 zero of 0 is −1 and borrows from the next field).</summary>
    private static int Word(params int[] fields)
    {
        long sum = 0;
        for (int j = 0; j < 8; j++) sum += (long)fields[j] << (4 * j);
        return unchecked((int)(uint)(sum & 0xFFFFFFFF));
    }

    /// <summary>qweight [I/8, O] of q [O, I].</summary>
    private static int[] PackQWeight(int[,] q)
    {
        int o = q.GetLength(0), i = q.GetLength(1);
        var words = new int[i / 8 * o];
        for (int k = 0; k < i / 8; k++)
            for (int r = 0; r < o; r++)
                words[k * o + r] = Word(Enumerable.Range(0, 8).Select(j => q[r, 8 * k + j]).ToArray());
        return words;
    }

    private static int[,] Values(int outDim, int inDim, Func<int, int, int> f)
    {
        var q = new int[outDim, inDim];
        for (int r = 0; r < outDim; r++)
            for (int c = 0; c < inDim; c++) q[r, c] = f(r, c);
        return q;
    }

    private static int Q4At(byte[] values, int inDim, int r, int c)
    {
        byte b = values[r * inDim / 2 + c / 32 * 16 + c % 16];
        return c % 32 < 16 ? b & 0xF : b >> 4;
    }

    [TestMethod]
    public void Repack_HandPackedWords_PutsColumnJAndJPlus16InOneByte()
    {
        // Arrange: O 8, I 32 (qweight [4, 8]); row 0 holds q = 0..15, then 0 ×8, then 1 ×8; the other rows 0.
        var qweight = new int[4 * 8];
        qweight[0 * 8] = 0x76543210;
        qweight[1 * 8] = unchecked((int)0xFEDCBA98);
        qweight[3 * 8] = 0x11111111;
        int[] qzeros = [0x77777777];                       // v1: every zero 8, stored 7
        Half[] scales = [.. Enumerable.Repeat((Half)0.5f, 8)];

        // Act
        var w = GptqRepack.Repack(File, Layer, 8, 32, qweight, qzeros, scales, [], 4, 32, zeroMinusOne: true);

        // Assert: row 0, byte j = q[j] | q[16 + j] << 4.
        byte[] expected = [.. Enumerable.Range(0, 16).Select(j => (byte)(j | (j < 8 ? 0 : 1) << 4))];
        CollectionAssert.AreEqual(expected, w.Values[..16]);
        Assert.IsNull(w.Zeros, "every zero is 8: symmetric");
        Assert.AreEqual(32, w.GroupSize);
        Assert.AreEqual((Half)0.5f, w.Scales[0]);
    }

    [TestMethod]
    public void Repack_Symmetric_EveryValueAndScaleInItsPlace()
    {
        // Arrange: O 16, I 64, G 32: q[r, c] = (7r + 3c) % 16, scale[g, r] = r + g/4.
        int outDim = 16, inDim = 64, group = 32, groups = 2;
        var q = Values(outDim, inDim, (r, c) => (7 * r + 3 * c) % 16);
        var scales = new Half[groups * outDim];
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < outDim; r++) scales[g * outDim + r] = (Half)(r + g / 4f);
        int[] qzeros = [.. Enumerable.Repeat(Word(7, 7, 7, 7, 7, 7, 7, 7), groups * outDim / 8)];

        // Act
        var w = GptqRepack.Repack(File, Layer, outDim, inDim, PackQWeight(q), qzeros, scales, [], 4, group, zeroMinusOne: true);

        // Assert
        for (int r = 0; r < outDim; r++)
        {
            for (int c = 0; c < inDim; c++) Assert.AreEqual(q[r, c], Q4At(w.Values, inDim, r, c), $"q[{r}, {c}]");
            for (int g = 0; g < groups; g++) Assert.AreEqual(scales[g * outDim + r], w.Scales[r * groups + g], $"scale[{r}, {g}]");
        }
        Assert.IsNull(w.Zeros);
    }

    [TestMethod]
    public void Repack_AsymmetricV1_RestoresZerosIncludingZeroThatBorrowed()
    {
        // Arrange: O 8, I 32, one group; zeros per row, stored minus one (a zero of 0 is −1: it borrows from the next field).
        int[] zero = [0, 5, 15, 1, 0, 8, 3, 2];
        int[] qzeros = [Word([.. zero.Select(z => z - 1)])];
        var q = Values(8, 32, (r, c) => (r + c) % 16);

        // Act
        var w = GptqRepack.Repack(File, Layer, 8, 32, PackQWeight(q), qzeros, [.. Enumerable.Repeat((Half)1, 8)], [], 4, 32, zeroMinusOne: true);

        // Assert: the zeros [O, I/G] come back exactly; splitting the stored word and adding one would not (nibble 0 is 0xF).
        Assert.IsNotNull(w.Zeros);
        CollectionAssert.AreEqual(zero.Select(z => (byte)z).ToArray(), w.Zeros);
        Assert.AreEqual(0xF, qzeros[0] & 0xF, "row 0's stored zero − 1 = −1 fills its nibble (and borrows from row 1's)");
    }

    [TestMethod]
    public void Repack_AsymmetricV2_ZerosAsStoredTransposedToRows()
    {
        // Arrange: O 16, I 64, G 32: zero[g, r] = (r + 5g) % 16, packed eight rows to a word.
        int outDim = 16, groups = 2;
        var qzeros = new int[groups * outDim / 8];
        for (int g = 0; g < groups; g++)
            for (int k = 0; k < outDim / 8; k++)
                qzeros[g * 2 + k] = Word([.. Enumerable.Range(0, 8).Select(j => (8 * k + j + 5 * g) % 16)]);
        var q = Values(outDim, 64, (r, c) => c % 16);

        // Act
        var w = GptqRepack.Repack(File, Layer, outDim, 64, PackQWeight(q), qzeros, new Half[groups * outDim], [], 4, 32, zeroMinusOne: false);

        // Assert
        for (int r = 0; r < outDim; r++)
            for (int g = 0; g < groups; g++) Assert.AreEqual((r + 5 * g) % 16, w.Zeros![r * groups + g], $"zero[{r}, {g}]");
    }

    [TestMethod]
    public void Repack_TrivialGIdx_IsAccepted()
    {
        var q = Values(8, 64, (r, c) => 1);
        int[] gIdx = [.. Enumerable.Range(0, 64).Select(c => c / 32)];

        var w = GptqRepack.Repack(File, Layer, 8, 64, PackQWeight(q), [Word(7, 7, 7, 7, 7, 7, 7, 7), Word(7, 7, 7, 7, 7, 7, 7, 7)],
            new Half[16], gIdx, 4, 32, zeroMinusOne: true);

        Assert.AreEqual(32 * 8, w.Values.Length);
    }

    private static void AssertRejected(Action repack, string tensor, string what)
    {
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(repack);
        StringAssert.Contains(ex.Message, $"'{tensor}'");
        StringAssert.Contains(ex.Message, what);
    }

    private static readonly int[] Zeros8x64 = [0x77777777, 0x77777777];

    [TestMethod]
    public void Repack_QWeightOfWrongPackedLength_ThrowsNamingQWeight() =>
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 64, new int[8 * 8 - 1], Zeros8x64, new Half[16], [], 4, 32, true),
            Layer + ".qweight", "expected 64");

    [TestMethod]
    public void Repack_ScalesOfWrongLength_ThrowsNamingScales() =>
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 64, new int[64], Zeros8x64, new Half[8], [], 4, 32, true),
            Layer + ".scales", "expected 16");

    [TestMethod]
    public void Repack_QZerosOfWrongLength_ThrowsNamingQZeros() =>
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 64, new int[64], [0x77777777], new Half[16], [], 4, 32, true),
            Layer + ".qzeros", "expected 2");

    [TestMethod]
    public void Repack_GroupSizeNotDividingTheRow_ThrowsNamingQWeight() =>
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 96, new int[96], [0x77777777], new Half[8], [], 4, 64, true),
            Layer + ".qweight", "group size 64 does not divide the row of 96 columns");

    [TestMethod]
    public void Repack_EightBits_ThrowsNamingQWeight() =>
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 64, new int[128], Zeros8x64, new Half[16], [], 8, 32, true),
            Layer + ".qweight", "8-bit");

    [TestMethod]
    public void Repack_ActOrderGIdx_ThrowsNamingGIdx()
    {
        int[] gIdx = [.. Enumerable.Range(0, 64).Select(c => c % 2)];       // desc_act: columns interleaved across groups
        AssertRejected(() => GptqRepack.Repack(File, Layer, 8, 64, new int[64], Zeros8x64, new Half[16], gIdx, 4, 32, true),
            Layer + ".g_idx", "act-order");
    }
}
