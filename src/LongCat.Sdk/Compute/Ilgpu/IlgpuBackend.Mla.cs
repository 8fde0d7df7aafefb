using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// MLA in absorbed form over the paged latent cache. Legend: T tokens, nH heads, L latent, R rope dim.
public sealed partial class IlgpuBackend
{
    private const int QueryGroup = 128, CacheGroup = 128;

    /// <inheritdoc/>
    public void MlaQuery(DeviceTensor q, DeviceTensor kvB, MlaShape shape, float qScale, DeviceTensor positions, RopeParams rope,
        DeviceTensor qLat, DeviceTensor qRot)
    {
        var qs = Own(q); var w = Own(kvB); var pos = Own(positions); var lat = Own(qLat); var rot = Own(qRot); var inv = Own(rope.InvFreq);
        Require(qs.Columns == shape.Heads * shape.QHeadDim && lat.Columns == shape.Heads * shape.Latent && rot.Columns == shape.Heads * shape.RopeDim
            && lat.Rows >= qs.Rows && rot.Rows >= qs.Rows && pos.ElementCount >= qs.Rows && w.Rows == shape.Heads * shape.KvHeadRows && w.Columns == shape.Latent,
            nameof(MlaQuery), $"q {qs}, kv_b {w}, qLat {lat}, qRot {rot}");
        Require(shape.NopeDim <= MlaKernels.MaxNope && shape.RopeDim <= MlaKernels.MaxRope && shape.RopeDim % 2 == 0, nameof(MlaQuery),
            $"nope {shape.NopeDim} (at most {MlaKernels.MaxNope}) and even rope {shape.RopeDim} (at most {MlaKernels.MaxRope})");
        var body = new QueryOp(this, qs, pos, lat, rot, inv, shape, qScale, rope.AttentionFactor);
        WeightDispatch.Run(nameof(MlaQuery), ref body, WeightRegion.Of(w, nameof(MlaQuery)));
    }

    private readonly struct QueryOp(IlgpuBackend b, IlgpuTensor q, IlgpuTensor pos, IlgpuTensor lat, IlgpuTensor rot, IlgpuTensor invFreq,
        MlaShape shape, float qScale, float factor) : IWeightOp
    {
        public void Run<TW>(TW w, TW unused1, TW unused2) where TW : struct, IWeightView
        {
            var grid = new Index3D(CeilDiv(shape.Latent, 4 * QueryGroup), shape.Heads, CeilDiv(q.Rows, MatMulKernels.RowTokens));
            b.Launch(MlaKernels.Query<TW>, grid, QueryGroup, new MlaKernels.QueryArgs<TW>
            {
                KvB = w, Q = q.F32, QLat = lat.F32, QRot = rot.F32, InvFreq = invFreq.F32, Positions = pos.I32,
                Tokens = q.Rows, Heads = shape.Heads, Nope = shape.NopeDim, Rope = shape.RopeDim, VDim = shape.VDim, Latent = shape.Latent,
                QScale = qScale, AttentionFactor = factor,
            });
        }
    }

    /// <inheritdoc/>
    public void MlaCacheLatent(DeviceTensor ckv, DeviceTensor normWeight, float eps, float kvScale, MlaShape shape, RopeParams rope,
        AttentionMetadata meta, DeviceTensor cache)
    {
        var c = Own(ckv); var w = Own(normWeight); var pos = Own(meta.Positions); var slots = Own(meta.Slots); var kv = Own(cache);
        var inv = Own(rope.InvFreq);
        Require(c.Columns == shape.CacheWidth && kv.Columns == shape.CacheWidth && pos.ElementCount >= c.Rows && slots.ElementCount >= c.Rows
            && w.Columns == shape.Latent, nameof(MlaCacheLatent), $"ckv {c}, cache {kv}, norm {w}");
        Launch(MlaKernels.CacheLatent, new Index3D(c.Rows, 1, 1), CacheGroup, new MlaKernels.CacheArgs
        {
            Ckv = c.F32, Cache = kv.F32, InvFreq = inv.F32, Positions = pos.I32, Slots = slots.I32, Status = _status.View,
            NormWeight = Vector(w, nameof(MlaCacheLatent)), Latent = shape.Latent, Rope = shape.RopeDim, CacheRows = kv.Rows,
            Eps = eps, KvScale = kvScale, AttentionFactor = rope.AttentionFactor,
        });
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
