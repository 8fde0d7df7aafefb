using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using static LongCat.Sdk.Tests.Compute.BackendTensors;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// CPU backend ops against scalar double references: matmul, RMSNorm, the router's top-k, and the MoE combine (the fused MLA and
/// norm-prologue ops: <see cref="CpuFusedOpsTests"/>).
/// </summary>
[TestClass]
internal sealed unsafe class CpuBackendOpsTests
{
    private static CpuBackend NewBackend() => new(WeightResidency.Mapped, threads: 2);

    private static void AssertClose(double expected, double magnitude, float actual, double relative, string what)
    {
        double tolerance = relative * magnitude + 1e-30;
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }

    [TestMethod]
    [DataRow(DType.BF16, 1, false)]
    [DataRow(DType.BF16, 2, true)]
    [DataRow(DType.BF16, 3, false)]
    [DataRow(DType.BF16, 5, false)]
    [DataRow(DType.BF16, 7, false)]
    [DataRow(DType.BF16, 8, true)]
    [DataRow(DType.BF16, 13, false)]
    [DataRow(DType.F32, 1, false)]
    [DataRow(DType.F32, 3, false)]
    [DataRow(DType.F32, 5, true)]
    [DataRow(DType.F16, 3, false)]
    [DataRow(DType.F8E4M3, 5, false)]
    public void MatMul_TokenRows_MatchesDoubleReference(DType dtype, int tokens, bool accumulate)
    {
        // Arrange: W [130, 203]: odd widths, two FP8 scale blocks each way.
        const int outDim = 130, inDim = 203;
        var random = new Random(tokens * 31 + (int)dtype);
        using var b = NewBackend();
        using var w = TestWeight.Create(dtype, outDim, inDim, random);
        var xv = TestWeight.Vector(tokens * inDim, random);
        var y0 = TestWeight.Vector(tokens * outDim, random);
        using var x = Upload(b, xv, tokens, inDim);
        using var y = Upload(b, y0, tokens, outDim);

        // Act
        b.MatMul(x, w.Tensor, y, accumulate);

        // Assert
        var actual = Download(b, y);
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < outDim; r++)
            {
                double sum = accumulate ? y0[t * outDim + r] : 0, magnitude = Math.Abs(sum);
                for (int i = 0; i < inDim; i++)
                {
                    double p = (double)w.Values[r * inDim + i] * xv[t * inDim + i];
                    sum += p;
                    magnitude += Math.Abs(p);
                }
                AssertClose(sum, magnitude, actual[t * outDim + r], 1e-5 * Math.Sqrt(inDim), $"{dtype} y[{t}, {r}]");
            }
    }

    [TestMethod]
    public void MatMul_MismatchedShapes_Throws()
    {
        using var b = NewBackend();
        using var w = TestWeight.Create(DType.F32, 4, 6, new Random(1));
        using var x = b.Allocate(DType.F32, 2, 5);
        using var y = b.Allocate(DType.F32, 2, 4);

        Assert.ThrowsExactly<ArgumentException>(() => b.MatMul(x, w.Tensor, y));
    }

    [TestMethod]
    [DataRow(DType.F32)]
    [DataRow(DType.BF16)]
    public void RmsNorm_Rows_MatchDoubleReference(DType weightType)
    {
        // Arrange: 3 rows of 37, rows of very different scale.
        const int rows = 3, n = 37;
        const float eps = 1e-5f;
        var random = new Random(7);
        using var b = NewBackend();
        using var weight = TestWeight.Create(weightType, 1, n, random, magnitude: 2f);
        var xv = TestWeight.Vector(rows * n, random);
        for (int i = 0; i < n; i++) { xv[n + i] *= 1e-3f; xv[2 * n + i] *= 50f; }
        using var x = Upload(b, xv, rows, n);
        using var o = b.Allocate(DType.F32, rows, n);
        using var w = new CpuTensor(weightType, [n], weight.Tensor.Data, owned: false);   // norms are vectors [n]

        // Act
        b.RmsNorm(x, w, eps, o);

        // Assert
        var actual = Download(b, o);
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int i = 0; i < n; i++) ms += (double)xv[r * n + i] * xv[r * n + i];
            double inv = 1 / Math.Sqrt(ms / n + eps);
            for (int i = 0; i < n; i++)
            {
                double expected = weight.Values[i] * xv[r * n + i] * inv;
                AssertClose(expected, Math.Abs(expected), actual[r * n + i], 1e-5, $"row {r} [{i}]");
            }
        }
    }

    [TestMethod]
    public void RouterTopK_BiasChangesSelection_WeightIsUnbiasedScoreTimesScaling()
    {
        // Arrange: 2 tokens, hidden 2, 4 experts. x = [3, 0] and [0, -0.5] with norm weights [1/√2, −1/√2] and eps 0 normalize to
        // [1, 0] and [0, 1], so the logits are: token 0 → [2, 1, 0, -1]; token 1 → [0, 0.5, 1, 2].
        // Bias +0.5 on expert 2 makes token 0 pick {0, 2} instead of {0, 1}, and token 1 pick 2 before 3.
        using var b = NewBackend();
        using var x = Upload(b, [3, 0, 0, -0.5f], 2, 2);
        using var norm = Upload(b, [MathF.Sqrt(0.5f), -MathF.Sqrt(0.5f)], 2);
        using var classifier = Upload(b, [2, 0, 1, 0.5f, 0, 1, -1, 2], 4, 2);
        using var bias = Upload(b, [0, 0, 0.5f, 0], 4);
        using var ids = b.Allocate(DType.I32, 2, 2);
        using var weights = b.Allocate(DType.F32, 2, 2);
        using var normed = b.Allocate(DType.F32, 2, 2);
        const float scaling = 2.5f;

        // Act
        b.RouterTopK(new RmsNormed(x, norm, 0f), classifier, bias, topK: 2, scaling, ids, weights, normed);

        // Assert
        var idv = new int[4];
        b.Download<int>(ids, idv);
        var wv = Download(b, weights);
        var nv = Download(b, normed);
        double[] expectedNormed = [1, 0, 0, 1];
        for (int i = 0; i < 4; i++) Assert.AreEqual(expectedNormed[i], nv[i], 1e-6, $"normed input {i}");
        CollectionAssert.AreEqual(new[] { 0, 2, 2, 3 }, idv);
        double[] Softmax(double[] l) { var e = l.Select(Math.Exp).ToArray(); double s = e.Sum(); return e.Select(v => v / s).ToArray(); }
        var p0 = Softmax([2, 1, 0, -1]);
        var p1 = Softmax([0, 0.5, 1, 2]);
        double[] expected = [p0[0] * scaling, p0[2] * scaling, p1[2] * scaling, p1[3] * scaling];
        for (int i = 0; i < 4; i++) Assert.AreEqual(expected[i], wv[i], 1e-6, $"weight {i}");
    }

    [TestMethod]
    public void SingleThreadBackend_MatMulMatchesTwoThreads_AndDisposesCleanly()
    {
        // One thread means a worker pool with no workers; its Dispose used to call SemaphoreSlim.Release(0), which throws.
        var random = new Random(17);
        using var w2 = TestWeight.Create(DType.BF16, 67, 45, random);
        var xv = TestWeight.Vector(3 * 45, random);
        float[] Run(CpuBackend b, TestWeight w)
        {
            using var x = Upload(b, xv, 3, 45);
            using var y = b.Allocate(DType.F32, 3, 67);
            b.MatMul(x, w.Tensor, y);
            return Download(b, y);
        }
        float[] expected;
        using (var two = NewBackend()) expected = Run(two, w2);

        var one = new CpuBackend(WeightResidency.Mapped, threads: 1);
        float[] actual = Run(one, w2);
        one.Dispose();

        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void RouterTopK_LogitsBeyondExpRange_WeightsStayFinite()
    {
        // A trained router can produce logits above 88, where exp overflows float: the softmax must subtract the maximum first.
        // x = [1, 0] normalizes (eps 0) to [√2, 0]; the norm weight 100/√2 makes it [100, 0], so the logits are [100, 95, 0].
        using var b = NewBackend();
        using var x = Upload(b, [1, 0], 1, 2);
        using var norm = Upload(b, [100 / MathF.Sqrt(2), 1], 2);
        using var classifier = Upload(b, [1, 0, 0.95f, 0, 0, 1], 3, 2);
        using var bias = Upload(b, [0, 0, 0], 3);
        using var ids = b.Allocate(DType.I32, 1, 2);
        using var weights = b.Allocate(DType.F32, 1, 2);
        using var normed = b.Allocate(DType.F32, 1, 2);

        b.RouterTopK(new RmsNormed(x, norm, 0f), classifier, bias, topK: 2, 1f, ids, weights, normed);

        var wv = Download(b, weights);
        double e5 = Math.Exp(-5);
        Assert.AreEqual(1 / (1 + e5), wv[0], 1e-6);
        Assert.AreEqual(e5 / (1 + e5), wv[1], 1e-6);
    }

    [TestMethod]
    public void MoeExperts_OnlyIdentityExperts_OutputIsWeightTimesInputExactly()
    {
        // Arrange: two real experts exist but every token routes to an identity id (≥ 2).
        const int tokens = 3, hidden = 8, ffn = 4;
        var random = new Random(9);
        using var b = NewBackend();
        using var experts = new Experts(2, DType.F32, hidden, ffn, random);
        var xv = TestWeight.Vector(tokens * hidden, random);
        float[] wv = [0.5f, -1.25f, 3.1f];
        using var x = Upload(b, xv, tokens, hidden);
        using var ids = UploadInts(b, [2, 3, 2], tokens, 1);
        using var weights = Upload(b, wv, tokens, 1);
        using var output = b.Allocate(DType.F32, tokens, hidden);

        // Act
        b.MoeExperts(x, ids, weights, experts.Weights, output);

        // Assert
        var actual = Download(b, output);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < hidden; i++)
                Assert.AreEqual(wv[t] * xv[t * hidden + i], actual[t * hidden + i], $"[{t}, {i}]");
    }

    [TestMethod]
    [DataRow(DType.F32, false)]
    [DataRow(DType.BF16, false)]
    [DataRow(DType.BF16, true)]
    public void MoeExperts_MixedRealAndIdentity_MatchesDoubleReference(DType dtype, bool accumulate)
    {
        // Arrange: 6 tokens, top-3 over 3 real experts (ids 0..2) and 2 identity ones (3, 4). Expert 0 serves five tokens,
        // so its down projection takes the four-token path; token 5 uses identity experts only.
        const int tokens = 6, hidden = 40, ffn = 24, k = 3;
        var random = new Random(10 + (int)dtype);
        using var b = NewBackend();
        using var experts = new Experts(3, dtype, hidden, ffn, random);
        var xv = TestWeight.Vector(tokens * hidden, random);
        int[] idv = [0, 3, 1, 0, 2, 4, 1, 0, 3, 0, 4, 2, 2, 1, 0, 3, 4, 3];
        var wv = TestWeight.Vector(tokens * k, random);
        using var x = Upload(b, xv, tokens, hidden);
        using var ids = UploadInts(b, idv, tokens, k);
        using var weights = Upload(b, wv, tokens, k);
        var h0 = TestWeight.Vector(tokens * hidden, random);                 // the residual stream the output is added to
        using var output = Upload(b, h0, tokens, hidden);

        // Act
        b.MoeExperts(x, ids, weights, experts.Weights, output, accumulate);

        // Assert
        var actual = Download(b, output);
        for (int t = 0; t < tokens; t++)
        {
            var xt = xv.AsSpan(t * hidden, hidden).ToArray();
            var expected = new double[hidden];
            var magnitude = new double[hidden];
            if (accumulate)
                for (int i = 0; i < hidden; i++) { expected[i] = h0[t * hidden + i]; magnitude[i] = Math.Abs(expected[i]); }
            for (int s = 0; s < k; s++)
            {
                int e = idv[t * k + s];
                var (y, yMagnitude) = e < 3 ? experts.Reference(e, xt) : (xt.Select(v => (double)v).ToArray(), xt.Select(v => Math.Abs((double)v)).ToArray());
                for (int i = 0; i < hidden; i++)
                {
                    expected[i] += wv[t * k + s] * y[i];
                    magnitude[i] += Math.Abs(wv[t * k + s]) * yMagnitude[i];
                }
            }
            for (int i = 0; i < hidden; i++) AssertClose(expected[i], magnitude[i], actual[t * hidden + i], 1e-4, $"{dtype} [{t}, {i}]");
        }
    }

    /// <summary>Random SwiGLU experts and their double-precision reference.</summary>
    private sealed class Experts : IDisposable
    {
        private readonly TestWeight[] _gate, _up, _down;

        public Experts(int count, DType dtype, int hidden, int ffn, Random random)
        {
            _gate = Enumerable.Range(0, count).Select(_ => TestWeight.Create(dtype, ffn, hidden, random)).ToArray();
            _up = Enumerable.Range(0, count).Select(_ => TestWeight.Create(dtype, ffn, hidden, random)).ToArray();
            _down = Enumerable.Range(0, count).Select(_ => TestWeight.Create(dtype, hidden, ffn, random)).ToArray();
            Weights = new ExpertWeights(_gate.Select(w => (DeviceTensor)w.Tensor).ToArray(), _up.Select(w => (DeviceTensor)w.Tensor).ToArray(),
                _down.Select(w => (DeviceTensor)w.Tensor).ToArray());
        }

        public ExpertWeights Weights { get; }

        /// <summary>down(silu(gate·x) ⊙ up·x) in double, and Σ|down·h| per output (the scale of its rounding error).</summary>
        public (double[] Y, double[] Magnitude) Reference(int e, float[] x)
        {
            int ffn = _gate[e].Rows, hidden = _gate[e].Cols;
            var h = new double[ffn];
            for (int f = 0; f < ffn; f++)
            {
                double g = 0, u = 0;
                for (int i = 0; i < hidden; i++)
                {
                    g += (double)_gate[e].Values[f * hidden + i] * x[i];
                    u += (double)_up[e].Values[f * hidden + i] * x[i];
                }
                h[f] = g / (1 + Math.Exp(-g)) * u;
            }
            var y = new double[hidden];
            var magnitude = new double[hidden];
            for (int i = 0; i < hidden; i++)
                for (int f = 0; f < ffn; f++)
                {
                    y[i] += _down[e].Values[i * ffn + f] * h[f];
                    magnitude[i] += Math.Abs(_down[e].Values[i * ffn + f] * h[f]);
                }
            return (y, magnitude);
        }

        public void Dispose()
        {
            foreach (var w in _gate.Concat(_up).Concat(_down)) w.Dispose();
        }
    }
}
