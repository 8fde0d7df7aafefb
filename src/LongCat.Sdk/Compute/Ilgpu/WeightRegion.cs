using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>
/// Where a weight's elements live on the device: <c>M</c> stacked [Rows, Columns] matrices (M = 1 for a plain weight, the expert
/// count for packed experts) and, for FP8, their [M·ScaleRows, ScaleColumns] block scales.
/// </summary>
internal readonly record struct WeightRegion(string Name, DType DType, ArrayView<byte> Data, ArrayView<byte> Scales, int Rows, int Columns,
    int ScaleRows, int ScaleColumns)
{
    public static WeightRegion Of(IlgpuTensor t, string op)
    {
        if (t.DType != DType.F8E4M3) return new WeightRegion(t.Name ?? "weight", t.DType, t.Bytes, t.Bytes, t.Rows, t.Columns, 0, 0);
        var scales = t.BlockScales as IlgpuTensor
            ?? throw new NotSupportedException($"{op}: FP8 weight {t} has no block scales (weight_scale_inv) on this backend.");
        return new WeightRegion(t.Name ?? "weight", t.DType, t.Bytes, scales.Bytes, t.Rows, t.Columns, scales.Rows, scales.Columns);
    }

    public F32Weights AsF32() => new() { Data = Data.Cast<float>(), Data4 = Data.Cast<Float4>(), Rows = Rows, Columns = Columns };
    public Bf16Weights AsBf16() => new() { Data = Data.Cast<ushort>(), Data4 = Data.Cast<ulong>(), Rows = Rows, Columns = Columns };
    public F16Weights AsF16() => new() { Data = Data.Cast<ushort>(), Data4 = Data.Cast<ulong>(), Rows = Rows, Columns = Columns };

    public Fp8Weights AsFp8() => new()
    {
        Data = Data, Data4 = Data.Cast<uint>(), Scales = Scales.Cast<float>(), Rows = Rows, Columns = Columns,
        ScaleRows = ScaleRows, ScaleColumns = ScaleColumns,
    };
}

/// <summary>An op body generic over the weight format: <see cref="WeightDispatch.Run{TOp}"/> picks the format once per call.</summary>
internal interface IWeightOp
{
    void Run<TW>(TW a, TW b, TW c) where TW : struct, IWeightView;
}

internal static class WeightDispatch
{
    /// <summary>Calls <paramref name="op"/> with views of up to three weights of one format (b and c default to a).</summary>
    public static void Run<TOp>(string op, ref TOp body, WeightRegion a, WeightRegion? b = null, WeightRegion? c = null) where TOp : struct, IWeightOp
    {
        var wb = b ?? a;
        var wc = c ?? a;
        if (wb.DType != a.DType || wc.DType != a.DType)
            throw new NotSupportedException($"{op}: weights '{a.Name}', '{wb.Name}', '{wc.Name}' mix formats {a.DType}, {wb.DType}, {wc.DType}.");
        switch (a.DType)
        {
            case DType.F32: body.Run(a.AsF32(), wb.AsF32(), wc.AsF32()); break;
            case DType.BF16: body.Run(a.AsBf16(), wb.AsBf16(), wc.AsBf16()); break;
            case DType.F16: body.Run(a.AsF16(), wb.AsF16(), wc.AsF16()); break;
            case DType.F8E4M3: body.Run(a.AsFp8(), wb.AsFp8(), wc.AsFp8()); break;
            default: throw new NotSupportedException($"{op}: weight '{a.Name}' has dtype {a.DType}, which the GPU kernels cannot compute with.");
        }
    }

    /// <summary>
    /// <paramref name="r"/> as the view <typeparamref name="TW"/> of an op already dispatched on another weight's format (a fused op's
    /// second set of weights); the caller has checked that the formats match.
    /// </summary>
    public static TW View<TW>(string op, WeightRegion r) where TW : struct, IWeightView => r.DType switch
    {
        DType.F32 when typeof(TW) == typeof(F32Weights) => (TW)(object)r.AsF32(),
        DType.BF16 when typeof(TW) == typeof(Bf16Weights) => (TW)(object)r.AsBf16(),
        DType.F16 when typeof(TW) == typeof(F16Weights) => (TW)(object)r.AsF16(),
        DType.F8E4M3 when typeof(TW) == typeof(Fp8Weights) => (TW)(object)r.AsFp8(),
        _ => throw new NotSupportedException($"{op}: weight '{r.Name}' ({r.DType}) does not match the op's other weights ({typeof(TW).Name})."),
    };
}
