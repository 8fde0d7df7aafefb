using System.Runtime.InteropServices;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>A tensor in host memory: owned (aligned native allocation), borrowed (a view, a mapped or arena weight).</summary>
internal sealed unsafe class CpuTensor : DeviceTensor
{
    private void* _owned;

    public CpuTensor(DType dtype, int[] shape, byte* data, bool owned, string? name = null) : base(dtype, shape, name)
    {
        Data = data;
        if (owned) _owned = data;
    }

    /// <summary>First byte of the elements.</summary>
    public byte* Data { get; }

    public float* F32 => (float*)Data;
    public int* I32 => (int*)Data;

    /// <summary>Pointer to row <paramref name="row"/> of a 2-D F32 tensor.</summary>
    public float* RowF32(int row) => (float*)Data + (long)row * Columns;

    public static CpuTensor Allocate(DType dtype, int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        nuint bytes = (nuint)Math.Max(64, n * dtype.SizeOf());
        var p = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(p, bytes);
        return new CpuTensor(dtype, shape, p, owned: true);
    }

    public override DeviceTensor SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{start}, {start + count}) outside [0, {Rows})");
        var shape = (int[])Shape.Clone();
        if (shape.Length == 0) throw new InvalidOperationException("cannot slice a scalar");
        if (shape.Length == 1)
        {
            if (start != 0 || count != 1) throw new ArgumentOutOfRangeException(nameof(count), "a vector has one row");
            return new CpuTensor(DType, shape, Data, owned: false, Name);
        }
        shape[0] = count;
        return new CpuTensor(DType, shape, Data + (long)start * Columns * DType.SizeOf(), owned: false, Name);
    }

    public override void Dispose()
    {
        if (_owned == null) return;
        NativeMemory.AlignedFree(_owned);
        _owned = null;
    }
}
