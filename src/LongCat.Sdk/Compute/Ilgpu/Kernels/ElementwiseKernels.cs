using ILGPU;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>Element-wise and data-movement kernels: grid-stride loops, one element per thread per step, coalesced.</summary>
internal static class ElementwiseKernels
{
    internal struct ScaleArgs
    {
        public ArrayView<float> A;
        public int Count;
        public float Scale;
    }

    /// <summary>a[i] *= scale.</summary>
    public static void Scale(ScaleArgs a)
    {
        for (int i = Grid.GlobalIndex.X; i < a.Count; i += Grid.DimX * Group.DimX) a.A[i] *= a.Scale;
    }

    internal struct ConcatArgs
    {
        public ArrayView<float> A, B, Output;
        public int Rows, ColumnsA, ColumnsB;
    }

    /// <summary>output[t] = [a[t] ‖ b[t]].</summary>
    public static void ConcatColumns(ConcatArgs a)
    {
        int width = a.ColumnsA + a.ColumnsB, n = a.Rows * width;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            int t = i / width, c = i - t * width;
            a.Output[i] = c < a.ColumnsA ? a.A[t * a.ColumnsA + c] : a.B[t * a.ColumnsB + c - a.ColumnsA];
        }
    }

    internal struct GatherArgs
    {
        public ArrayView<float> X, Output;
        public ArrayView<int> Rows, Status;
        public int Count, Columns, SourceRows;
    }

    /// <summary>output[i] = x[rows[i]].</summary>
    public static void GatherRows(GatherArgs a)
    {
        int n = a.Count * a.Columns;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            int r = i / a.Columns, c = i - r * a.Columns;
            int src = a.Rows[r];
            if ((uint)src >= (uint)a.SourceRows)
            {
                DeviceStatus.Report(a.Status, DeviceStatus.GatherRow, src);
                continue;
            }
            a.Output[i] = a.X[(long)src * a.Columns + c];
        }
    }

    internal struct EmbeddingArgs
    {
        public FloatVector Table;
        public ArrayView<int> Ids, Status;
        public ArrayView<float> Output;
        public int Tokens, Columns, TableRows, IdColumns, IdColumn;
    }

    /// <summary>output[t, :] = table[ids[t, column], :] widened to F32.</summary>
    public static void Embedding(EmbeddingArgs a)
    {
        int n = a.Tokens * a.Columns;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            int t = i / a.Columns, c = i - t * a.Columns;
            int id = a.Ids[t * a.IdColumns + a.IdColumn];
            if ((uint)id >= (uint)a.TableRows)
            {
                DeviceStatus.Report(a.Status, DeviceStatus.TokenId, id);
                a.Output[i] = 0;
                continue;
            }
            a.Output[i] = a.Table.Load((long)id * a.Columns + c);
        }
    }
}
