using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics.Tensors;

namespace LongCat.Sdk.Compute.Cpu;

// MLA in absorbed form over the paged latent cache. Legend: T tokens, nH heads, L latent, R rope dim.
internal sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>On the CPU the query side runs as norm, q_b matmul (into scratch) and absorb; the key side as the cache writes.</remarks>
    public void MlaQueryAndCache(DeviceTensor qa, DeviceTensor ckv, MlaLatentWeights weights, MlaShape shape, RopeParams rope, AttentionMetadata meta,
        DeviceTensor cache, DeviceTensor qLat, DeviceTensor qRot)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var qas = Cpu(qa); var qb = Cpu(weights.QB);
        Require(qb.Rows == shape.Heads * shape.QHeadDim && qb.Columns == qas.Columns, nameof(MlaQueryAndCache), $"qa {qas}, q_b {qb}");
        var qaNormed = Normalize(new RmsNormed(qa, weights.QANorm, weights.NormEps), 0, nameof(MlaQueryAndCache));
        var q = _scratch.Rows(1, qas.Rows, qb.Rows);                      // [T, nH·(nope+R)]
        var input = Input(qaNormed, qb);
        ForRanges(qb.Rows, 16, (r0, r1) => MatMulRows(input, qb, q, r0, r1, accumulate: false));
        // Every head of a row and its cached k_rot turn by the same angles: cos and sin once per row, not once per head.
        var pos = Cpu(meta.Positions);
        int rows = Math.Max(qas.Rows, Cpu(ckv).Rows);
        Require(pos.ElementCount >= rows, nameof(MlaQueryAndCache), $"positions {pos} for {rows} rows");
        var angles = ArrayPool<float>.Shared.Rent(rows * shape.RopeDim);
        try
        {
            fixed (float* cs = angles)
            {
                RopeCosSin(pos, rows, Cpu(rope.InvFreq).F32, rope.AttentionFactor, shape.RopeDim, cs);
                AbsorbQuery(q, Cpu(weights.KvB), shape, weights.QScale, cs, Cpu(qLat), Cpu(qRot));
                CacheLatent(Cpu(ckv), Cpu(weights.KvANorm), weights.NormEps, weights.KvScale, shape, cs, meta, Cpu(cache));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(angles);
        }
    }

    /// <summary>cosSin[t·dim + 2i, +1] = (cos, sin)(position_t · invFreq[i]) · attentionFactor, in F32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RopeCosSin(CpuTensor positions, int rows, float* invFreq, float attentionFactor, int dim, float* cosSin)
    {
        for (int t = 0; t < rows; t++)
        {
            int position = positions.I32[t];
            float* row = cosSin + (long)t * dim;
            for (int i = 0; i < dim / 2; i++)
            {
                float angle = position * invFreq[i];
                row[2 * i] = MathF.Cos(angle) * attentionFactor;
                row[2 * i + 1] = MathF.Sin(angle) * attentionFactor;
            }
        }
    }

    /// <summary>q_lat = (s_q·q_nope)·W_UK and q_rot = rope(s_q·q_rot) per (token, head).</summary>
    private void AbsorbQuery(CpuTensor qs, CpuTensor w, MlaShape shape, float qScale, float* cosSin, CpuTensor lat, CpuTensor rot)
    {
        Require(qs.Columns == shape.Heads * shape.QHeadDim && lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim
            && lat.Rows >= qs.Rows && rot.Rows >= qs.Rows && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent,
            nameof(MlaQueryAndCache), $"q {qs}, kv_b {w}, qLat {lat}, qRot {rot}");
        int tokens = qs.Rows;
        For(tokens * shape.Heads, item =>
        {
            int t = item / shape.Heads, h = item % shape.Heads;
            float* qh = qs.RowF32(t) + h * shape.QHeadDim;              // [nope | rope]
            float* l = lat.RowF32(t) + h * shape.Latent;                 // q_lat[t, h]: [L]
            new Span<float>(l, shape.Latent).Clear();
            // q_lat[h] = Σ_d (s_q · q_nope[h, d]) · W_UK[h][d, :]   (W_UK[h] = kv_b rows h·(nope+v) + d)
            int rowBase = h * shape.KvHeadRows;
            for (int d = 0; d < shape.NopeDim; d++)
                SimdKernels.Axpy(w, rowBase + d, qh[d] * qScale, l, shape.Latent);
            RotateInterleaved(qh + shape.NopeDim, qScale, cosSin + (long)t * shape.RopeDim, rot.RowF32(t) + h * shape.RopeDim, shape.RopeDim);
        });
    }

    /// <summary>Interleaved (GPT-J) rotary: (x[2i], x[2i+1]) · scale rotated by the angle whose (cos, sin) are cosSin[2i, 2i+1]
    /// (<see cref="RopeCosSin"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RotateInterleaved(float* x, float scale, float* cosSin, float* output, int dim)
    {
        for (int i = 0; i < dim / 2; i++)
        {
            float c = cosSin[2 * i], s = cosSin[2 * i + 1];
            float x0 = x[2 * i] * scale, x1 = x[2 * i + 1] * scale;
            output[2 * i] = x0 * c - x1 * s;
            output[2 * i + 1] = x1 * c + x0 * s;
        }
    }

    /// <summary>cache[slots[t]] = [RmsNorm(c)·s_kv ‖ rope(k_rot)] for each row of ckv.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CacheLatent(CpuTensor c, CpuTensor w, float eps, float kvScale, MlaShape shape, float* cosSin, AttentionMetadata meta, CpuTensor kv)
    {
        var slots = Cpu(meta.Slots);
        Require(c.Columns == shape.CacheWidth && kv.Columns == shape.CacheWidth && slots.ElementCount >= c.Rows
            && w.Columns == shape.Latent, nameof(MlaQueryAndCache), $"ckv {c}, cache {kv}, kv_a norm {w}");
        var wf = WeightAsFloats(w);
        for (int t = 0; t < c.Rows; t++)
        {
            int slot = slots.I32[t];
            if ((uint)slot >= (uint)kv.Rows) throw new ArgumentOutOfRangeException(nameof(meta), $"cache slot {slot} outside [0, {kv.Rows})");
            float* src = c.RowF32(t), dst = kv.RowF32(slot);
            // cache = [RmsNorm(c) · s_kv (L) ‖ rope(k_rot) (R)]: the latent carries the kv-lora scale, k_rot does not.
            NormRow(src, wf, eps, dst, shape.Latent);
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(dst, shape.Latent), kvScale, new Span<float>(dst, shape.Latent));
            RotateInterleaved(src + shape.Latent, 1f, cosSin + (long)t * shape.RopeDim, dst + shape.Latent, shape.RopeDim);
        }
    }

    /// <inheritdoc/>
    public void MlaAttention(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat) =>
        Attend(Cpu(qLat), Cpu(qRot), Cpu(cache), null, shape, softmaxScale, meta, Cpu(oLat), null, nameof(MlaAttention));

    /// <inheritdoc/>
    /// <remarks>On the CPU each query head's W_UV product follows its attention in the same work item: one parallel loop, not two.</remarks>
    public void MlaAttentionValue(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, DeviceTensor kvB, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat, DeviceTensor o)
    {
        var w = Cpu(kvB); var os = Cpu(o);
        Require(os.Columns == shape.Heads * shape.VDim && os.Rows >= Cpu(qLat).Rows && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent,
            nameof(MlaAttentionValue), $"o {os}, kv_b {w}");
        Attend(Cpu(qLat), Cpu(qRot), Cpu(cache), w, shape, softmaxScale, meta, Cpu(oLat), os, nameof(MlaAttentionValue));
    }

    /// <summary>Query heads one work item handles at most: a tile shares its cache rows through L1.</summary>
    private const int MaxQueriesPerTile = 8;

    /// <summary>
    /// Attention of every (token, head) over its sequence's cached rows [0, position]; with <paramref name="kvB"/>, also
    /// o = o_lat·W_UVᵀ per head. Query heads of one sequence are split into tiles (consecutive tokens, head-major within a token),
    /// at least one per thread where that leaves whole groups of four heads; each group of four heads of one token reads every
    /// cached row once for all four (MLA's heads attend over the same latent rows), a lone head reads them alone.
    /// </summary>
    private void Attend(CpuTensor lat, CpuTensor rot, CpuTensor kv, CpuTensor? kvB, MlaShape shape, float softmaxScale, AttentionMetadata meta,
        CpuTensor o, CpuTensor? value, string op)
    {
        var pos = Cpu(meta.Positions); var seqOf = Cpu(meta.TokenSequence); var tables = Cpu(meta.BlockTables);
        int bs = meta.BlockSize, maxBlocks = tables.Columns, L = shape.Latent, R = shape.RopeDim, nH = shape.Heads, tokens = lat.Rows;
        Require(lat.Columns == nH * L && rot.Columns == nH * R && o.Columns == nH * L && o.Rows >= tokens && rot.Rows >= tokens
            && kv.Columns == shape.CacheWidth && pos.ElementCount >= tokens && seqOf.ElementCount >= tokens, op, $"qLat {lat}, oLat {o}, cache {kv}");
        for (int t = 0; t < tokens; t++)
        {
            int seq = seqOf.I32[t], need = pos.I32[t] / bs;
            Require((uint)seq < (uint)tables.Rows && pos.I32[t] >= 0 && need < maxBlocks, op, $"token {t} (sequence {seq}, position {pos.I32[t]}) has no block table entry");
            for (int b = 0; b <= need; b++)
                Require((uint)(tables.I32[(long)seq * maxBlocks + b] * bs) < (uint)kv.Rows, op, $"block id {tables.I32[(long)seq * maxBlocks + b]} outside the cache");
        }
        // Tiles are sized by the step's queries, not each sequence's: a batched decode step's sequences keep the threads busy, so
        // each sequence's token takes its heads in whole groups of four (one read of the rows for four heads).
        var tiles = new List<(int Token0, int Q0, int Q1)>();
        int size = Math.Clamp((tokens * nH + Threads - 1) / Threads, 1, MaxQueriesPerTile);
        // Whole groups of four heads of one token, unless that would leave threads idle (a lone decode token's 4 heads on 2
        // threads: two tiles of two heads beat one tile of four, measured with benchmarks attn-micro).
        if (nH % 4 == 0 && tokens * nH >= 4 * Threads) size = (size + 3) / 4 * 4;
        for (int t = 0; t < tokens;)
        {
            int t1 = t + 1;
            while (t1 < tokens && seqOf.I32[t1] == seqOf.I32[t]) t1++;
            int queries = (t1 - t) * nH;
            for (int q = 0; q < queries; q += size) tiles.Add((t, q, Math.Min(queries, q + size)));
            t = t1;
        }
        long stride = kv.Columns;
        For(tiles.Count, i =>
        {
            var (t0, q0, q1) = tiles[i];
            int* table = tables.I32 + (long)seqOf.I32[t0] * maxBlocks;
            int maxCtx = 0;
            for (int t = t0 + q0 / nH; t <= t0 + (q1 - 1) / nH; t++) maxCtx = Math.Max(maxCtx, pos.I32[t] + 1);
            float[] rented = ArrayPool<float>.Shared.Rent(4 * maxCtx);
            try
            {
                fixed (float* scores = rented)
                    for (int q = q0; q < q1;)
                    {
                        int t = t0 + q / nH, h = q % nH, ctx = pos.I32[t] + 1;
                        int group = nH % 4 == 0 && q + 4 <= q1 ? 4 : 1;                   // four heads of one token share the rows' reads
                        float* ql = lat.RowF32(t) + h * L, qr = rot.RowF32(t) + h * R;
                        for (int j = 0; j < ctx;)
                        {
                            int n = Math.Min(bs - j % bs, ctx - j);
                            float* rows = kv.F32 + ((long)table[j / bs] * bs + j % bs) * stride;
                            if (group == 4) LatentAttentionKernels.Scores4(ql, qr, L, R, rows, stride, n, L, R, softmaxScale, scores + j, maxCtx);
                            else LatentAttentionKernels.Scores(ql, qr, rows, stride, n, L, R, softmaxScale, scores + j);
                            j += n;
                        }
                        for (int g = 0; g < group; g++)
                        {
                            LatentAttentionKernels.SoftMax(new Span<float>(scores + g * maxCtx, ctx));
                        }
                        float* ol = o.RowF32(t) + h * L;
                        if (group == 4) LatentAttentionKernels.Values4(scores, maxCtx, ctx, kv.F32, stride, table, bs, L, ol, L);
                        else LatentAttentionKernels.Values(scores, ctx, kv.F32, stride, table, bs, L, ol);
                        if (kvB is not null)
                            for (int g = 0; g < group; g++)
                            {
                                float* dst = value!.RowF32(t) + (h + g) * shape.VDim;
                                int rowBase = (h + g) * shape.KvHeadRows + shape.NopeDim;   // W_UV[h] rows
                                for (int e = 0; e < shape.VDim; e++) dst[e] = SimdKernels.Dot(kvB, rowBase + e, ol + g * L, L);
                            }
                        q += group;
                    }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        });
    }

    /// <inheritdoc/>
    public void MlaValue(DeviceTensor oLat, DeviceTensor kvB, MlaShape shape, DeviceTensor o)
    {
        var lat = Cpu(oLat); var w = Cpu(kvB); var os = Cpu(o);
        Require(lat.Columns == shape.Heads * shape.Latent && os.Columns == shape.Heads * shape.VDim && os.Rows >= lat.Rows, nameof(MlaValue), $"oLat {lat}, o {os}");
        For(lat.Rows * shape.Heads, item =>
        {
            int t = item / shape.Heads, h = item % shape.Heads;
            float* l = lat.RowF32(t) + h * shape.Latent;
            float* dst = os.RowF32(t) + h * shape.VDim;
            int rowBase = h * shape.KvHeadRows + shape.NopeDim;   // W_UV[h] rows
            for (int e = 0; e < shape.VDim; e++) dst[e] = SimdKernels.Dot(w, rowBase + e, l, shape.Latent);
        });
    }
}
