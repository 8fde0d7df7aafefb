using System.Runtime.InteropServices;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>Decode's BF16 matvec and SwiGLU paths (four rows per pass, even/odd widening) against a scalar double reference.</summary>
[TestClass]
public sealed unsafe class CpuMatVecTests
{
    public static IEnumerable<object[]> Shapes =>
        from rows in new[] { 1, 2, 3, 4, 5, 7, 9, 33 }
        from cols in new[] { 1, 15, 16, 31, 32, 33, 100, 257, 4097 }
        select new object[] { rows, cols };

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void MatMul_SingleTokenBf16_MatchesScalarReference(int rows, int cols)
    {
        using var backend = new CpuBackend();
        var rng = new Random(rows * 1000 + cols);
        var w = Bf16Matrix(rng, rows, cols, out var wf);
        var x = Enumerable.Range(0, cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var xt = backend.Allocate(DType.F32, 1, cols);
        using var yt = backend.Allocate(DType.F32, 1, rows);
        backend.Upload<float>(xt, x);
        backend.Upload<float>(yt, Enumerable.Repeat(0.5f, rows).ToArray());
        backend.MatMul(xt, w.Tensor, yt, accumulate: true);
        var y = new float[rows];
        backend.Download<float>(yt, y);
        for (int r = 0; r < rows; r++)
        {
            double expected = 0.5;
            for (int c = 0; c < cols; c++) expected += (double)wf[r * cols + c] * x[c];
            Assert.AreEqual(expected, y[r], 1e-5 * Math.Sqrt(cols) + 1e-6, $"row {r} of [{rows}, {cols}]");
        }
        w.Free();
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void MatMulSwiGlu_SingleTokenBf16_MatchesScalarReference(int rows, int cols)
    {
        using var backend = new CpuBackend();
        var rng = new Random(rows * 7 + cols);
        var g = Bf16Matrix(rng, rows, cols, out var gf);
        var u = Bf16Matrix(rng, rows, cols, out var uf);
        var x = Enumerable.Range(0, cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var norm = Enumerable.Range(0, cols).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray();
        using var xt = backend.Allocate(DType.F32, 1, cols);
        using var nt = backend.Allocate(DType.F32, cols);
        using var ht = backend.Allocate(DType.F32, 1, rows);
        backend.Upload<float>(xt, x);
        backend.Upload<float>(nt, norm);
        backend.MatMulSwiGlu(new RmsNormed(xt, nt, 1e-5f), g.Tensor, u.Tensor, ht);
        var h = new float[rows];
        backend.Download<float>(ht, h);
        double inv = 1 / Math.Sqrt(x.Sum(v => (double)v * v) / cols + 1e-5);
        var xn = x.Select((v, i) => v * inv * norm[i]).ToArray();          // the op reads x through RMSNorm
        for (int r = 0; r < rows; r++)
        {
            double gs = 0, us = 0, gm = 0, um = 0;
            for (int c = 0; c < cols; c++)
            {
                gs += gf[r * cols + c] * xn[c]; us += uf[r * cols + c] * xn[c];
                gm += Math.Abs(gf[r * cols + c] * xn[c]); um += Math.Abs(uf[r * cols + c] * xn[c]);
            }
            double silu = gs / (1 + Math.Exp(-gs)), expected = silu * us;
            // Relative to the sums' magnitudes (silu' ≤ 1.1): the normed x is ~1.7× the raw one, so products reach the hundreds.
            double magnitude = 1.1 * gm * Math.Abs(us) + Math.Abs(silu) * um;
            Assert.AreEqual(expected, h[r], 1e-6 * Math.Sqrt(cols) * magnitude + 1e-6, $"row {r} of [{rows}, {cols}]");
        }
        g.Free(); u.Free();
    }

    private sealed class NativeMatrix(CpuTensor tensor, nint memory)
    {
        public CpuTensor Tensor { get; } = tensor;
        public void Free() => NativeMemory.Free((void*)memory);
    }

    /// <summary>A BF16 matrix in exactly-sized native memory, so a read past its last row would touch unowned memory.</summary>
    private static NativeMatrix Bf16Matrix(Random rng, int rows, int cols, out float[] values)
    {
        values = new float[rows * cols];
        var p = (ushort*)NativeMemory.Alloc((nuint)(rows * cols * 2));
        for (int i = 0; i < values.Length; i++)
        {
            p[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() * 2 - 1));
            values[i] = WeightFormats.Bf16ToFloat(p[i]);
        }
        return new NativeMatrix(new CpuTensor(DType.BF16, [rows, cols], (byte*)p, owned: false, "test"), (nint)p);
    }
}
