using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// MLA in absorbed form over the paged latent cache. Legend: T tokens, nH heads, L latent, R rope dim.
internal sealed partial class IlgpuBackend
{
    private const int QueryGroup = 256;

    /// <inheritdoc/>
    public void MlaQueryAndCache(DeviceTensor qa, DeviceTensor ckv, MlaLatentWeights weights, MlaShape shape, RopeParams rope, AttentionMetadata meta,
        DeviceTensor cache, DeviceTensor qLat, DeviceTensor qRot)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var qas = Own(qa); var c = Own(ckv); var qb = Own(weights.QB); var kvB = Own(weights.KvB); var lat = Own(qLat); var rot = Own(qRot);
        var pos = Own(meta.Positions); var slots = Own(meta.Slots); var kv = Own(cache); var inv = Own(rope.InvFreq);
        var qaNorm = Own(weights.QANorm); var kvANorm = Own(weights.KvANorm);
        int tokens = qas.Rows;
        Require(qb.Rows == shape.Heads * shape.QHeadDim && qb.Columns == qas.Columns && qaNorm.Columns == qas.Columns
            && lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim && lat.Rows >= tokens && rot.Rows >= tokens
            && kvB.Rows == shape.Heads * shape.KvHeadRows && kvB.Columns == shape.Latent, nameof(MlaQueryAndCache),
            $"qa {qas}, q_a norm {qaNorm}, q_b {qb}, kv_b {kvB}, qLat {lat}, qRot {rot}");
        Require(c.Rows == tokens && c.Columns == shape.CacheWidth && kv.Columns == shape.CacheWidth && kvANorm.Columns == shape.Latent
            && pos.ElementCount >= tokens && slots.ElementCount >= tokens, nameof(MlaQueryAndCache), $"ckv {c}, cache {kv}, kv_a norm {kvANorm}");
        Require(shape.NopeDim <= MlaKernels.MaxNope && shape.RopeDim <= MlaKernels.MaxRope && shape.RopeDim % 2 == 0, nameof(MlaQueryAndCache),
            $"nope {shape.NopeDim} (at most {MlaKernels.MaxNope}) and even rope {shape.RopeDim} (at most {MlaKernels.MaxRope})");
        var body = new QueryCacheOp(this, new MlaKernels.LatentArgs
        {
            QANorm = Vector(qaNorm, nameof(MlaQueryAndCache)), KvANorm = Vector(kvANorm, nameof(MlaQueryAndCache)),
            QA = qas.F32, QA4 = qas.F32x4, Ckv = c.F32, Ckv4 = c.F32x4, QLat = lat.F32, QRot = rot.F32, Cache = kv.F32, InvFreq = inv.F32,
            Positions = pos.I32, Slots = slots.I32, Status = _status.View,
            Tokens = tokens, Heads = shape.Heads, QLora = qas.Columns, Nope = shape.NopeDim, Rope = shape.RopeDim, VDim = shape.VDim,
            Latent = shape.Latent, CacheRows = kv.Rows, QVec = qas.Columns % 4 == 0 ? 1 : 0,
            CkvVec = shape.CacheWidth % 4 == 0 && shape.Latent % 4 == 0 ? 1 : 0,
            Eps = weights.NormEps, QScale = weights.QScale, KvScale = weights.KvScale, AttentionFactor = rope.AttentionFactor,
        });
        var qbRegion = WeightRegion.Of(qb, nameof(MlaQueryAndCache));
        var kvBRegion = WeightRegion.Of(kvB, nameof(MlaQueryAndCache));
        WeightDispatch.Run2(nameof(MlaQueryAndCache), ref body, qbRegion, qbRegion, kvBRegion, kvBRegion);
    }

    /// <summary>q_b and kv_b may differ in format: a quantization preset quantizes q_b and keeps kv_b as stored.</summary>
    private readonly struct QueryCacheOp(IlgpuBackend b, MlaKernels.LatentArgs args) : IWeightOp2
    {
        public void Run<TQ, TK>(TQ qb, TQ unused, TK kvB, TK unused2) where TQ : struct, IWeightView where TK : struct, IWeightView
        {
            // Groups (h < nH: head h's query; h = nH: the cache rows) × blocks of four tokens.
            var grid = new Index3D(args.Heads + 1, CeilDiv(args.Tokens, MatMulKernels.RowTokens), 1);
            b.Launch(MlaKernels.QueryAndCache<TQ, TK>, grid, QueryGroup, new MlaKernels.QueryCacheArgs<TQ, TK> { QB = qb, KvB = kvB, P = args });
        }
    }

    /// <inheritdoc/>
    public void MlaAttention(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat)
    {
        var lat = Own(qLat); var rot = Own(qRot); var kv = Own(cache); var o = Own(oLat);
        var pos = Own(meta.Positions); var seqOf = Own(meta.TokenSequence); var tables = Own(meta.BlockTables);
        Require(lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim && o.Columns == shape.Heads * shape.Latent
            && o.Rows >= lat.Rows && kv.Columns == shape.CacheWidth && pos.ElementCount >= lat.Rows && seqOf.ElementCount >= lat.Rows,
            nameof(MlaAttention), $"qLat {lat}, oLat {o}, cache {kv}");
        Require(shape.Latent <= MlaKernels.MaxLatent && shape.RopeDim <= MlaKernels.MaxRope && _accelerator.WarpSize * 8 == MlaKernels.AttentionThreads,
            nameof(MlaAttention), $"latent {shape.Latent} (at most {MlaKernels.MaxLatent}), rope {shape.RopeDim}, warp {_accelerator.WarpSize} (needs 32)");
        Launch(MlaKernels.Attention, new Index3D(CeilDiv(shape.Heads, MlaKernels.HeadsPerGroup), TokenGrid(lat.Rows), 1), MlaKernels.AttentionThreads,
            new MlaKernels.AttentionArgs
            {
                QLat = lat.F32, QRot = rot.F32, Cache = kv.F32, OLat = o.F32, Positions = pos.I32, TokenSequence = seqOf.I32,
                BlockTables = tables.I32, Status = _status.View, Tokens = lat.Rows, Heads = shape.Heads, Latent = shape.Latent, Rope = shape.RopeDim,
                BlockSize = meta.BlockSize, MaxBlocks = tables.Columns, CacheRows = kv.Rows, SoftmaxScale = softmaxScale,
            });
    }

    /// <inheritdoc/>
    public void MlaAttentionValue(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, DeviceTensor kvB, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat, DeviceTensor o)
    {
        var lat = Own(qLat); var rot = Own(qRot); var kv = Own(cache); var w = Own(kvB); var os = Own(o);
        var pos = Own(meta.Positions); var seqOf = Own(meta.TokenSequence); var tables = Own(meta.BlockTables);
        Require(lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim && os.Columns == shape.Heads * shape.VDim
            && os.Rows >= lat.Rows && kv.Columns == shape.CacheWidth && pos.ElementCount >= lat.Rows && seqOf.ElementCount >= lat.Rows
            && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent, nameof(MlaAttentionValue),
            $"qLat {lat}, kv_b {w}, o {os}, cache {kv}");
        Require(shape.Latent <= MlaKernels.MaxLatent && shape.RopeDim <= MlaKernels.MaxRope && _accelerator.WarpSize * 8 == MlaKernels.AttentionThreads,
            nameof(MlaAttentionValue), $"latent {shape.Latent} (at most {MlaKernels.MaxLatent}), rope {shape.RopeDim}, warp {_accelerator.WarpSize} (needs 32)");
        var body = new AttentionValueOp(this, os, shape, new MlaKernels.AttentionArgs
        {
            QLat = lat.F32, QRot = rot.F32, Cache = kv.F32, Positions = pos.I32, TokenSequence = seqOf.I32,
            BlockTables = tables.I32, Status = _status.View, Tokens = lat.Rows, Heads = shape.Heads, Latent = shape.Latent, Rope = shape.RopeDim,
            BlockSize = meta.BlockSize, MaxBlocks = tables.Columns, CacheRows = kv.Rows, SoftmaxScale = softmaxScale,
        });
        WeightDispatch.Run(nameof(MlaAttentionValue), ref body, WeightRegion.Of(w, nameof(MlaAttentionValue)));
    }

    private readonly struct AttentionValueOp(IlgpuBackend b, IlgpuTensor o, MlaShape shape, MlaKernels.AttentionArgs args) : IWeightOp
    {
        public void Run<TW>(TW w, TW unused1, TW unused2) where TW : struct, IWeightView
        {
            var grid = new Index3D(CeilDiv(shape.Heads, MlaKernels.HeadsPerGroup), b.TokenGrid(args.Tokens), 1);
            b.Launch(MlaKernels.AttentionValue<TW>, grid, MlaKernels.AttentionThreads, new MlaKernels.AttentionValueArgs<TW>
            {
                KvB = w, A = args, O = o.F32, Nope = shape.NopeDim, VDim = shape.VDim,
            });
        }
    }

    /// <inheritdoc/>
    public void MlaValue(DeviceTensor oLat, DeviceTensor kvB, MlaShape shape, DeviceTensor o)
    {
        var lat = Own(oLat); var w = Own(kvB); var os = Own(o);
        Require(lat.Columns == shape.Heads * shape.Latent && os.Columns == shape.Heads * shape.VDim && os.Rows >= lat.Rows
            && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent, nameof(MlaValue), $"oLat {lat}, kv_b {w}, o {os}");
        var body = new ValueOp(this, lat, os, shape);
        WeightDispatch.Run(nameof(MlaValue), ref body, WeightRegion.Of(w, nameof(MlaValue)));
    }

    private readonly struct ValueOp(IlgpuBackend b, IlgpuTensor lat, IlgpuTensor o, MlaShape shape) : IWeightOp
    {
        public void Run<TW>(TW w, TW unused1, TW unused2) where TW : struct, IWeightView
        {
            b.Launch(MlaKernels.Value<TW>, new Index3D(b.RowGrid(shape.Heads * shape.VDim), 1, 1), b.RowGroup, new MlaKernels.ValueArgs<TW>
            {
                KvB = w, OLat = lat.F32, OLat4 = lat.F32x4, O = o.F32, Tokens = lat.Rows, Heads = shape.Heads, Nope = shape.NopeDim,
                VDim = shape.VDim, Latent = shape.Latent, Vec = shape.Latent % 4 == 0 ? 1 : 0,
            });
        }
    }
}
