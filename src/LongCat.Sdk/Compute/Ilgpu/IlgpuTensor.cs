using ILGPU;
using ILGPU.Runtime;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>A tensor in accelerator memory: an owned buffer, or a view of one (a row slice, or a weight packed with others).</summary>
internal sealed class IlgpuTensor : DeviceTensor
{
    private MemoryBuffer1D<byte, Stride1D.Dense>? _owned;

    public IlgpuTensor(IlgpuBackend owner, DType dtype, int[] shape, ArrayView<byte> bytes, MemoryBuffer1D<byte, Stride1D.Dense>? owned, string? name = null)
        : base(dtype, shape, name)
    {
        Owner = owner;
        Bytes = bytes;
        _owned = owned;
    }

    public IlgpuBackend Owner { get; }

    /// <summary>The elements' bytes (at least ElementCount × size; allocations are padded to 16 bytes).</summary>
    public ArrayView<byte> Bytes { get; private set; }

    public ArrayView<T> View<T>() where T : unmanaged => Bytes.Cast<T>();
    public ArrayView<float> F32 => Bytes.Cast<float>();
    public ArrayView<Float4> F32x4 => Bytes.Cast<Float4>();
    public ArrayView<int> I32 => Bytes.Cast<int>();

    /// <summary>Moves the elements' home to <paramref name="bytes"/> (already holding them), freeing the buffer this tensor owned.</summary>
    public void Relocate(ArrayView<byte> bytes)
    {
        _owned?.Dispose();
        _owned = null;
        Bytes = bytes;
    }

    public override DeviceTensor SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) outside [0, {Rows})");
        if (Shape.Length == 0) throw new InvalidOperationException("cannot slice a scalar");
        var shape = (int[])Shape.Clone();
        if (shape.Length == 1)
        {
            if (start != 0 || count != 1) throw new ArgumentOutOfRangeException(nameof(count), "a vector has one row");
            return new IlgpuTensor(Owner, DType, shape, Bytes, null, Name) { BlockScales = BlockScales };
        }
        shape[0] = count;
        long rowBytes = (long)Columns * DType.SizeOf();
        var bytes = count == 0 ? Bytes.SubView(0, 0) : Bytes.SubView(start * rowBytes, count * rowBytes);
        return new IlgpuTensor(Owner, DType, shape, bytes, null, Name);
    }

    public override void Dispose()
    {
        _owned?.Dispose();
        _owned = null;
    }
}
