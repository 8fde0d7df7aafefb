namespace LongCat.Sdk.Compute;

/// <summary>
/// A handle to a tensor that lives in a backend's memory (host memory for the CPU backend, device memory for GPUs).
/// Model code never touches the elements; it passes handles to <see cref="IComputeBackend"/> ops.
/// </summary>
/// <remarks>
/// Row-major. Ops treat a tensor as 2-D: <see cref="Rows"/> = first dimension, <see cref="Columns"/> = product of the rest.
/// <see cref="SliceRows"/> gives a view that shares storage, so scratch buffers sized for the largest batch serve smaller ones.
/// </remarks>
internal abstract class DeviceTensor : IDisposable
{
    /// <summary>Creates the handle.</summary>
    protected DeviceTensor(DType dtype, int[] shape, string? name)
    {
        DType = dtype;
        Shape = shape;
        Name = name;
        long n = 1;
        foreach (var d in shape) n *= d;
        ElementCount = n;
        Rows = shape.Length <= 1 ? 1 : shape[0];
        long columns = 1;
        for (int i = 1; i < shape.Length; i++) columns *= shape[i];
        Columns = shape.Length == 0 ? 1 : shape.Length == 1 ? shape[0] : (int)columns;     // fields: read per row in the kernels' loops
    }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Checkpoint name for weights (used in messages), null for activations.</summary>
    public string? Name { get; }

    /// <summary>Total number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>First dimension (1 for a vector).</summary>
    public int Rows { get; }

    /// <summary>Product of all but the first dimension (the length, for a vector).</summary>
    public int Columns { get; }

    /// <summary>
    /// For FP8 weights: the F32 <c>weight_scale_inv</c> tensor, one value per 128×128 block. For <see cref="DType.Q8"/> and
    /// <see cref="DType.Q4"/> weights: the F16 scales [Rows, Columns / <see cref="GroupSize"/>]. Else null.
    /// </summary>
    public DeviceTensor? BlockScales { get; init; }

    /// <summary>For <see cref="DType.Q4"/> weights with zero points: U8 [Rows, Columns / <see cref="GroupSize"/>], each 0..15; else null
    /// (a symmetric format: zero 8).</summary>
    public DeviceTensor? Zeros { get; init; }

    /// <summary>For block-quantized weights: values per scale along a row (a multiple of 32); else 0.</summary>
    public int GroupSize { get; init; }

    /// <summary>Bytes of the elements (packed formats included; scales and zeros not).</summary>
    public long ByteLength => DType.ByteCount(ElementCount);

    /// <summary>Bytes a product with this weight reads: its elements, its block scales and zero points, if any.</summary>
    public long WeightBytes => ByteLength + (BlockScales?.WeightBytes ?? 0) + (Zeros?.ByteLength ?? 0);

    /// <summary>A view of rows [<paramref name="start"/>, <paramref name="start"/>+<paramref name="count"/>) sharing this tensor's storage.</summary>
    public abstract DeviceTensor SliceRows(int start, int count);

    /// <summary>Frees the storage this handle owns (views and mapped weights own none).</summary>
    public abstract void Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{Name ?? "tensor"} {DType} [{string.Join(", ", Shape)}]";
}
