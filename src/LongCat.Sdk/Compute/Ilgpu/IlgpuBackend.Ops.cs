using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Embedding, norms, matmuls and data movement. Legend: T tokens, K input width, N output rows.
public sealed partial class IlgpuBackend
{
    private const int ElementwiseGroup = 256;

    private Index3D ElementwiseGrid(long n) => new(Math.Max(1, Math.Min(CeilDiv(n, ElementwiseGroup), _accelerator.MaxNumThreadsPerMultiprocessor / ElementwiseGroup * _accelerator.NumMultiprocessors * 4)), 1, 1);

    /// <inheritdoc/>
    public void Embedding(DeviceTensor table, DeviceTensor ids, int column, DeviceTensor output)
    {
        var tab = Own(table); var id = Own(ids); var o = Own(output);
        Require(o.Columns == tab.Columns && id.Rows >= o.Rows && (uint)column < (uint)id.Columns && id.DType == DType.I32 && o.DType == DType.F32,
            nameof(Embedding), $"table {tab}, ids {id}, column {column}, output {o}");
        long n = (long)o.Rows * o.Columns;
        Launch(ElementwiseKernels.Embedding, ElementwiseGrid(n), ElementwiseGroup, new ElementwiseKernels.EmbeddingArgs
        {
            Table = Vector(tab, nameof(Embedding)), Ids = id.I32, Status = _status.View, Output = o.F32,
            Tokens = o.Rows, Columns = o.Columns, TableRows = tab.Rows, IdColumns = id.Columns, IdColumn = column,
        });
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var xs = Own(x); var w = Own(weight); var o = Own(output);
        int n = w.Columns;
        Require(xs.Columns == n && o.Columns == n && o.Rows >= xs.Rows, nameof(RmsNorm), $"x {xs}, weight {w}, output {o}");
        Norm(xs, null, w, eps, o);
    }

    /// <inheritdoc/>
    public void AddRmsNorm(DeviceTensor residual, DeviceTensor delta, DeviceTensor weight, float eps, DeviceTensor normed)
    {
        var r = Own(residual); var d = Own(delta); var w = Own(weight); var o = Own(normed);
        int n = w.Columns;
        Require(r.Columns == n && d.Columns == n && o.Columns == n && d.Rows >= r.Rows && o.Rows >= r.Rows, nameof(AddRmsNorm),
            $"residual {r}, delta {d}, normed {o}");
        Norm(r, d, w, eps, o);
    }

    private void Norm(IlgpuTensor x, IlgpuTensor? delta, IlgpuTensor w, float eps, IlgpuTensor o)
    {
        int n = w.Columns;
        int group = Math.Clamp((Math.Max(1, n / 4) + _accelerator.WarpSize - 1) / _accelerator.WarpSize * _accelerator.WarpSize, _accelerator.WarpSize, RowGroup);
        Launch(NormKernels.RmsNorm, new Index3D(x.Rows, 1, 1), group, new NormKernels.RmsNormArgs
        {
            X = x.F32, X4 = x.F32x4, Delta = (delta ?? x).F32, Delta4 = (delta ?? x).F32x4, Output = o.F32, Output4 = o.F32x4,
            Weight = Vector(w, nameof(RmsNorm)), Columns = n, HasDelta = delta is null ? 0 : 1, Vec = n % 4 == 0 ? 1 : 0, Eps = eps,
        });
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor y, bool accumulate = false)
    {
        var xs = Own(x); var w = Own(weight); var ys = Own(y);
        int tokens = xs.Rows, inDim = w.Columns, outDim = w.Rows;
        if (xs.Columns != inDim || ys.Columns != outDim || ys.Rows != tokens)
            throw new ArgumentException($"MatMul shapes: x [{tokens}, {xs.Columns}], {w}, y [{ys.Rows}, {ys.Columns}].");
        var body = new MatMulOp(this, xs, ys, tokens, inDim, outDim, accumulate, swiGlu: false);
        WeightDispatch.Run(nameof(MatMul), ref body, WeightRegion.Of(w, nameof(MatMul)));
    }

    /// <inheritdoc/>
    public void MatMulSwiGlu(DeviceTensor x, DeviceTensor gate, DeviceTensor up, DeviceTensor h)
    {
        var xs = Own(x); var g = Own(gate); var u = Own(up); var hs = Own(h);
        int inDim = g.Columns, outDim = g.Rows;
        if (xs.Columns != inDim || u.Rows != outDim || u.Columns != inDim || hs.Columns != outDim || hs.Rows != xs.Rows)
            throw new ArgumentException($"MatMulSwiGlu shapes: x [{xs.Rows}, {xs.Columns}], {g}, {u}, h [{hs.Rows}, {hs.Columns}].");
        var body = new MatMulOp(this, xs, hs, xs.Rows, inDim, outDim, accumulate: false, swiGlu: true);
        WeightDispatch.Run(nameof(MatMulSwiGlu), ref body, WeightRegion.Of(g, nameof(MatMulSwiGlu)), WeightRegion.Of(u, nameof(MatMulSwiGlu)));
    }

    /// <summary>Few tokens: warp-per-row kernels (weights streamed once). More: 64×64 shared-memory tiles.</summary>
    private readonly struct MatMulOp(IlgpuBackend b, IlgpuTensor x, IlgpuTensor y, int tokens, int inDim, int outDim, bool accumulate, bool swiGlu) : IWeightOp
    {
        public void Run<TW>(TW w, TW up, TW unused) where TW : struct, IWeightView
        {
            var args = new MatMulKernels.MatMulArgs<TW>
            {
                W = w, W2 = up, X = x.F32, X4 = x.F32x4, Y = y.F32,
                Tokens = tokens, In = inDim, Out = outDim, Accumulate = accumulate ? 1 : 0, Vec = inDim % 4 == 0 ? 1 : 0,
            };
            if (tokens <= MatMulKernels.RowTokens)
            {
                var grid = new Index3D(b.RowGrid(outDim), 1, 1);
                if (swiGlu) b.Launch(MatMulKernels.MatVecSwiGlu<TW>, grid, b.RowGroup, args);
                else b.Launch(MatMulKernels.MatVec<TW>, grid, b.RowGroup, args);
            }
            else
            {
                var grid = new Index3D(CeilDiv(outDim, MatMulKernels.TileN), CeilDiv(tokens, MatMulKernels.TileT), 1);
                if (swiGlu) b.Launch(MatMulKernels.MatMulTiledSwiGlu<TW>, grid, MatMulKernels.TileThreads, args);
                else b.Launch(MatMulKernels.MatMulTiled<TW>, grid, MatMulKernels.TileThreads, args);
            }
        }
    }

    /// <inheritdoc/>
    public void Add(DeviceTensor a, DeviceTensor b)
    {
        var x = Own(a); var y = Own(b);
        int n = checked((int)x.ElementCount);
        Require(y.ElementCount >= n, nameof(Add), $"a {x}, b {y}");
        Launch(ElementwiseKernels.Add, ElementwiseGrid(n), ElementwiseGroup, new ElementwiseKernels.BinaryArgs { A = x.F32, B = y.F32, Count = n });
    }

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float scale)
    {
        var t = Own(x);
        int n = checked((int)t.ElementCount);
        Launch(ElementwiseKernels.Scale, ElementwiseGrid(n), ElementwiseGroup, new ElementwiseKernels.BinaryArgs { A = t.F32, B = t.F32, Count = n, Scale = scale });
    }

    /// <inheritdoc/>
    public void ConcatColumns(DeviceTensor a, DeviceTensor b, DeviceTensor output)
    {
        var x = Own(a); var y = Own(b); var o = Own(output);
        if (o.Columns != x.Columns + y.Columns || x.Rows != o.Rows || y.Rows != o.Rows) throw new ArgumentException($"ConcatColumns shapes: {x}, {y}, {o}.");
        Launch(ElementwiseKernels.ConcatColumns, ElementwiseGrid(o.ElementCount), ElementwiseGroup, new ElementwiseKernels.ConcatArgs
        {
            A = x.F32, B = y.F32, Output = o.F32, Rows = o.Rows, ColumnsA = x.Columns, ColumnsB = y.Columns,
        });
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor x, DeviceTensor rows, DeviceTensor output)
    {
        var xs = Own(x); var r = Own(rows); var o = Own(output);
        Require(o.Columns == xs.Columns && r.ElementCount >= o.Rows, nameof(GatherRows), $"x {xs}, rows {r}, output {o}");
        Launch(ElementwiseKernels.GatherRows, ElementwiseGrid((long)o.Rows * o.Columns), ElementwiseGroup, new ElementwiseKernels.GatherArgs
        {
            X = xs.F32, Output = o.F32, Rows = r.I32, Status = _status.View, Count = o.Rows, Columns = o.Columns, SourceRows = xs.Rows,
        });
    }
}
