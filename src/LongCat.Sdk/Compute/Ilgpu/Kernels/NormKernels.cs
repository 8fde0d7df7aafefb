using ILGPU;
using ILGPU.Algorithms;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// RMSNorm, optionally fused with the residual add: one group per row; 16-byte loads when the width allows; the sum of squares
/// reduced by warp shuffles, then across warps through shared memory; every thread rescales the elements it loaded.
/// </summary>
internal static class NormKernels
{
    internal struct RmsNormArgs
    {
        public ArrayView<float> X, Delta, Output;
        public ArrayView<Float4> X4, Delta4, Output4;
        public FloatVector Weight;
        public int Columns, HasDelta, Vec;
        public float Eps;
    }

    /// <summary>With HasDelta: x[row] += delta[row] (written back). Then output[row] = weight ⊙ x[row]·rsqrt(mean(x²) + eps).</summary>
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
                if (a.HasDelta != 0)
                {
                    v += a.Delta4[start4 + j];
                    a.X4[start4 + j] = v;
                }
                ss += Float4.Dot(v, v);
            }
        }
        else
        {
            for (int j = tid; j < n; j += dim)
            {
                float v = a.X[start + j];
                if (a.HasDelta != 0)
                {
                    v += a.Delta[start + j];
                    a.X[start + j] = v;
                }
                ss += v * v;
            }
        }
        float total = DeviceMath.GroupSum(ss, scratch);
        float inv = 1f / XMath.Sqrt(total / n + a.Eps);
        // Each thread rescales exactly the elements it read (and wrote) above: no barrier needed.
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
}
