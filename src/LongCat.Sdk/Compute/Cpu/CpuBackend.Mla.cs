using System.Buffers;
using System.Numerics.Tensors;

namespace LongCat.Sdk.Compute.Cpu;

// MLA in absorbed form over the paged latent cache. Legend: T tokens, nH heads, L latent, R rope dim.
public sealed unsafe partial class CpuBackend
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
        ForRanges(qb.Rows, 16, (r0, r1) => MatMulRows(qaNormed, qb, q, r0, r1, accumulate: false));
        AbsorbQuery(q, Cpu(weights.KvB), shape, weights.QScale, Cpu(meta.Positions), rope, Cpu(qLat), Cpu(qRot));
        CacheLatent(Cpu(ckv), Cpu(weights.KvANorm), weights.NormEps, weights.KvScale, shape, rope, meta, Cpu(cache));
    }

    /// <summary>q_lat = (s_q·q_nope)·W_UK and q_rot = rope(s_q·q_rot) per (token, head).</summary>
    private void AbsorbQuery(CpuTensor qs, CpuTensor w, MlaShape shape, float qScale, CpuTensor pos, RopeParams rope, CpuTensor lat, CpuTensor rot)
    {
        var invFreq = Cpu(rope.InvFreq);
        Require(qs.Columns == shape.Heads * shape.QHeadDim && lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim
            && lat.Rows >= qs.Rows && rot.Rows >= qs.Rows && pos.ElementCount >= qs.Rows && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent,
            nameof(MlaQueryAndCache), $"q {qs}, kv_b {w}, qLat {lat}, qRot {rot}");
        float af = rope.AttentionFactor;
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
            RotateInterleaved(qh + shape.NopeDim, qScale, pos.I32[t], invFreq.F32, af, rot.RowF32(t) + h * shape.RopeDim, shape.RopeDim);
        });
    }

    /// <summary>Interleaved (GPT-J) rotary: (x[2i], x[2i+1]) rotated by pos·invFreq[i]; angles, cos and sin in F32.</summary>
    internal static void RotateInterleaved(float* x, float scale, int position, float* invFreq, float attentionFactor, float* output, int dim)
    {
        for (int i = 0; i < dim / 2; i++)
        {
            float angle = position * invFreq[i];
            float c = MathF.Cos(angle) * attentionFactor, s = MathF.Sin(angle) * attentionFactor;
            float x0 = x[2 * i] * scale, x1 = x[2 * i + 1] * scale;
            output[2 * i] = x0 * c - x1 * s;
            output[2 * i + 1] = x1 * c + x0 * s;
        }
    }

    /// <summary>cache[slots[t]] = [RmsNorm(c)·s_kv ‖ rope(k_rot)] for each row of ckv.</summary>
    private static void CacheLatent(CpuTensor c, CpuTensor w, float eps, float kvScale, MlaShape shape, RopeParams rope, AttentionMetadata meta, CpuTensor kv)
    {
        var pos = Cpu(meta.Positions); var slots = Cpu(meta.Slots);
        var invFreq = Cpu(rope.InvFreq);
        Require(c.Columns == shape.CacheWidth && kv.Columns == shape.CacheWidth && pos.ElementCount >= c.Rows && slots.ElementCount >= c.Rows
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
            RotateInterleaved(src + shape.Latent, 1f, pos.I32[t], invFreq.F32, rope.AttentionFactor, dst + shape.Latent, shape.RopeDim);
        }
    }

    /// <inheritdoc/>
    public void MlaAttention(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat)
    {
        var lat = Cpu(qLat); var rot = Cpu(qRot); var kv = Cpu(cache); var o = Cpu(oLat);
        var pos = Cpu(meta.Positions); var seqOf = Cpu(meta.TokenSequence); var tables = Cpu(meta.BlockTables);
        int bs = meta.BlockSize, maxBlocks = tables.Columns, L = shape.Latent, R = shape.RopeDim;
        Require(lat.Columns == shape.Heads * L && rot.Columns == shape.Heads * R && o.Columns == shape.Heads * L && o.Rows >= lat.Rows
            && kv.Columns == shape.CacheWidth && pos.ElementCount >= lat.Rows && seqOf.ElementCount >= lat.Rows, nameof(MlaAttention), $"qLat {lat}, oLat {o}, cache {kv}");
        for (int t = 0; t < lat.Rows; t++)
        {
            int seq = seqOf.I32[t], need = pos.I32[t] / bs;
            Require((uint)seq < (uint)tables.Rows && need < maxBlocks, nameof(MlaAttention), $"token {t} (sequence {seq}, position {pos.I32[t]}) has no block table entry");
            for (int b = 0; b <= need; b++)
                Require((uint)(tables.I32[(long)seq * maxBlocks + b] * bs) < (uint)kv.Rows, nameof(MlaAttention), $"block id {tables.I32[(long)seq * maxBlocks + b]} outside the cache");
        }
        For(lat.Rows * shape.Heads, item =>
        {
            int t = item / shape.Heads, h = item % shape.Heads;
            int ctx = pos.I32[t] + 1;
            int* table = tables.I32 + (long)seqOf.I32[t] * maxBlocks;
            float* ql = lat.RowF32(t) + h * L, qr = rot.RowF32(t) + h * R;
            float[] rented = ArrayPool<float>.Shared.Rent(ctx);
            try
            {
                var scores = rented.AsSpan(0, ctx);
                for (int j = 0; j < ctx; j++)
                {
                    float* row = kv.RowF32(table[j / bs] * bs + j % bs);          // [c (L) | k_rot (R)]
                    scores[j] = softmaxScale * (TensorPrimitives.Dot(new ReadOnlySpan<float>(ql, L), new ReadOnlySpan<float>(row, L))
                                                + TensorPrimitives.Dot(new ReadOnlySpan<float>(qr, R), new ReadOnlySpan<float>(row + L, R)));
                }
                TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);   // SoftMax alone overflows above ~88
                TensorPrimitives.SoftMax(scores, scores);
                var acc = new Span<float>(o.RowF32(t) + h * L, L);
                acc.Clear();
                for (int j = 0; j < ctx; j++)
                {
                    float* row = kv.RowF32(table[j / bs] * bs + j % bs);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(row, L), scores[j], acc, acc);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        });
    }

    /// <inheritdoc/>
    public void MlaAttentionValue(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, DeviceTensor kvB, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat, DeviceTensor o)
    {
        MlaAttention(qLat, qRot, cache, shape, softmaxScale, meta, oLat);
        MlaValue(oLat, kvB, shape, o);
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
