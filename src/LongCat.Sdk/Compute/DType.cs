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
    /// The SDK's 8-bit weight format: int8 values q (−127..127) row-major, one F16 scale per <see cref="Checkpoints.BlockFormats.BlockSize"/>
    /// values of a row in <see cref="DeviceTensor.BlockScales"/>; w = scale · q. Stored in a checkpoint as an I8 tensor beside its
    /// <c>_scale</c> tensor (docs/QUANTIZATION.md).
    /// </summary>
    Q8,
    /// <summary>
    /// The SDK's 4-bit weight format: per row, per block of 32 columns, 16 bytes whose low nibbles hold columns 0..15 and high
    /// nibbles columns 16..31 (unsigned q, 0..15); one F16 scale per <see cref="DeviceTensor.GroupSize"/> values of a row in
    /// <see cref="DeviceTensor.BlockScales"/> and, optionally, one zero point (0..15, U8) per group in
    /// <see cref="DeviceTensor.Zeros"/> (none: zero 8); w = scale · (q − zero). Published GPTQ/AutoRound int4 weights are repacked
    /// into it at load.
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
        DType.Q8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, $"{t} has no whole-byte element size; use ByteCount."),
    };

    /// <summary>Bytes of <paramref name="elements"/> values (a whole number of rows for the packed formats).</summary>
    public static long ByteCount(this DType t, long elements) => t == DType.Q4 ? (elements + 1) / 2 : elements * t.SizeOf();

    /// <summary>True for the SDK's block-quantized weight formats (<see cref="DType.Q8"/>, <see cref="DType.Q4"/>).</summary>
    public static bool IsBlockQuantized(this DType t) => t is DType.Q8 or DType.Q4;

    /// <summary>The dtype's name in a safetensors header.</summary>
    public static string SafetensorsName(this DType t) => t switch
    {
        DType.F32 => "F32", DType.F16 => "F16", DType.BF16 => "BF16", DType.F8E4M3 => "F8_E4M3",
        DType.F8E5M2 => "F8_E5M2", DType.F64 => "F64", DType.I64 => "I64", DType.I32 => "I32",
        DType.I16 => "I16", DType.I8 => "I8", DType.U8 => "U8", DType.Bool => "BOOL",
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
