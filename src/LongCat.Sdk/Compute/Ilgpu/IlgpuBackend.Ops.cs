using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Embedding, norms, matmuls and data movement. Legend: T tokens, K input width, N output rows.
internal sealed partial class IlgpuBackend
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
        Norm(xs, w, eps, o);
    }

    private void Norm(IlgpuTensor x, IlgpuTensor w, float eps, IlgpuTensor o)
    {
        int n = w.Columns;
        int group = Math.Clamp((Math.Max(1, n / 4) + _accelerator.WarpSize - 1) / _accelerator.WarpSize * _accelerator.WarpSize, _accelerator.WarpSize, RowGroup);
        Launch(NormKernels.RmsNorm, new Index3D(x.Rows, 1, 1), group, new NormKernels.RmsNormArgs
        {
            X = x.F32, X4 = x.F32x4, Output = o.F32, Output4 = o.F32x4,
            Weight = Vector(w, nameof(RmsNorm)), Columns = n, Vec = n % 4 == 0 ? 1 : 0, Eps = eps,
        });
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor y, bool accumulate = false)
    {
        var xs = Own(x); var w = Own(weight); var ys = Own(y);
        int tokens = xs.Rows, inDim = w.Columns, outDim = w.Rows;
        if (xs.Columns != inDim || ys.Columns != outDim || ys.Rows != tokens)
            throw new ArgumentException($"MatMul shapes: x [{tokens}, {xs.Columns}], {w}, y [{ys.Rows}, {ys.Columns}].");
        var body = new MatMulOp(this, xs, null, ys, null, accumulate, swiGlu: false);
        WeightDispatch.Run(nameof(MatMul), ref body, WeightRegion.Of(w, nameof(MatMul)));
    }

    /// <inheritdoc/>
    public void MatMulPair(RmsNormed x, DeviceTensor weight1, DeviceTensor y1, DeviceTensor weight2, DeviceTensor y2)
    {
        var xs = Own(x.X); var w1 = Own(weight1); var w2 = Own(weight2); var o1 = Own(y1); var o2 = Own(y2);
        int tokens = xs.Rows, inDim = w1.Columns;
        if (xs.Columns != inDim || w2.Columns != inDim || o1.Rows != tokens || o2.Rows != tokens || o1.Columns != w1.Rows || o2.Columns != w2.Rows)
            throw new ArgumentException($"MatMulPair shapes: x [{tokens}, {xs.Columns}], {w1}, {w2}, y1 [{o1.Rows}, {o1.Columns}], y2 [{o2.Rows}, {o2.Columns}].");
        var body = new MatMulOp(this, xs, NormOf(x, inDim, nameof(MatMulPair)), o1, o2, accumulate: false, swiGlu: false);
        WeightDispatch.Run(nameof(MatMulPair), ref body, WeightRegion.Of(w1, nameof(MatMulPair)), WeightRegion.Of(w2, nameof(MatMulPair)));
    }

    /// <inheritdoc/>
    public void MatMulSwiGlu(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor h)
    {
        var xs = Own(x.X); var g = Own(gate); var u = Own(up); var hs = Own(h);
        int inDim = g.Columns, outDim = g.Rows;
        if (xs.Columns != inDim || u.Rows != outDim || u.Columns != inDim || hs.Columns != outDim || hs.Rows != xs.Rows)
            throw new ArgumentException($"MatMulSwiGlu shapes: x [{xs.Rows}, {xs.Columns}], {g}, {u}, h [{hs.Rows}, {hs.Columns}].");
        var body = new MatMulOp(this, xs, NormOf(x, inDim, nameof(MatMulSwiGlu)), hs, null, accumulate: false, swiGlu: true);
        WeightDispatch.Run(nameof(MatMulSwiGlu), ref body, WeightRegion.Of(g, nameof(MatMulSwiGlu)), WeightRegion.Of(u, nameof(MatMulSwiGlu)));
    }

    /// <summary>The norm weight of a normed input, checked against its width.</summary>
    private (FloatVector Weight, float Eps) NormOf(RmsNormed x, int columns, string op)
    {
        var w = Own(x.Weight);
        Require(w.Columns == columns, op, $"norm weight {w} for rows of {columns}");
        return (Vector(w, op), x.Eps);
    }

    /// <summary>
    /// Few tokens: warp-per-row kernels (weights streamed once). More: 64×64 shared-memory tiles. Either reads x through the norm
    /// when one is given, and serves the pair's second weight (y2) in the same launch.
    /// </summary>
    private readonly struct MatMulOp(IlgpuBackend b, IlgpuTensor x, (FloatVector Weight, float Eps)? norm, IlgpuTensor y, IlgpuTensor? y2,
        bool accumulate, bool swiGlu) : IWeightOp
    {
        public void Run<TW>(TW w, TW second, TW unused) where TW : struct, IWeightView
        {
            int tokens = x.Rows, inDim = x.Columns, outDim = y.Columns, out2 = y2?.Columns ?? 0;
            if (tokens == 0) return;                               // the row kernels read x row 0 for their spare lanes
            var args = new MatMulKernels.MatMulArgs<TW>
            {
                W = w, W2 = second, X = x.F32, X4 = x.F32x4, Y = y.F32, Y2 = (y2 ?? y).F32,
                Norm = norm?.Weight ?? default, HasNorm = norm is null ? 0 : 1, Eps = norm?.Eps ?? 0f,
                Tokens = tokens, In = inDim, Out = outDim, Out2 = out2, Accumulate = accumulate ? 1 : 0, Vec = inDim % 4 == 0 ? 1 : 0,
            };
            if (tokens <= MatMulKernels.RowTokens)
            {
                var grid = new Index3D(b.RowGrid(outDim + out2), 1, 1);
                if (swiGlu) b.Launch(MatMulKernels.MatVecSwiGlu<TW>, grid, b.RowGroup, args);
                else b.Launch(MatMulKernels.MatVec<TW>, grid, b.RowGroup, args);
            }
            else
            {
                int tiles = CeilDiv(outDim, MatMulKernels.TileN) + CeilDiv(out2, MatMulKernels.TileN);
                var grid = new Index3D(tiles, CeilDiv(tokens, MatMulKernels.TileT), 1);
                if (swiGlu) b.Launch(MatMulKernels.MatMulTiledSwiGlu<TW>, grid, MatMulKernels.TileThreads, args);
                else b.Launch(MatMulKernels.MatMulTiled<TW>, grid, MatMulKernels.TileThreads, args);
            }
        }
    }

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float scale)
    {
        var t = Own(x);
        int n = checked((int)t.ElementCount);
        Launch(ElementwiseKernels.Scale, ElementwiseGrid(n), ElementwiseGroup, new ElementwiseKernels.ScaleArgs { A = t.F32, Count = n, Scale = scale });
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
