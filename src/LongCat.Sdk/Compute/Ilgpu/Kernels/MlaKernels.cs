using ILGPU;
using ILGPU.Algorithms;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// MLA in absorbed form over the paged latent cache (cache rows: [c (L) ‖ k_rot (R)], F32).
/// Legend: T tokens, nH heads, L latent (kv_lora_rank), R rope dim, D nope dim, V value dim.
/// </summary>
internal static partial class MlaKernels
{
    public const int MaxNope = 256, MaxLatent = 512, MaxRope = 128;
    /// <summary>Heads sharing one pass over the cache in <see cref="Attention"/>: each cache row is read once for all of them.</summary>
    public const int HeadsPerGroup = 4;
    public const int AttentionThreads = 256;
    private const int AttentionWarps = 8;                        // positions scored per tile: one per warp of 32

    /// <summary>(x[2i], x[2i+1])·scale rotated by pos·invFreq[i] (interleaved pairs), cos and sin times the attention factor.</summary>
    private static void RotatePair(ArrayView<float> src, long s, float scale, int position, ArrayView<float> invFreq, float factor,
        ArrayView<float> dst, long d, int pair)
    {
        float angle = position * invFreq[pair];
        var sc = DeviceMath.SinCos(angle);
        float c = sc.Y * factor, sn = sc.X * factor;
        float x0 = src[s + 2 * pair] * scale, x1 = src[s + 2 * pair + 1] * scale;
        dst[d + 2 * pair] = x0 * c - x1 * sn;
        dst[d + 2 * pair + 1] = x1 * c + x0 * sn;
    }

    /// <summary>q_b in format <typeparamref name="TQ"/>, kv_b in <typeparamref name="TK"/> (a quantized q_b sits beside kv_b as stored).</summary>
    internal struct QueryCacheArgs<TQ, TK> where TQ : struct, IWeightView where TK : struct, IWeightView
    {
        public TQ QB;
        public TK KvB;
        public LatentArgs P;
    }

    /// <summary>Everything <see cref="QueryAndCache{TQ, TK}"/> reads besides its two weights.</summary>
    internal struct LatentArgs
    {
        public FloatVector QANorm, KvANorm;
        public ArrayView<float> QA, Ckv, QLat, QRot, Cache, InvFreq;
        public ArrayView<Float4> QA4, Ckv4;
        public ArrayView<int> Positions, Slots, Status;
        public int Tokens, Heads, QLora, Nope, Rope, VDim, Latent, CacheRows, QVec, CkvVec;
        public float Eps, QScale, KvScale, AttentionFactor;
    }

    /// <summary>
    /// MLA's latent projections for a block of up to four tokens: group (h, block) with h &lt; nH computes head h's query, the group
    /// with h = nH writes the block's cache rows (the two sides are independent, so they share one grid).
    /// Query: RmsNorm(q_a) factors (a group reduction), the head's nope + R rows of q_b (a warp per row, the norm weight folded into
    /// the row, each row streamed once for the block) staged in shared memory, then q_lat = (s_q·q_nope)·W_UK[h] with each thread owning
    /// 4 consecutive latent columns (one vector load per row d), and q_rot rotated.
    /// </summary>
    public static void QueryAndCache<TQ, TK>(QueryCacheArgs<TQ, TK> a) where TQ : struct, IWeightView where TK : struct, IWeightView
    {
        var q = SharedMemory.Allocate<float>(MatMulKernels.RowTokens * QStride);   // [4 tokens][nope | R] of head h, times s_q
        var scratch = SharedMemory.Allocate<Float4>(DeviceMath.MaxWarps);
        var p = a.P;
        int h = Grid.IdxX, t0 = Grid.IdxY * MatMulKernels.RowTokens, tid = Group.IdxX;
        int nTok = p.Tokens - t0 < MatMulKernels.RowTokens ? p.Tokens - t0 : MatMulKernels.RowTokens;
        if (h == p.Heads)
        {
            CacheRows(p, t0, nTok, scratch);
            return;
        }
        long o0 = Row(t0, 0, p.Tokens, p.QLora), o1 = Row(t0, 1, p.Tokens, p.QLora), o2 = Row(t0, 2, p.Tokens, p.QLora), o3 = Row(t0, 3, p.Tokens, p.QLora);
        var inv = NormKernels.RowFactors(p.QA, p.QA4, p.QVec, p.QLora, o0, o1, o2, o3, nTok, p.Eps, scratch) * p.QScale;
        int qWidth = p.Nope + p.Rope, warps = Group.DimX / Warp.WarpSize;
        for (int d = Warp.WarpIdx; d < qWidth; d += warps)
        {
            var v = MatMulKernels.RowDot(a.QB, 0, h * qWidth + d, p.QA, p.QA4, p.QLora, p.QVec, o0, o1, o2, o3, nTok, p.QANorm, 1) * inv;
            if (Warp.IsFirstLane)
                for (int t = 0; t < MatMulKernels.RowTokens; t++) q[t * QStride + d] = t < nTok ? v.Get(t) : 0f;
        }
        Group.Barrier();

        int rowBase = h * (p.Nope + p.VDim);                      // W_UK[h] = kv_b rows [h·(D+V), h·(D+V)+D)
        bool vec = (p.Latent & 3) == 0;
        for (int c = tid * 4; c < p.Latent; c += Group.DimX * 4)
        {
            Float4 l0 = default, l1 = default, l2 = default, l3 = default;
            for (int d = 0; d < p.Nope; d++)
            {
                Float4 w;
                if (vec) w = a.KvB.Load4(0, rowBase + d, c);
                else
                {
                    w.X = a.KvB.Load(0, rowBase + d, c);
                    w.Y = c + 1 < p.Latent ? a.KvB.Load(0, rowBase + d, c + 1) : 0f;
                    w.Z = c + 2 < p.Latent ? a.KvB.Load(0, rowBase + d, c + 2) : 0f;
                    w.W = c + 3 < p.Latent ? a.KvB.Load(0, rowBase + d, c + 3) : 0f;
                }
                l0 = Float4.Fma(q[d], w, l0);
                l1 = Float4.Fma(q[QStride + d], w, l1);
                l2 = Float4.Fma(q[2 * QStride + d], w, l2);
                l3 = Float4.Fma(q[3 * QStride + d], w, l3);
            }
            for (int t = 0; t < nTok; t++)
            {
                var v = t == 0 ? l0 : t == 1 ? l1 : t == 2 ? l2 : l3;
                long o = (long)(t0 + t) * p.Heads * p.Latent + (long)h * p.Latent + c;
                for (int j = 0; j < 4 && c + j < p.Latent; j++) p.QLat[o + j] = v.Get(j);
            }
        }
        int half = p.Rope / 2;
        for (int i = tid; i < nTok * half; i += Group.DimX)
        {
            int t = i / half, pair = i - t * half;
            RotatePair(q, t * QStride + p.Nope, 1f, p.Positions[t0 + t], p.InvFreq, p.AttentionFactor, p.QRot,
                (long)(t0 + t) * p.Heads * p.Rope + (long)h * p.Rope, pair);
        }
    }

    /// <summary>Row stride of the staged q in <see cref="QueryAndCache{TQ, TK}"/>.</summary>
    private const int QStride = MaxNope + MaxRope;

    /// <summary>Offset of row t0+i, or of row t0 past the tokens (a valid address whose result is discarded).</summary>
    private static long Row(int t0, int i, int tokens, int width) => (long)(t0 + i < tokens ? t0 + i : t0) * width;

    /// <summary>cache[slots[t]] = [RmsNorm(c)·s_kv ‖ rope(k_rot)] for tokens t0..t0+count−1 (the whole group).</summary>
    private static void CacheRows(LatentArgs a, int t0, int count, ArrayView<Float4> scratch)
    {
        int tid = Group.IdxX, width = a.Latent + a.Rope;
        var inv = NormKernels.RowFactors(a.Ckv, a.Ckv4, a.CkvVec, a.Latent, Row(t0, 0, a.Tokens, width), Row(t0, 1, a.Tokens, width),
            Row(t0, 2, a.Tokens, width), Row(t0, 3, a.Tokens, width), count, a.Eps, scratch);
        for (int i = 0; i < count; i++)
        {
            int t = t0 + i, slot = a.Slots[t];
            if ((uint)slot >= (uint)a.CacheRows)
            {
                if (tid == 0) DeviceStatus.Report(a.Status, DeviceStatus.CacheSlot, slot);
                continue;
            }
            float f = inv.Get(i);
            long src = (long)t * width, dst = (long)slot * width;
            for (int j = tid; j < a.Latent; j += Group.DimX) a.Cache[dst + j] = a.Ckv[src + j] * f * a.KvANorm.Load(j) * a.KvScale;
            for (int p = tid; p < a.Rope / 2; p += Group.DimX)
                RotatePair(a.Ckv, src + a.Latent, 1f, a.Positions[t], a.InvFreq, a.AttentionFactor, a.Cache, dst + a.Latent, p);
        }
    }
}
