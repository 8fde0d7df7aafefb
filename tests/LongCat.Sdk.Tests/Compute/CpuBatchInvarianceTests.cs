using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using static LongCat.Sdk.Tests.Compute.BackendTensors;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// Batch invariance of the CPU backend's BF16 products: a token row's outputs have the same bits whatever else is in the call
/// (1 row or 64, first or last), so a request's tokens do not depend on what is batched with it. Each op over T rows is compared
/// bit for bit with the same op over each row alone, and with a double reference at the usual tolerance (1e-5·√K relative to
/// Σ|products|). Run on the Vector512 path and, with DOTNET_EnableAVX512=0, on the Vector256 one (.NET 10 ignores the older
/// DOTNET_EnableAVX512F=0: Vector512.IsHardwareAccelerated stays true under it).
/// </summary>
[TestClass]
public sealed class CpuBatchInvarianceTests
{
    private static CpuBackend NewBackend() => new(WeightResidency.Mapped, threads: 2);

    /// <summary>
    /// Widths around the kernels' steps (16, 32, 64 values) and around the decode path's 4096-column switch; 96, 256, 1024,
    /// 1056, 2080, 4128 and 4160 (multiples of 32) take the tiled many-row path with two or more rows on AVX-512, the others the
    /// row-by-row one. Past 1,024 columns a tile's first group of four token rows goes chunk by chunk (two token rows: past
    /// 4,096, by 2,048): 1056 and 4128 end in a chunk of only the 32-value tail (4128 for two rows too), 2080 in a chunk with
    /// whole steps and the tail, 4160 in one of a single step.
    /// </summary>
    private static readonly int[] InDims = [1, 15, 33, 95, 96, 203, 256, 1000, 1024, 1056, 2080, 4097, 4128, 4160];

    public static IEnumerable<object[]> MatMulCases =>
        from tokens in new[] { 2, 3, 4, 5, 7, 8, 13, 64 }
        from inDim in InDims
        where tokens <= 13 || inDim <= 1000
        select new object[] { tokens, inDim, tokens % 2 == 1 };

    private static void AssertSameBits(float alone, float batched, string what) =>
        Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(batched), $"{what}: {alone:R} alone, {batched:R} in the batch");

    private static void AssertClose(double expected, double magnitude, float actual, int k, string what)
    {
        double tolerance = 1e-5 * Math.Sqrt(k) * magnitude + 1e-30;
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }

    /// <summary>Rows of very different scales (norms and products differ by orders of magnitude from row to row).</summary>
    private static float[] Rows(int rows, int n, Random random)
    {
        var v = TestWeight.Vector(rows * n, random);
        for (int t = 0; t < rows; t++)
            for (int i = 0; i < n; i++) v[t * n + i] *= t % 3 == 0 ? 30f : t % 3 == 1 ? 1f : 1e-2f;
        return v;
    }

    private static float[] Row(float[] rows, int t, int n) => rows.AsSpan(t * n, n).ToArray();

    [TestMethod]
    [DynamicData(nameof(MatMulCases))]
    public void MatMul_Bf16OverManyRows_EachRowHasTheBitsOfThatRowAlone(int tokens, int inDim, bool accumulate)
    {
        // Arrange: 37 output rows (not a multiple of the decode path's four) in a weight of its own exact size.
        const int outDim = 37;
        var random = new Random(tokens * 1000 + inDim);
        using var b = NewBackend();
        using var w = TestWeight.Create(DType.BF16, outDim, inDim, random);
        var xv = Rows(tokens, inDim, random);
        var y0 = TestWeight.Vector(tokens * outDim, random);
        using var x = Upload(b, xv, tokens, inDim);
        using var y = Upload(b, y0, tokens, outDim);

        // Act
        b.MatMul(x, w.Tensor, y, accumulate);
        var batched = Download(b, y);

        // Assert
        for (int t = 0; t < tokens; t++)
        {
            using var xt = Upload(b, Row(xv, t, inDim), 1, inDim);
            using var yt = Upload(b, Row(y0, t, outDim), 1, outDim);
            b.MatMul(xt, w.Tensor, yt, accumulate);
            var alone = Download(b, yt);
            for (int r = 0; r < outDim; r++)
            {
                AssertSameBits(alone[r], batched[t * outDim + r], $"y[{t}, {r}] of {tokens} rows, K = {inDim}");
                double sum = accumulate ? y0[t * outDim + r] : 0, magnitude = Math.Abs(sum);
                for (int i = 0; i < inDim; i++)
                {
                    double p = (double)w.Values[r * inDim + i] * xv[t * inDim + i];
                    sum += p;
                    magnitude += Math.Abs(p);
                }
                AssertClose(sum, magnitude, batched[t * outDim + r], inDim, $"y[{t}, {r}] of {tokens} rows, K = {inDim}");
            }
        }
    }

    [TestMethod]
    [DataRow(4, 4097)]
    [DataRow(5, 203)]
    [DataRow(6, 1024)]
    [DataRow(17, 96)]
    [DataRow(13, 1000)]
    [DataRow(64, 95)]
    public void MatMul_Bf16_ARowGetsTheSameBitsAtEveryPositionOfTheBatch(int tokens, int inDim)
    {
        // Arrange: the same x row at every position, between rows of other scales.
        const int outDim = 9;
        var random = new Random(500 + tokens);
        using var b = NewBackend();
        using var w = TestWeight.Create(DType.BF16, outDim, inDim, random);
        var probe = TestWeight.Vector(inDim, random);
        var others = Rows(tokens, inDim, random);
        using var y = b.Allocate(DType.F32, tokens, outDim);
        float[]? first = null;

        for (int position = 0; position < tokens; position++)
        {
            var xv = (float[])others.Clone();
            probe.CopyTo(xv, position * inDim);
            using var x = Upload(b, xv, tokens, inDim);

            // Act
            b.MatMul(x, w.Tensor, y);

            // Assert
            var row = Row(Download(b, y), position, outDim);
            first ??= row;
            for (int r = 0; r < outDim; r++) AssertSameBits(first[r], row[r], $"y[{r}] at position {position} of {tokens}");
        }
    }

    public static IEnumerable<object[]> FusedCases =>
        from tokens in new[] { 2, 3, 4, 5, 8, 13 }
        from inDim in new[] { 15, 96, 203, 1024, 4097 }
        select new object[] { tokens, inDim };

    [TestMethod]
    [DynamicData(nameof(FusedCases))]
    public void MatMulSwiGlu_Bf16OverManyRows_EachRowHasTheBitsOfThatRowAlone(int tokens, int hidden)
    {
        const int ffn = 37;
        const float eps = 1e-5f;
        var random = new Random(tokens * 77 + hidden);
        using var b = NewBackend();
        using var gate = TestWeight.Create(DType.BF16, ffn, hidden, random);
        using var up = TestWeight.Create(DType.BF16, ffn, hidden, random);
        using var norm = b.Allocate(DType.F32, hidden);
        b.Upload<float>(norm, TestWeight.Vector(hidden, random).Select(v => 1 + v / 2).ToArray());
        var xv = Rows(tokens, hidden, random);
        using var x = Upload(b, xv, tokens, hidden);
        using var h = b.Allocate(DType.F32, tokens, ffn);

        b.MatMulSwiGlu(new RmsNormed(x, norm, eps), gate.Tensor, up.Tensor, h);
        var batched = Download(b, h);

        using var ht = b.Allocate(DType.F32, 1, ffn);
        for (int t = 0; t < tokens; t++)
        {
            using var xt = Upload(b, Row(xv, t, hidden), 1, hidden);
            b.MatMulSwiGlu(new RmsNormed(xt, norm, eps), gate.Tensor, up.Tensor, ht);
            var alone = Download(b, ht);
            for (int f = 0; f < ffn; f++) AssertSameBits(alone[f], batched[t * ffn + f], $"h[{t}, {f}] of {tokens} rows, H = {hidden}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(FusedCases))]
    public void MatMulPair_Bf16OverManyRows_EachRowHasTheBitsOfThatRowAlone(int tokens, int inDim)
    {
        const float eps = 1e-6f;
        var random = new Random(tokens * 91 + inDim);
        using var b = NewBackend();
        using var w1 = TestWeight.Create(DType.BF16, 30, inDim, random);
        using var w2 = TestWeight.Create(DType.BF16, 7, inDim, random);
        using var norm = b.Allocate(DType.F32, inDim);
        b.Upload<float>(norm, TestWeight.Vector(inDim, random).Select(v => 1 + v / 2).ToArray());
        var xv = Rows(tokens, inDim, random);
        using var x = Upload(b, xv, tokens, inDim);
        using var y1 = b.Allocate(DType.F32, tokens, 30);
        using var y2 = b.Allocate(DType.F32, tokens, 7);

        b.MatMulPair(new RmsNormed(x, norm, eps), w1.Tensor, y1, w2.Tensor, y2);
        var batched1 = Download(b, y1);
        var batched2 = Download(b, y2);

        using var a1 = b.Allocate(DType.F32, 1, 30);
        using var a2 = b.Allocate(DType.F32, 1, 7);
        for (int t = 0; t < tokens; t++)
        {
            using var xt = Upload(b, Row(xv, t, inDim), 1, inDim);
            b.MatMulPair(new RmsNormed(xt, norm, eps), w1.Tensor, a1, w2.Tensor, a2);
            var alone1 = Download(b, a1);
            var alone2 = Download(b, a2);
            for (int r = 0; r < 30; r++) AssertSameBits(alone1[r], batched1[t * 30 + r], $"y1[{t}, {r}] of {tokens} rows, K = {inDim}");
            for (int r = 0; r < 7; r++) AssertSameBits(alone2[r], batched2[t * 7 + r], $"y2[{t}, {r}] of {tokens} rows, K = {inDim}");
        }
    }

    [TestMethod]
    [DataRow(131, 37, false)]
    [DataRow(40, 4100, true)]
    [DataRow(4097, 24, false)]
    public void MoeExperts_Bf16_ATokenGetsTheSameBitsWhetherItsExpertServesOneTokenOrMany(int hidden, int ffn, bool accumulate)
    {
        // Arrange: 13 tokens, top-2 over 3 real experts (0..2) and one identity (3). Expert 0 serves every token, expert 1
        // seven of them, expert 2 one; alone, each token is its experts' only token.
        const int tokens = 13, k = 2, real = 3;
        var random = new Random(hidden + ffn);
        using var b = NewBackend();
        var gate = Enumerable.Range(0, real).Select(_ => TestWeight.Create(DType.BF16, ffn, hidden, random)).ToArray();
        var up = Enumerable.Range(0, real).Select(_ => TestWeight.Create(DType.BF16, ffn, hidden, random)).ToArray();
        var down = Enumerable.Range(0, real).Select(_ => TestWeight.Create(DType.BF16, hidden, ffn, random)).ToArray();
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
            b.MoeExperts(x, ids, weights, experts, output, accumulate);
            var batched = Download(b, output);

            // Assert
            for (int t = 0; t < tokens; t++)
            {
                using var xt = Upload(b, Row(xv, t, hidden), 1, hidden);
                using var it = UploadInts(b, idv.AsSpan(t * k, k).ToArray(), 1, k);
                using var wt = Upload(b, wv.AsSpan(t * k, k).ToArray(), 1, k);
                using var ot = Upload(b, Row(h0, t, hidden), 1, hidden);
                b.MoeExperts(xt, it, wt, experts, ot, accumulate);
                var alone = Download(b, ot);
                for (int i = 0; i < hidden; i++) AssertSameBits(alone[i], batched[t * hidden + i], $"token {t} [{i}], H = {hidden}, F = {ffn}");
            }
        }
        finally
        {
            foreach (var w in gate.Concat(up).Concat(down)) w.Dispose();
        }
    }
}
