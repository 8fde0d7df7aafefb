using System.Runtime.CompilerServices;
using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>
/// A weight as kernels see it: <c>M</c> stacked matrices [Rows, Columns] in their stored format, widened to F32 element by element
/// in registers (BF16 by a shift, F16 by a half-to-float conversion, FP8-E4M3 by rebuilding the binary32 bits and applying its
/// 128×128 block scale, Q8 and Q4 by scaling their integers with the group's F16 scale). Kernels are generic over the implementing
/// struct, so each weight format compiles to its own kernel.
/// </summary>
internal interface IWeightView
{
    /// <summary>Element (m, r, c) as F32.</summary>
    float Load(int m, int r, int c);

    /// <summary>Elements (m, r, c..c+3) in one vector load; requires c % 4 == 0 and Columns % 4 == 0.</summary>
    Float4 Load4(int m, int r, int c);
}

/// <summary>F32 weights; four values per 16-byte load.</summary>
internal struct F32Weights : IWeightView
{
    public ArrayView<float> Data;
    public ArrayView<Float4> Data4;
    public int Rows, Columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c) => Data[((long)m * Rows + r) * Columns + c];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c) => Data4[(((long)m * Rows + r) * Columns + c) >> 2];
}

/// <summary>BF16 weights kept as raw 16-bit values; four per 8-byte load, widened with a shift and a mask.</summary>
internal struct Bf16Weights : IWeightView
{
    public ArrayView<ushort> Data;
    public ArrayView<ulong> Data4;
    public int Rows, Columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c) => DeviceMath.Bf16(Data[((long)m * Rows + r) * Columns + c]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c)
    {
        ulong v = Data4[(((long)m * Rows + r) * Columns + c) >> 2];
        uint lo = (uint)v, hi = (uint)(v >> 32);
        // Little-endian: the element at the lower address sits in the low half of each 32-bit word.
        return new Float4(Interop.IntAsFloat(lo << 16), Interop.IntAsFloat(lo & 0xFFFF0000u),
            Interop.IntAsFloat(hi << 16), Interop.IntAsFloat(hi & 0xFFFF0000u));
    }
}

/// <summary>IEEE binary16 weights; four per 8-byte load.</summary>
internal struct F16Weights : IWeightView
{
    public ArrayView<ushort> Data;
    public ArrayView<ulong> Data4;
    public int Rows, Columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c) => DeviceMath.F16(Data[((long)m * Rows + r) * Columns + c]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c)
    {
        ulong v = Data4[(((long)m * Rows + r) * Columns + c) >> 2];
        uint lo = (uint)v, hi = (uint)(v >> 32);
        return new Float4(DeviceMath.F16(lo & 0xFFFFu), DeviceMath.F16(lo >> 16), DeviceMath.F16(hi & 0xFFFFu), DeviceMath.F16(hi >> 16));
    }
}

/// <summary>FP8-E4M3 weights with one F32 scale per 128×128 block (<c>weight_scale_inv</c>); four per 4-byte load.</summary>
internal struct Fp8Weights : IWeightView
{
    public const int Block = 128;
    public ArrayView<byte> Data;
    public ArrayView<uint> Data4;
    public ArrayView<float> Scales;
    public int Rows, Columns, ScaleRows, ScaleColumns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly float Scale(int m, int r, int c) => Scales[((long)m * ScaleRows + r / Block) * ScaleColumns + c / Block];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c) => DeviceMath.Fp8E4M3(Data[((long)m * Rows + r) * Columns + c]) * Scale(m, r, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c)
    {
        uint v = Data4[(((long)m * Rows + r) * Columns + c) >> 2];
        float s = Scale(m, r, c);    // a 4-aligned run never crosses a 128-column block
        return new Float4(DeviceMath.Fp8E4M3(v & 0xFFu) * s, DeviceMath.Fp8E4M3((v >> 8) & 0xFFu) * s,
            DeviceMath.Fp8E4M3((v >> 16) & 0xFFu) * s, DeviceMath.Fp8E4M3(v >> 24) * s);
    }
}

/// <summary>
/// <see cref="DType.Q8"/> weights: int8 values, one F16 scale per group of 2^<c>GroupShift</c> (32) values of a row, stacked like the
/// values ([M·Rows, Columns/G]); w = scale·q. Four values per 4-byte load, sign-extended by shifts; a 4-aligned run never crosses a group.
/// </summary>
internal struct Q8Weights : IWeightView
{
    public ArrayView<byte> Data;
    public ArrayView<uint> Data4;
    public ArrayView<ushort> Scales;
    public int Rows, Columns, ScaleColumns, GroupShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly float Scale(long row, int c) => DeviceMath.F16(Scales[row * ScaleColumns + (c >> GroupShift)]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c)
    {
        long row = (long)m * Rows + r;
        return (sbyte)Data[row * Columns + c] * Scale(row, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c)
    {
        long row = (long)m * Rows + r;
        int v = (int)Data4[(row * Columns + c) >> 2];
        float s = Scale(row, c);
        // Little-endian: the lower address is the low byte; arithmetic shifts sign-extend each byte.
        return new Float4((v << 24 >> 24) * s, (v << 16 >> 24) * s, (v << 8 >> 24) * s, (v >> 24) * s);
    }
}

/// <summary>
/// <see cref="DType.Q4"/> weights: per row, per block of 32 columns, 16 bytes (byte j: column j in its low nibble, column 16 + j in
/// its high nibble; unsigned q); one F16 scale and, when <c>HasZeros</c>, one U8 zero point per group of 2^<c>GroupShift</c> values
/// (32..128), else zero 8; w = scale·(q − zero). Four values per 4-byte load (four bytes' low or high nibbles).
/// </summary>
internal struct Q4Weights : IWeightView
{
    public ArrayView<byte> Data, Zeros;
    public ArrayView<uint> Data4;
    public ArrayView<ushort> Scales;
    public int Rows, Columns, ScaleColumns, GroupShift, HasZeros;

    /// <summary>Byte offset of column c's byte in row <paramref name="row"/> (rows are Columns/2 bytes, a multiple of 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly long ByteOf(long row, int c) => row * (Columns >> 1) + ((c >> 5) << 4) + (c & 15);

    /// <summary>(scale, scale·zero) of column c's group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly float Scale(long row, int c, out float offset)
    {
        long g = row * ScaleColumns + (c >> GroupShift);
        float s = DeviceMath.F16(Scales[g]);
        offset = s * (HasZeros != 0 ? Zeros[g] : 8);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(int m, int r, int c)
    {
        long row = (long)m * Rows + r;
        uint b = Data[ByteOf(row, c)];
        float s = Scale(row, c, out float offset);
        return ((c & 16) != 0 ? b >> 4 : b & 0xFu) * s - offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(int m, int r, int c)
    {
        long row = (long)m * Rows + r;
        // c % 4 == 0: columns c..c+3 are the low (c % 32 < 16) or high nibbles of four consecutive bytes.
        uint v = Data4[ByteOf(row, c) >> 2] >> ((c & 16) >> 2);
        float s = Scale(row, c, out float offset);
        return new Float4((v & 0xFu) * s - offset, ((v >> 8) & 0xFu) * s - offset, ((v >> 16) & 0xFu) * s - offset,
            ((v >> 24) & 0xFu) * s - offset);
    }
}

/// <summary>
/// A small F32, BF16 or F16 vector or table (norm weights, router bias, embedding tables) read element by element; the format is a
/// uniform run-time branch, so these ops need one kernel, not one per format.
/// </summary>
internal struct FloatVector
{
    public const int KindF32 = 0, KindBf16 = 1, KindF16 = 2;
    public ArrayView<float> F32;
    public ArrayView<ushort> U16;
    public int Kind;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Load(long i) => Kind == KindF32 ? F32[i] : Kind == KindBf16 ? DeviceMath.Bf16(U16[i]) : DeviceMath.F16(U16[i]);

    /// <summary>Elements i..i+3 (read from L1: these vectors are small and every warp reads them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Float4 Load4(long i) => new(Load(i), Load(i + 1), Load(i + 2), Load(i + 3));
}
