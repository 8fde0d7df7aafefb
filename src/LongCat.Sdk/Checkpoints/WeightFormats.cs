using System.Runtime.CompilerServices;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>Scalar conversions of stored weight formats to float32: the reference twins of the SIMD paths.</summary>
internal static unsafe class WeightFormats
{
    /// <summary>Side of the square FP8 scale block (DeepSeek-V3 style <c>weight_scale_inv</c>).</summary>
    public const int Fp8BlockSize = 128;

    private static readonly float[] Fp8E4M3Table = BuildFp8Table();

    /// <summary>The float32 value of a bfloat16 bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds a float32 to the nearest bfloat16 (ties to even; NaN stays NaN).</summary>
    public static ushort FloatToBf16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    /// <summary>The float32 value of an FP8 E4M3 (float8_e4m3fn) byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fp8E4M3ToFloat(byte bits) => Fp8E4M3Table[bits];

    /// <summary>Rounds a float32 to the nearest FP8 E4M3 value (saturating at ±448).</summary>
    public static byte FloatToFp8E4M3(float value)
    {
        // Clamp first: far outside the range |v − value| rounds to the same float for every code and the search would pick 0.
        value = Math.Clamp(value, -448f, 448f);
        byte best = 0;
        float bestErr = float.PositiveInfinity;
        for (int b = 0; b < 256; b++)
        {
            float v = Fp8E4M3Table[b];
            if (float.IsNaN(v)) continue;
            float err = MathF.Abs(v - value);
            if (err < bestErr) { bestErr = err; best = (byte)b; }
        }
        return best;
    }

    private static float[] BuildFp8Table()
    {
        var t = new float[256];
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7, exp = (b >> 3) & 0xF, man = b & 7;
            float v = exp == 0 ? man / 8f * MathF.Pow(2, -6)
                : exp == 15 && man == 7 ? float.NaN
                : (1 + man / 8f) * MathF.Pow(2, exp - 7);
            t[b] = sign == 1 ? -v : v;
        }
        return t;
    }

    /// <summary>Converts a whole F32/BF16/F16 tensor to float32 (used for small tensors and tests, never on hot paths).</summary>
    public static void ToFloat32(DType type, byte* src, Span<float> dst, string tensor, string file)
    {
        switch (type)
        {
            case DType.F32: new ReadOnlySpan<float>(src, dst.Length).CopyTo(dst); break;
            case DType.BF16:
                for (int i = 0; i < dst.Length; i++) dst[i] = Bf16ToFloat(((ushort*)src)[i]);
                break;
            case DType.F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)((Half*)src)[i];
                break;
            case DType.F8E4M3:
                for (int i = 0; i < dst.Length; i++) dst[i] = Fp8E4M3ToFloat(src[i]);
                break;
            default:
                throw new InvalidCheckpointException(file, $"tensor '{tensor}': dtype {type.SafetensorsName()} cannot be read as floating point");
        }
    }
}
