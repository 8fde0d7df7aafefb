using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using static LongCat.Sdk.Tests.Compute.BackendTensors;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The CPU backend's Q8/Q4 products: batch invariance (a token row's outputs have the same bits alone, in a batch of 2 to 9
/// rows, at any position, and whichever other tokens share its MoE expert) and agreement with the exact product of the
/// dequantized weights within the int8 activations' rounding.
/// </summary>
[TestClass]
public sealed class CpuQuantizedProductTests
{
    private static CpuBackend NewBackend() => new(WeightResidency.Mapped, threads: 2);

    public static IEnumerable<object[]> Formats =>
    [
        [(int)DType.Q8, 32, false],
        [(int)DType.Q4, 32, false],
        [(int)DType.Q4, 64, true],
        [(int)DType.Q4, 128, false],
    ];

    private static void AssertSameBits(float alone, float batched, string what) =>
        Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(batched), $"{what}: {alone:R} alone, {batched:R} in the batch");

    private static float[] Rows(int rows, int n, Random random)
    {
        var v = TestWeight.Vector(rows * n, random);
        for (int t = 0; t < rows; t++)
            for (int i = 0; i < n; i++) v[t * n + i] *= t % 3 == 0 ? 30f : t % 3 == 1 ? 1f : 1e-2f;
        return v;
    }

    private static float[] Row(float[] rows, int t, int n) => rows.AsSpan(t * n, n).ToArray();

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void MatMul_QuantizedOverOneToNineRows_EachRowHasTheBitsOfThatRowAloneAndIsCloseToExact(int format, int groupSize, bool withZeros)
    {
        // Arrange: 37 output rows (not a multiple of the 16-row batches), K = 640 (20 blocks: not a multiple of the 8-block chunk).
        const int outDim = 37, inDim = 640;
        var random = new Random(format * 100 + groupSize);
        using var b = NewBackend();
        using var w = TestWeight.CreateQuantized((DType)format, outDim, inDim, random, groupSize, withZeros);
        var alone = new float[9][];
        for (int tokens = 1; tokens <= 9; tokens++)
        {
            var xv = Rows(tokens, inDim, new Random(5));                        // the same rows each time: row t is row t of every batch
            using var x = Upload(b, xv, tokens, inDim);
            using var y = b.Allocate(DType.F32, tokens, outDim);

            // Act
            b.MatMul(x, w.Tensor, y);
            var batched = Download(b, y);

            // Assert
            for (int t = 0; t < tokens; t++)
            {
                alone[t] ??= Row(batched, t, outDim);                           // as first seen, in the call with t + 1 rows
                for (int r = 0; r < outDim; r++)
                    AssertSameBits(alone[t][r], batched[t * outDim + r], $"y[{t}, {r}] of {tokens} rows");
            }
            if (tokens == 9)
                for (int t = 0; t < tokens; t++)
                    for (int r = 0; r < outDim; r++)
                    {
                        double exact = 0, magnitude = 0;
                        for (int i = 0; i < inDim; i++)
                        {
                            double p = (double)w.Values[r * inDim + i] * xv[t * inDim + i];
                            exact += p;
                            magnitude += Math.Abs(p);
                        }
                        // int8 activations: a relative error per value of at most 1/254 of its block's max; 1% of Σ|w·x| is generous.
                        Assert.IsTrue(Math.Abs(batched[t * outDim + r] - exact) <= 0.01 * magnitude, $"y[{t}, {r}]: exact {exact:R}, got {batched[t * outDim + r]:R}");
                    }
        }

        // ... and a row alone is the first row of a one-row call.
        for (int t = 0; t < 9; t++)
        {
            using var xt = Upload(b, Row(Rows(9, inDim, new Random(5)), t, inDim), 1, inDim);
            using var yt = b.Allocate(DType.F32, 1, outDim);
            b.MatMul(xt, w.Tensor, yt);
            var one = Download(b, yt);
            for (int r = 0; r < outDim; r++) AssertSameBits(one[r], alone[t][r], $"y[{t}, {r}] alone");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Formats))]
    public void MatMulSwiGluAndPair_Quantized_EachRowHasTheBitsOfThatRowAlone(int format, int groupSize, bool withZeros)
    {
        const int ffn = 37, hidden = 384, tokens = 7;
        const float eps = 1e-5f;
        var random = new Random(format + groupSize);
        using var b = NewBackend();
        using var gate = TestWeight.CreateQuantized((DType)format, ffn, hidden, random, groupSize, withZeros);
        using var up = TestWeight.CreateQuantized((DType)format, ffn, hidden, random, groupSize, withZeros);
        using var norm = b.Allocate(DType.F32, hidden);
        b.Upload<float>(norm, TestWeight.Vector(hidden, random).Select(v => 1 + v / 2).ToArray());
        var xv = Rows(tokens, hidden, random);
        using var x = Upload(b, xv, tokens, hidden);
        using var h = b.Allocate(DType.F32, tokens, ffn);
        using var y1 = b.Allocate(DType.F32, tokens, ffn);
        using var y2 = b.Allocate(DType.F32, tokens, ffn);

        b.MatMulSwiGlu(new RmsNormed(x, norm, eps), gate.Tensor, up.Tensor, h);
        b.MatMulPair(new RmsNormed(x, norm, eps), gate.Tensor, y1, up.Tensor, y2);
        var batched = Download(b, h);
        var batched1 = Download(b, y1);
        var batched2 = Download(b, y2);

        using var ht = b.Allocate(DType.F32, 1, ffn);
        using var a1 = b.Allocate(DType.F32, 1, ffn);
        using var a2 = b.Allocate(DType.F32, 1, ffn);
        for (int t = 0; t < tokens; t++)
        {
            using var xt = Upload(b, Row(xv, t, hidden), 1, hidden);
            b.MatMulSwiGlu(new RmsNormed(xt, norm, eps), gate.Tensor, up.Tensor, ht);
            b.MatMulPair(new RmsNormed(xt, norm, eps), gate.Tensor, a1, up.Tensor, a2);
            var alone = Download(b, ht);
            var alone1 = Download(b, a1);
            var alone2 = Download(b, a2);
            for (int f = 0; f < ffn; f++)
            {
                AssertSameBits(alone[f], batched[t * ffn + f], $"h[{t}, {f}] of {tokens} rows");
                AssertSameBits(alone1[f], batched1[t * ffn + f], $"y1[{t}, {f}] of {tokens} rows");
                AssertSameBits(alone2[f], batched2[t * ffn + f], $"y2[{t}, {f}] of {tokens} rows");
                // The fused op's gate and up are the pair's products.
                AssertSameBits(SimdKernels.SiluMul(alone1[f], alone2[f]), alone[f], $"h[{t}, {f}] from the pair");
            }
        }
    }

    [TestMethod]
    [DataRow((int)DType.Q8, 160, 96)]
    [DataRow((int)DType.Q4, 224, 64)]
    public void MoeExperts_Quantized_ATokenGetsTheSameBitsWhetherItsExpertServesOneTokenOrMany(int format, int hidden, int ffn)
    {
        // Arrange: as the BF16 case (CpuBatchInvarianceTests): 13 tokens, top-2 over 3 real experts and one identity.
        const int tokens = 13, k = 2, real = 3;
        var random = new Random(hidden + ffn);
        using var b = NewBackend();
        var dtype = (DType)format;
        var gate = Enumerable.Range(0, real).Select(_ => TestWeight.CreateQuantized(dtype, ffn, hidden, random)).ToArray();
        var up = Enumerable.Range(0, real).Select(_ => TestWeight.CreateQuantized(dtype, ffn, hidden, random)).ToArray();
        var down = Enumerable.Range(0, real).Select(_ => TestWeight.CreateQuantized(dtype, hidden, ffn, random)).ToArray();
        var experts = new ExpertWeights(gate.Select(w => (DeviceTensor)w.Tensor).ToArray(), up.Select(w => (DeviceTensor)w.Tensor).ToArray(),
            down.Select(w => (DeviceTensor)w.Tensor).ToArray());
        var idv = new int[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            idv[t * k] = 0;
            idv[t * k + 1] = t == 6 ? 2 : t % 2 == 0 ? 1 : 3;
        }
        var xv = Rows(tokens, hidden, random);
        var wv = TestWeight.Vector(tokens * k, random);
        var h0 = TestWeight.Vector(tokens * hidden, random);
        using var x = Upload(b, xv, tokens, hidden);
        using var ids = UploadInts(b, idv, tokens, k);
        using var weights = Upload(b, wv, tokens, k);
        using var output = Upload(b, h0, tokens, hidden);

        try
        {
            // Act
            b.MoeExperts(x, ids, weights, experts, output, accumulate: true);
            var batched = Download(b, output);

            // Assert
            for (int t = 0; t < tokens; t++)
            {
                using var xt = Upload(b, Row(xv, t, hidden), 1, hidden);
                using var it = UploadInts(b, idv.AsSpan(t * k, k).ToArray(), 1, k);
                using var wt = Upload(b, wv.AsSpan(t * k, k).ToArray(), 1, k);
                using var ot = Upload(b, Row(h0, t, hidden), 1, hidden);
                b.MoeExperts(xt, it, wt, experts, ot, accumulate: true);
                var alone = Download(b, ot);
                for (int i = 0; i < hidden; i++) AssertSameBits(alone[i], batched[t * hidden + i], $"token {t} [{i}], {dtype}");
            }
        }
        finally
        {
            foreach (var w in gate.Concat(up).Concat(down)) w.Dispose();
        }
    }
}
