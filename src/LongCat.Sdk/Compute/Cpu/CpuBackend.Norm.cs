using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace LongCat.Sdk.Compute.Cpu;

// RMSNorm: the op, and the normalized rows the fused norm-prologue ops read.
internal sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var xs = Cpu(x); var w = Cpu(weight); var o = Cpu(output);
        int n = w.Columns;
        Require(xs.Columns == n && o.Columns == n && o.Rows >= xs.Rows, nameof(RmsNorm), $"x {xs}, weight {w}, output {o}");
        var wBuf = WeightAsFloats(w);
        for (int t = 0; t < xs.Rows; t++) NormRow(xs.RowF32(t), wBuf, eps, o.RowF32(t), n);
    }

    /// <summary>
    /// The rows of <paramref name="x"/> normalized into scratch slot <paramref name="slot"/>. The fused norm-prologue ops normalize
    /// once per call here (a row of H floats, negligible next to the matmul reading it) rather than per row group as GPUs do.
    /// </summary>
    private CpuTensor Normalize(RmsNormed x, int slot, string op)
    {
        var xs = Cpu(x.X); var w = Cpu(x.Weight);
        int n = w.Columns;
        Require(xs.Columns == n, op, $"x {xs}, norm weight {w}");
        var o = _scratch.Rows(slot, xs.Rows, n);
        var wBuf = WeightAsFloats(w);
        for (int t = 0; t < xs.Rows; t++) NormRow(xs.RowF32(t), wBuf, x.Eps, o.RowF32(t), n);
        return o;
    }

    // Norm weights are vectors of a few thousand values: widening them per call is negligible next to the matmuls.
    private static float[] WeightAsFloats(CpuTensor w)
    {
        var f = new float[w.Columns];
        fixed (float* p = f) SimdKernels.ReadRow(w, 0, 0, f.Length, p);
        return f;
    }

    /// <summary>HF LongcatFlashRMSNorm in F32: weight ⊙ (x · rsqrt(mean(x²) + eps)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void NormRow(float* x, ReadOnlySpan<float> weight, float eps, float* output, int n)
    {
        var xs = new ReadOnlySpan<float>(x, n);
        float ms = TensorPrimitives.SumOfSquares(xs) / n;
        float inv = 1f / MathF.Sqrt(ms + eps);
        var o = new Span<float>(output, n);
        TensorPrimitives.Multiply(xs, inv, o);
        TensorPrimitives.Multiply(o, weight, o);
    }
}
