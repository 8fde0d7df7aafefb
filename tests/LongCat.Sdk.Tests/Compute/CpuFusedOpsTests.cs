using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using static LongCat.Sdk.Tests.Compute.BackendTensors;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The CPU backend's fused ops against scalar double references at odd sizes: the norm-prologue projections (MatMulPair,
/// MatMulSwiGlu over RmsNormed rows) and MLA's query-and-cache op. Tolerance: 1e-5·√K relative to Σ|products| per output.
/// </summary>
[TestClass]
internal sealed unsafe class CpuFusedOpsTests
{
    private static CpuBackend NewBackend() => new(WeightResidency.Mapped, threads: 2);

    private static void AssertClose(double expected, double magnitude, float actual, double relative, string what)
    {
        double tolerance = relative * magnitude + 1e-30;
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }

    /// <summary>Rows of very different scales, so a norm factor applied to the wrong row or not at all shows.</summary>
    private static float[] ScaledRows(int rows, int n, Random random)
    {
        var v = TestWeight.Vector(rows * n, random);
        for (int t = 0; t < rows; t++)
            for (int i = 0; i < n; i++) v[t * n + i] *= t % 2 == 0 ? 40f : 1e-2f;
        return v;
    }

    /// <summary>weight ⊙ x / sqrt(mean(x²) + eps) per row, in double.</summary>
    private static double[] NormRows(float[] x, int rows, int n, float[] weight, float eps)
    {
        var r = new double[rows * n];
        for (int t = 0; t < rows; t++)
        {
            double ms = 0;
            for (int i = 0; i < n; i++) ms += (double)x[t * n + i] * x[t * n + i];
            double inv = 1 / Math.Sqrt(ms / n + eps);
            for (int i = 0; i < n; i++) r[t * n + i] = weight[i] * x[t * n + i] * inv;
        }
        return r;
    }

    /// <summary>y[t, r] = Σ_k W[r, k]·x[t, k] and Σ|W·x|, in double.</summary>
    private static (double[] Y, double[] Magnitude) Product(TestWeight w, double[] x, int tokens)
    {
        int rows = w.Rows, cols = w.Cols;
        var y = new double[tokens * rows];
        var m = new double[tokens * rows];
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++)
                {
                    double p = w.Values[r * cols + k] * x[t * cols + k];
                    y[t * rows + r] += p;
                    m[t * rows + r] += Math.Abs(p);
                }
        return (y, m);
    }

    private static CpuTensor AsVector(TestWeight w) => new(w.Tensor.DType, [w.Cols], w.Tensor.Data, owned: false, "norm");

    [TestMethod]
    [DataRow(DType.BF16, 1)]
    [DataRow(DType.BF16, 5)]
    [DataRow(DType.F32, 5)]
    [DataRow(DType.F16, 2)]
    [DataRow(DType.F8E4M3, 3)]
    public void MatMulPair_NormedInput_MatchesDoubleReference(DType dtype, int tokens)
    {
        // Arrange: W1 [130, 203] (130 like a q_lora that is not a multiple of FP8's 128-row blocks), W2 [67, 203], norm weight [203].
        const int inDim = 203;
        const float eps = 1e-6f;
        var random = new Random(40 + tokens * 7 + (int)dtype);
        using var b = NewBackend();
        using var w1 = TestWeight.Create(dtype, 130, inDim, random);
        using var w2 = TestWeight.Create(dtype, 67, inDim, random);
        using var norm = TestWeight.Create(DType.BF16, 1, inDim, random, magnitude: 2f);
        using var g = AsVector(norm);
        var xv = ScaledRows(tokens, inDim, random);
        using var x = Upload(b, xv, tokens, inDim);
        using var y1 = b.Allocate(DType.F32, tokens, 130);
        using var y2 = b.Allocate(DType.F32, tokens, 67);

        // Act
        b.MatMulPair(new RmsNormed(x, g, eps), w1.Tensor, y1, w2.Tensor, y2);

        // Assert
        var xn = NormRows(xv, tokens, inDim, norm.Values, eps);
        foreach (var (w, y, name) in new[] { (w1, y1, "y1"), (w2, y2, "y2") })
        {
            var (expected, magnitude) = Product(w, xn, tokens);
            var actual = Download(b, y);
            for (int i = 0; i < expected.Length; i++)
                AssertClose(expected[i], magnitude[i], actual[i], 1e-5 * Math.Sqrt(inDim), $"{dtype} {name}[{i / w.Rows}, {i % w.Rows}]");
        }
    }

    [TestMethod]
    [DataRow(DType.BF16, 1)]
    [DataRow(DType.BF16, 2)]
    [DataRow(DType.BF16, 3)]
    [DataRow(DType.BF16, 6)]
    [DataRow(DType.BF16, 13)]
    [DataRow(DType.F32, 3)]
    [DataRow(DType.F8E4M3, 1)]
    public void MatMulSwiGlu_NormedInput_MatchesDoubleReference(DType dtype, int tokens)
    {
        const int ffn = 37, hidden = 131;
        const float eps = 1e-5f;
        var random = new Random(60 + tokens + (int)dtype);
        using var b = NewBackend();
        using var gate = TestWeight.Create(dtype, ffn, hidden, random);
        using var up = TestWeight.Create(dtype, ffn, hidden, random);
        using var norm = TestWeight.Create(DType.F32, 1, hidden, random, magnitude: 2f);
        using var g = AsVector(norm);
        var xv = ScaledRows(tokens, hidden, random);
        using var x = Upload(b, xv, tokens, hidden);
        using var h = b.Allocate(DType.F32, tokens, ffn);

        b.MatMulSwiGlu(new RmsNormed(x, g, eps), gate.Tensor, up.Tensor, h);

        var xn = NormRows(xv, tokens, hidden, norm.Values, eps);
        var (gs, gm) = Product(gate, xn, tokens);
        var (us, um) = Product(up, xn, tokens);
        var actual = Download(b, h);
        for (int i = 0; i < gs.Length; i++)
        {
            double silu = gs[i] / (1 + Math.Exp(-gs[i]));
            // silu' ≤ 1.1, so an error e in g moves silu(g)·u by at most 1.1·e·|u|.
            AssertClose(silu * us[i], 1.1 * gm[i] * Math.Abs(us[i]) + Math.Abs(silu) * um[i] + 1e-6, actual[i], 1e-5 * Math.Sqrt(hidden),
                $"{dtype} h[{i / ffn}, {i % ffn}]");
        }
    }

    [TestMethod]
    [DataRow(DType.BF16, 1, 27)]
    [DataRow(DType.F8E4M3, 5, 130)]
    [DataRow(DType.F32, 3, 44)]
    public void MlaQueryAndCache_MatchesDoubleReference(DType dtype, int tokens, int qLora)
    {
        // Arrange: 3 heads, nope 6, rope 4, v 5, latent 11 (odd everywhere); a cache of 20 rows; tokens at positions 3, 9, 15…
        var shape = new MlaShape(Heads: 3, NopeDim: 6, RopeDim: 4, VDim: 5, Latent: 11);
        const float eps = 1e-6f, qScale = 0.8f, kvScale = 1.7f, factor = 1.13f;
        const int cacheRows = 20;
        var random = new Random(80 + tokens + qLora);
        using var b = NewBackend();
        using var qB = TestWeight.Create(dtype, shape.Heads * shape.QHeadDim, qLora, random);
        using var kvB = TestWeight.Create(dtype, shape.Heads * shape.KvHeadRows, shape.Latent, random);
        using var qaNormW = TestWeight.Create(DType.BF16, 1, qLora, random, magnitude: 2f);
        using var kvNormW = TestWeight.Create(DType.F32, 1, shape.Latent, random, magnitude: 2f);
        using var qaNorm = AsVector(qaNormW);
        using var kvNorm = AsVector(kvNormW);
        var qav = ScaledRows(tokens, qLora, random);
        var ckvv = ScaledRows(tokens, shape.CacheWidth, random);
        float[] invFreq = [1f, 0.05f];
        var positions = Enumerable.Range(0, tokens).Select(t => 3 + 6 * t).ToArray();
        var slots = Enumerable.Range(0, tokens).Select(t => (7 * t + 2) % cacheRows).ToArray();
        var cache0 = TestWeight.Vector(cacheRows * shape.CacheWidth, random);
        using var qa = Upload(b, qav, tokens, qLora);
        using var ckv = Upload(b, ckvv, tokens, shape.CacheWidth);
        using var inv = Upload(b, invFreq, 2);
        using var pos = b.Allocate(DType.I32, tokens);
        using var slot = b.Allocate(DType.I32, tokens);
        b.Upload<int>(pos, positions);
        b.Upload<int>(slot, slots);
        using var tables = b.Allocate(DType.I32, 1, 1);
        using var cache = Upload(b, cache0, cacheRows, shape.CacheWidth);
        using var qLat = b.Allocate(DType.F32, tokens, shape.Heads * shape.Latent);
        using var qRot = b.Allocate(DType.F32, tokens, shape.Heads * shape.RopeDim);
        var weights = new MlaLatentWeights(qaNorm, qB.Tensor, kvNorm, kvB.Tensor, eps, qScale, kvScale);
        var meta = new AttentionMetadata(pos, slot, pos, tables, BlockSize: 4);

        // Act
        b.MlaQueryAndCache(qa, ckv, weights, shape, new RopeParams(inv, factor), meta, cache, qLat, qRot);

        // Assert: query side
        var (q, qm) = Product(qB, NormRows(qav, tokens, qLora, qaNormW.Values, eps), tokens);      // [T, nH·(nope+R)]
        var lat = Download(b, qLat);
        var rot = Download(b, qRot);
        int qw = shape.QHeadDim, L = shape.Latent, R = shape.RopeDim;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < shape.Heads; h++)
            {
                int qo = t * shape.Heads * qw + h * qw;
                for (int c = 0; c < L; c++)
                {
                    double e = 0, m = 0;
                    for (int d = 0; d < shape.NopeDim; d++)
                    {
                        double w = kvB.Values[(h * shape.KvHeadRows + d) * L + c];
                        e += qScale * q[qo + d] * w;
                        m += qScale * qm[qo + d] * Math.Abs(w);
                    }
                    AssertClose(e, m, lat[(t * shape.Heads + h) * L + c], 1e-5 * Math.Sqrt(qLora + shape.NopeDim), $"{dtype} qLat[{t}, {h}, {c}]");
                }
                var expected = Rope(q.AsSpan(qo + shape.NopeDim, R).ToArray(), qScale, positions[t], invFreq, factor);
                for (int i = 0; i < R; i++)
                    AssertClose(expected[i], qScale * factor * (qm[qo + shape.NopeDim + (i & ~1)] + qm[qo + shape.NopeDim + (i | 1)]) + 1e-6,
                        rot[(t * shape.Heads + h) * R + i], 1e-5 * Math.Sqrt(qLora), $"{dtype} qRot[{t}, {h}, {i}]");
            }

        // Assert: key side: each token's slot holds [RmsNorm(c)·s_kv ‖ rope(k_rot)]; every other row is untouched
        var kv = Download(b, cache);
        int width = shape.CacheWidth;
        for (int row = 0; row < cacheRows; row++)
        {
            int t = Array.IndexOf(slots, row);
            if (t < 0)
            {
                for (int i = 0; i < width; i++) Assert.AreEqual(cache0[row * width + i], kv[row * width + i], $"untouched cache row {row}");
                continue;
            }
            var c = NormRows(ckvv.AsSpan(t * width, L).ToArray(), 1, L, kvNormW.Values, eps);
            for (int i = 0; i < L; i++) AssertClose(c[i] * kvScale, Math.Abs(c[i] * kvScale), kv[row * width + i], 1e-5, $"cache[{row}] latent {i}");
            var k = Rope(ckvv.Skip(t * width + L).Take(R).Select(v => (double)v).ToArray(), 1f, positions[t], invFreq, factor);
            for (int i = 0; i < R; i++) AssertClose(k[i], factor * 2 * 40, kv[row * width + L + i], 1e-6, $"cache[{row}] k_rot {i}");
        }
    }

    /// <summary>Interleaved rotary of x·scale in double; the angle is the F32 product position·invFreq, as the op's contract says.</summary>
    private static double[] Rope(double[] x, float scale, int position, float[] invFreq, float factor)
    {
        var r = new double[x.Length];
        for (int i = 0; i < x.Length / 2; i++)
        {
            float angle = position * invFreq[i];
            double c = Math.Cos(angle) * factor, s = Math.Sin(angle) * factor;
            double x0 = x[2 * i] * scale, x1 = x[2 * i + 1] * scale;
            r[2 * i] = x0 * c - x1 * s;
            r[2 * i + 1] = x1 * c + x0 * s;
        }
        return r;
    }
}
