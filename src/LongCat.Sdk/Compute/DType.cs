namespace LongCat.Sdk.Compute;

/// <summary>Element types of tensors, as stored in safetensors files and in device memory.</summary>
internal enum DType
{
    /// <summary>IEEE binary32.</summary>
    F32,
    /// <summary>IEEE binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,
    /// <summary>FP8 E4M3 (float8_e4m3fn: no infinities, one NaN code), dequantized with 128x128 block scales.</summary>
    F8E4M3,
    /// <summary>FP8 E5M2; readable in headers, not computed with.</summary>
    F8E5M2,
    /// <summary>IEEE binary64.</summary>
    F64,
    /// <summary>64-bit signed integer.</summary>
    I64,
    /// <summary>32-bit signed integer.</summary>
    I32,
    /// <summary>16-bit signed integer.</summary>
    I16,
    /// <summary>8-bit signed integer.</summary>
    I8,
    /// <summary>8-bit unsigned integer.</summary>
    U8,
    /// <summary>Boolean, one byte.</summary>
    Bool,
    /// <summary>
    /// 4-bit weights [out, in], in % 32 == 0 (an internal format, never in a safetensors header). Values plane [out, in/2] bytes:
    /// per row, per block b of 32 columns, 16 bytes; byte j holds column 32b+j in its low nibble and 32b+16+j in its high
    /// nibble, unsigned 0..15. w[r, c] = scale[r, c/G]·(q[r, c] − zero[r, c/G]) with the F16 scales [out, in/G] in
    /// <see cref="DeviceTensor.BlockScales"/>, the U8 zeros in <see cref="DeviceTensor.Zeros"/> (null: 8) and G in
    /// <see cref="DeviceTensor.GroupSize"/>.
    /// </summary>
    Q4,
}

/// <summary>Sizes and safetensors spellings of <see cref="DType"/>.</summary>
internal static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.F8E4M3 or DType.F8E5M2 or DType.I8 or DType.U8 or DType.Bool => 1,
        DType.F64 or DType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>The dtype's name in a safetensors header.</summary>
    public static string SafetensorsName(this DType t) => t switch
    {
        DType.F32 => "F32", DType.F16 => "F16", DType.BF16 => "BF16", DType.F8E4M3 => "F8_E4M3",
        DType.F8E5M2 => "F8_E5M2", DType.F64 => "F64", DType.I64 => "I64", DType.I32 => "I32",
        DType.I16 => "I16", DType.I8 => "I8", DType.U8 => "U8", DType.Bool => "BOOL",
        DType.Q4 => "Q4",    // messages only: TryParseSafetensors does not accept it
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>Parses a safetensors dtype name; false when unknown.</summary>
    public static bool TryParseSafetensors(string? name, out DType type)
    {
        switch (name)
        {
            case "F32": type = DType.F32; return true;
            case "F16": type = DType.F16; return true;
            case "BF16": type = DType.BF16; return true;
            case "F8_E4M3": type = DType.F8E4M3; return true;
            case "F8_E5M2": type = DType.F8E5M2; return true;
            case "F64": type = DType.F64; return true;
            case "I64": type = DType.I64; return true;
            case "I32": type = DType.I32; return true;
            case "I16": type = DType.I16; return true;
            case "I8": type = DType.I8; return true;
            case "U8": type = DType.U8; return true;
            case "BOOL": type = DType.Bool; return true;
            default: type = default; return false;
        }
    }
}
