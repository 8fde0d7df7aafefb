using ILGPU;
using ILGPU.Algorithms;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// RMSNorm as its own kernel (the final norm, the MTP head's input norms) and as the prologue of the ops that read normed rows
/// (<see cref="RowFactors"/>): the sum of squares reduced by warp shuffles, then across warps through shared memory.
/// </summary>
internal static class NormKernels
{
    internal struct RmsNormArgs
    {
        public ArrayView<float> X, Output;
        public ArrayView<Float4> X4, Output4;
        public FloatVector Weight;
        public int Columns, Vec;
        public float Eps;
    }

    /// <summary>output[row] = weight ⊙ x[row]·rsqrt(mean(x²) + eps): one group per row; 16-byte loads when the width allows.</summary>
    public static void RmsNorm(RmsNormArgs a)
    {
        var scratch = SharedMemory.Allocate<float>(DeviceMath.MaxWarps);
        int row = Grid.IdxX, tid = Group.IdxX, dim = Group.DimX, n = a.Columns;
        long start = (long)row * n;
        float ss = 0;
        if (a.Vec != 0)
        {
            long start4 = start >> 2;
            for (int j = tid; j < n >> 2; j += dim)
            {
                var v = a.X4[start4 + j];
                ss += Float4.Dot(v, v);
            }
        }
        else
        {
            for (int j = tid; j < n; j += dim)
            {
                float v = a.X[start + j];
                ss += v * v;
            }
        }
        float inv = Factor(DeviceMath.GroupSum(ss, scratch), n, a.Eps);
        if (a.Vec != 0)
        {
            for (int j = tid; j < n >> 2; j += dim)
            {
                int c = j << 2;
                var v = a.X4[(start >> 2) + j];
                a.Output4[(start >> 2) + j] = new Float4(v.X * inv * a.Weight.Load(c), v.Y * inv * a.Weight.Load(c + 1),
                    v.Z * inv * a.Weight.Load(c + 2), v.W * inv * a.Weight.Load(c + 3));
            }
        }
        else
        {
            for (int j = tid; j < n; j += dim) a.Output[start + j] = a.X[start + j] * inv * a.Weight.Load(j);
        }
    }

    /// <summary>1/sqrt(Σx²/n + eps), in the CPU backend's operation order.</summary>
    public static float Factor(float sumOfSquares, int n, float eps) => 1f / XMath.Sqrt(sumOfSquares / n + eps);

    /// <summary>
    /// The norm prologue: RMSNorm factors of up to four rows of x (lane i: the row starting at element o_i, for i &lt; count; 1 for the
    /// others), reduced over the whole group, which must all call it. With <paramref name="vec"/> n and the offsets are multiples of 4.
    /// A kernel that reads normed rows then folds the norm weight into its weight rows and scales each row's dot product by its factor.
    /// </summary>
    public static Float4 RowFactors(ArrayView<float> x, ArrayView<Float4> x4, int vec, int n, long o0, long o1, long o2, long o3, int count,
        float eps, ArrayView<Float4> scratch)
    {
        var ss = default(Float4);
        int tid = Group.IdxX, dim = Group.DimX;
        if (vec != 0)
        {
            long b0 = o0 >> 2, b1 = o1 >> 2, b2 = o2 >> 2, b3 = o3 >> 2;
            for (int j = tid; j < n >> 2; j += dim)
            {
                var v = x4[b0 + j];
                ss.X += Float4.Dot(v, v);
                if (count > 1) { v = x4[b1 + j]; ss.Y += Float4.Dot(v, v); }
                if (count > 2) { v = x4[b2 + j]; ss.Z += Float4.Dot(v, v); }
                if (count > 3) { v = x4[b3 + j]; ss.W += Float4.Dot(v, v); }
            }
        }
        else
        {
            for (int j = tid; j < n; j += dim)
            {
                float v = x[o0 + j];
                ss.X += v * v;
                if (count > 1) { v = x[o1 + j]; ss.Y += v * v; }
                if (count > 2) { v = x[o2 + j]; ss.Z += v * v; }
                if (count > 3) { v = x[o3 + j]; ss.W += v * v; }
            }
        }
        ss = DeviceMath.GroupSum(ss, scratch);
        return new Float4(Factor(ss.X, n, eps), count > 1 ? Factor(ss.Y, n, eps) : 1f, count > 2 ? Factor(ss.Z, n, eps) : 1f,
            count > 3 ? Factor(ss.W, n, eps) : 1f);
    }
}
