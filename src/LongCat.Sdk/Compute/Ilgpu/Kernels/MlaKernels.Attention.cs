using ILGPU;
using ILGPU.Algorithms;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

// Attention over the paged latent cache, and the value side (W_UV). Legend as in MlaKernels.cs.
internal static partial class MlaKernels
{
    internal struct AttentionArgs
    {
        public ArrayView<float> QLat, QRot, Cache, OLat;
        public ArrayView<int> Positions, TokenSequence, BlockTables, Status;
        public int Tokens, Heads, Latent, Rope, BlockSize, MaxBlocks, CacheRows;
        public float SoftmaxScale;
    }

    /// <summary>
    /// Absorbed attention with an F32 online softmax. Group = (4 heads, token): q of the four heads staged in shared memory; positions
    /// in tiles of 8, one per warp: the warp reads the cache row once (coalesced) and scores it against all four heads (warp-shuffle
    /// sums); four threads update each head's running max and sum; then every thread rescales and accumulates its own latent columns
    /// (tid and tid+256, so L ≤ 512) for the four heads in registers. The same kernel serves prefill (many tokens) and decode.
    /// </summary>
    public static void Attention(AttentionArgs a)
    {
        var q = SharedMemory.Allocate<float>(HeadsPerGroup * (MaxLatent + MaxRope));
        var score = SharedMemory.Allocate<float>(AttentionWarps * HeadsPerGroup);
        var prob = SharedMemory.Allocate<float>(AttentionWarps * HeadsPerGroup);
        var rows = SharedMemory.Allocate<int>(AttentionWarps);
        var stats = SharedMemory.Allocate<float>(3 * HeadsPerGroup);    // running max, running sum, this tile's rescale factor
        for (int t = Grid.IdxY; t < a.Tokens; t += Grid.DimY)
        {
            var acc = AttendToken(a, t, q, score, prob, rows, stats);
            int h0 = Grid.IdxX * HeadsPerGroup, c0 = Group.IdxX, c1 = c0 + AttentionThreads;
            for (int hh = 0; hh < HeadsPerGroup && h0 + hh < a.Heads; hh++)
            {
                float inv = 1f / stats[HeadsPerGroup + hh];
                long o = ((long)t * a.Heads + h0 + hh) * a.Latent;
                if (c0 < a.Latent) a.OLat[o + c0] = acc.C0.Get(hh) * inv;
                if (c1 < a.Latent) a.OLat[o + c1] = acc.C1.Get(hh) * inv;
            }
            Group.Barrier();                                      // q and the running sums are reloaded for the next token
        }
    }

    internal struct AttentionValueArgs<TW> where TW : struct, IWeightView
    {
        public TW KvB;
        public AttentionArgs A;
        public ArrayView<float> O;
        public int Nope, VDim;
    }

    /// <summary>
    /// <see cref="Attention"/> with W_UV as its epilogue: the group's o_lat of its four heads is staged in shared memory (over the
    /// staged q, no longer needed) and each warp applies one W_UV row at a time (row h·(D+V)+D+e of kv_b, lanes over the latent
    /// columns, a warp sum), writing o[t, h·V + e] directly: o_lat never reaches global memory.
    /// </summary>
    public static void AttentionValue<TW>(AttentionValueArgs<TW> v) where TW : struct, IWeightView
    {
        var q = SharedMemory.Allocate<float>(HeadsPerGroup * (MaxLatent + MaxRope));
        var score = SharedMemory.Allocate<float>(AttentionWarps * HeadsPerGroup);
        var prob = SharedMemory.Allocate<float>(AttentionWarps * HeadsPerGroup);
        var rows = SharedMemory.Allocate<int>(AttentionWarps);
        var stats = SharedMemory.Allocate<float>(3 * HeadsPerGroup);
        var a = v.A;
        int L = a.Latent, h0 = Grid.IdxX * HeadsPerGroup, c0 = Group.IdxX, c1 = c0 + AttentionThreads, lane = Warp.LaneIdx;
        int heads = a.Heads - h0 < HeadsPerGroup ? a.Heads - h0 : HeadsPerGroup;
        bool vec = (L & 3) == 0;
        for (int t = Grid.IdxY; t < a.Tokens; t += Grid.DimY)
        {
            var acc = AttendToken(a, t, q, score, prob, rows, stats);
            for (int hh = 0; hh < heads; hh++)                    // every thread left the scoring loop: q is free
            {
                float inv = 1f / stats[HeadsPerGroup + hh];
                if (c0 < L) q[hh * (MaxLatent + MaxRope) + c0] = acc.C0.Get(hh) * inv;
                if (c1 < L) q[hh * (MaxLatent + MaxRope) + c1] = acc.C1.Get(hh) * inv;
            }
            Group.Barrier();
            for (int r = Warp.WarpIdx; r < heads * v.VDim; r += AttentionWarps)   // r = hh·V + e
            {
                int hh = r / v.VDim, e = r - hh * v.VDim, wRow = (h0 + hh) * (v.Nope + v.VDim) + v.Nope + e, ob = hh * (MaxLatent + MaxRope);
                float s = 0;
                if (vec)
                {
                    for (int j = lane * 4; j < L; j += Warp.WarpSize * 4)
                    {
                        var w = v.KvB.Load4(0, wRow, j);
                        s += w.X * q[ob + j] + w.Y * q[ob + j + 1] + w.Z * q[ob + j + 2] + w.W * q[ob + j + 3];
                    }
                }
                else
                {
                    for (int j = lane; j < L; j += Warp.WarpSize) s += v.KvB.Load(0, wRow, j) * q[ob + j];
                }
                s = DeviceMath.WarpSum(s);
                if (Warp.IsFirstLane) v.O[((long)t * a.Heads + h0 + hh) * v.VDim + e] = s;
            }
            Group.Barrier();                                      // q and the running sums are reloaded for the next token
        }
    }

    /// <summary>A thread's unnormalized o_lat accumulators: latent columns tid and tid+256 of the group's four heads.</summary>
    private struct LatentAccumulators
    {
        public Float4 C0, C1;
    }

    /// <summary>
    /// The attention of token t for the group's four heads; returns each thread's unnormalized accumulators (the running sums stay in
    /// <paramref name="stats"/>[4..8)). Ends after a barrier: q, scores and rows are no longer read.
    /// </summary>
    private static LatentAccumulators AttendToken(AttentionArgs a, int t, ArrayView<float> q, ArrayView<float> score, ArrayView<float> prob,
        ArrayView<int> rows, ArrayView<float> stats)
    {
        int h0 = Grid.IdxX * HeadsPerGroup, tid = Group.IdxX, warp = Warp.WarpIdx, lane = Warp.LaneIdx;
        int L = a.Latent, R = a.Rope, width = L + R;
        for (int i = tid; i < HeadsPerGroup * width; i += Group.DimX)
        {
            int hh = i / width, d = i - hh * width, h = h0 + hh;
            float v = 0;
            if (h < a.Heads) v = d < L ? a.QLat[((long)t * a.Heads + h) * L + d] : a.QRot[((long)t * a.Heads + h) * R + d - L];
            q[hh * (MaxLatent + MaxRope) + d] = v;
        }
        if (tid < HeadsPerGroup)
        {
            stats[tid] = float.NegativeInfinity;
            stats[HeadsPerGroup + tid] = 0f;
        }
        Group.Barrier();

        int ctx = a.Positions[t] + 1, seq = a.TokenSequence[t];
        int c0 = tid, c1 = tid + AttentionThreads;
        Float4 acc0 = default, acc1 = default;                    // columns c0 and c1 of heads h0..h0+3
        for (int start = 0; start < ctx; start += AttentionWarps)
        {
            // 1. scores: warp w takes position start + w
            int j = start + warp, row = -1;
            if (j < ctx)
            {
                int block = a.BlockTables[seq * a.MaxBlocks + j / a.BlockSize];
                row = block * a.BlockSize + j % a.BlockSize;
                if (block < 0 || row >= a.CacheRows)
                {
                    if (lane == 0) DeviceStatus.Report(a.Status, DeviceStatus.BlockId, block);
                    row = -1;
                }
            }
            var s = default(Float4);
            if (row >= 0)
            {
                long rb = (long)row * width;
                for (int d = lane; d < width; d += Warp.WarpSize)
                {
                    float kv = a.Cache[rb + d];
                    s.X += q[d] * kv;
                    s.Y += q[(MaxLatent + MaxRope) + d] * kv;
                    s.Z += q[2 * (MaxLatent + MaxRope) + d] * kv;
                    s.W += q[3 * (MaxLatent + MaxRope) + d] * kv;
                }
            }
            s = DeviceMath.WarpSum(s);
            if (lane == 0)
            {
                rows[warp] = row;
                for (int hh = 0; hh < HeadsPerGroup; hh++)
                    score[warp * HeadsPerGroup + hh] = row >= 0 ? s.Get(hh) * a.SoftmaxScale : float.NegativeInfinity;
            }
            Group.Barrier();
            // 2. online softmax, one thread per head
            if (tid < HeadsPerGroup)
            {
                float m = stats[tid], tileMax = float.NegativeInfinity;
                for (int w = 0; w < AttentionWarps; w++) tileMax = XMath.Max(tileMax, score[w * HeadsPerGroup + tid]);
                float mNew = XMath.Max(m, tileMax);
                float alpha = m == float.NegativeInfinity ? 0f : XMath.Exp(m - mNew);
                float sum = 0;
                for (int w = 0; w < AttentionWarps; w++)
                {
                    float sc = score[w * HeadsPerGroup + tid];
                    float p = sc == float.NegativeInfinity ? 0f : XMath.Exp(sc - mNew);
                    prob[w * HeadsPerGroup + tid] = p;
                    sum += p;
                }
                stats[tid] = mNew;
                stats[HeadsPerGroup + tid] = stats[HeadsPerGroup + tid] * alpha + sum;
                stats[2 * HeadsPerGroup + tid] = alpha;
            }
            Group.Barrier();
            // 3. rescale and accumulate this thread's columns (the rows were just read by the scoring warps: L1 hits)
            var alpha4 = new Float4(stats[2 * HeadsPerGroup], stats[2 * HeadsPerGroup + 1], stats[2 * HeadsPerGroup + 2], stats[2 * HeadsPerGroup + 3]);
            acc0 *= alpha4;
            acc1 *= alpha4;
            for (int w = 0; w < AttentionWarps; w++)
            {
                int r = rows[w];
                if (r < 0) continue;
                var p = new Float4(prob[w * HeadsPerGroup], prob[w * HeadsPerGroup + 1], prob[w * HeadsPerGroup + 2], prob[w * HeadsPerGroup + 3]);
                long rb = (long)r * width;
                if (c0 < L) acc0 = Float4.Fma(p, Float4.Splat(a.Cache[rb + c0]), acc0);
                if (c1 < L) acc1 = Float4.Fma(p, Float4.Splat(a.Cache[rb + c1]), acc1);
            }
            Group.Barrier();                                      // rows, scores and probabilities are rewritten next tile
        }
        return new LatentAccumulators { C0 = acc0, C1 = acc1 };
    }

    internal struct ValueArgs<TW> where TW : struct, IWeightView
    {
        public TW KvB;
        public ArrayView<float> OLat, O;
        public ArrayView<Float4> OLat4;
        public int Tokens, Heads, Nope, VDim, Latent, Vec;
    }

    /// <summary>o[t, h, e] = W_UV[h][e, :]·o_lat[t, h, :]: warp per (head, e) row, tokens in passes of four.</summary>
    public static void Value<TW>(ValueArgs<TW> a) where TW : struct, IWeightView
    {
        int warps = Group.DimX / Warp.WarpSize;
        for (int r = Grid.IdxX * warps + Warp.WarpIdx; r < a.Heads * a.VDim; r += Grid.DimX * warps)   // r = h·V + e
            ValueRow(a, r);
    }

    private static void ValueRow<TW>(ValueArgs<TW> a, int r) where TW : struct, IWeightView
    {
        int h = r / a.VDim, e = r - h * a.VDim;
        int wRow = h * (a.Nope + a.VDim) + a.Nope + e;
        long stride = (long)a.Heads * a.Latent, head = (long)h * a.Latent;
        for (int t0 = 0; t0 < a.Tokens; t0 += MatMulKernels.RowTokens)
        {
            int count = a.Tokens - t0 < MatMulKernels.RowTokens ? a.Tokens - t0 : MatMulKernels.RowTokens;
            long o0 = t0 * stride + head;
            long o1 = (count > 1 ? t0 + 1 : t0) * stride + head, o2 = (count > 2 ? t0 + 2 : t0) * stride + head, o3 = (count > 3 ? t0 + 3 : t0) * stride + head;
            var s = MatMulKernels.RowDot(a.KvB, 0, wRow, a.OLat, a.OLat4, a.Latent, a.Vec, o0, o1, o2, o3, count);
            if (Warp.IsFirstLane)
                for (int i = 0; i < count; i++) a.O[(long)(t0 + i) * a.Heads * a.VDim + r] = s.Get(i);
        }
    }
}
