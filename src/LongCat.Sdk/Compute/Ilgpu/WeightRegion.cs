using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>
/// Where a weight's elements live on the device: <c>M</c> stacked [Rows, Columns] matrices (M = 1 for a plain weight, the expert
/// count for packed experts) and, for FP8, their [M·ScaleRows, ScaleColumns] block scales; for Q8 and Q4, their F16 scales
/// [M·Rows, Columns/G] and (Q4, <see cref="HasZeros"/>) U8 zero points of the same shape.
/// </summary>
internal readonly record struct WeightRegion(string Name, DType DType, ArrayView<byte> Data, ArrayView<byte> Scales, int Rows, int Columns,
    int ScaleRows, int ScaleColumns)
{
    /// <summary>Q4 zero points (when <see cref="HasZeros"/>; else a placeholder view).</summary>
    public ArrayView<byte> Zeros { get; init; }

    public bool HasZeros { get; init; }

    /// <summary>Values per scale along a row for Q8 and Q4 (a power of two, 32..128); else 0.</summary>
    public int GroupSize { get; init; }

    public static WeightRegion Of(IlgpuTensor t, string op)
    {
        string name = t.Name ?? "weight";
        if (t.DType.IsBlockQuantized())
        {
            var scales = t.BlockScales as IlgpuTensor
                ?? throw new NotSupportedException($"{op}: {t.DType} weight {t} has no scales on this backend.");
            var zeros = t.Zeros as IlgpuTensor;
            return new WeightRegion(name, t.DType, t.Bytes, scales.Bytes, t.Rows, t.Columns, scales.Rows, scales.Columns)
            {
                Zeros = zeros?.Bytes ?? scales.Bytes, HasZeros = zeros is not null, GroupSize = t.GroupSize,
            };
        }
        if (t.DType != DType.F8E4M3) return new WeightRegion(name, t.DType, t.Bytes, t.Bytes, t.Rows, t.Columns, 0, 0);
        var blockScales = t.BlockScales as IlgpuTensor
            ?? throw new NotSupportedException($"{op}: FP8 weight {t} has no block scales (weight_scale_inv) on this backend.");
        return new WeightRegion(name, t.DType, t.Bytes, blockScales.Bytes, t.Rows, t.Columns, blockScales.Rows, blockScales.Columns);
    }

    public F32Weights AsF32() => new() { Data = Data.Cast<float>(), Data4 = Data.Cast<Float4>(), Rows = Rows, Columns = Columns };
    public Bf16Weights AsBf16() => new() { Data = Data.Cast<ushort>(), Data4 = Data.Cast<ulong>(), Rows = Rows, Columns = Columns };
    public F16Weights AsF16() => new() { Data = Data.Cast<ushort>(), Data4 = Data.Cast<ulong>(), Rows = Rows, Columns = Columns };

    public Fp8Weights AsFp8() => new()
    {
        Data = Data, Data4 = Data.Cast<uint>(), Scales = Scales.Cast<float>(), Rows = Rows, Columns = Columns,
        ScaleRows = ScaleRows, ScaleColumns = ScaleColumns,
    };

    public Q8Weights AsQ8() => new()
    {
        Data = Data, Data4 = Data.Cast<uint>(), Scales = Scales.Cast<ushort>(), Rows = Rows, Columns = Columns, ScaleColumns = ScaleColumns,
        GroupShift = GroupShift,
    };

    public Q4Weights AsQ4() => new()
    {
        Data = Data, Data4 = Data.Cast<uint>(), Scales = Scales.Cast<ushort>(), Zeros = Zeros, HasZeros = HasZeros ? 1 : 0, Rows = Rows,
        Columns = Columns, ScaleColumns = ScaleColumns, GroupShift = GroupShift,
    };

    private int GroupShift => System.Numerics.BitOperations.Log2((uint)GroupSize);
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
            case DType.Q8: body.Run(a.AsQ8(), wb.AsQ8(), wc.AsQ8()); break;
            case DType.Q4: body.Run(a.AsQ4(), wb.AsQ4(), wc.AsQ4()); break;
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
        DType.Q8 when typeof(TW) == typeof(Q8Weights) => (TW)(object)r.AsQ8(),
        DType.Q4 when typeof(TW) == typeof(Q4Weights) => (TW)(object)r.AsQ4(),
        _ => throw new NotSupportedException($"{op}: weight '{r.Name}' ({r.DType}) does not match the op's other weights ({typeof(TW).Name})."),
    };

    /// <summary>
    /// Calls <paramref name="op"/> with views of two sets of weights whose formats may differ (a1 and a2 of one format, b1 and b2 of
    /// another): a fused op whose halves read different weights, e.g. a quantized q_b beside kv_b as stored, or Q8 dense MLPs beside
    /// Q4 experts. Each pair of formats is its own kernel.
    /// </summary>
    public static void Run2<TOp>(string op, ref TOp body, WeightRegion a1, WeightRegion a2, WeightRegion b1, WeightRegion b2)
        where TOp : struct, IWeightOp2
    {
        var outer = new Outer<TOp>(op, body, b1, b2);
        Run(op, ref outer, a1, a2);
    }

    private readonly struct Outer<TOp>(string op, TOp body, WeightRegion b1, WeightRegion b2) : IWeightOp where TOp : struct, IWeightOp2
    {
        public void Run<TA>(TA a1, TA a2, TA unused) where TA : struct, IWeightView
        {
            var inner = new Inner<TOp, TA>(body, a1, a2);
            WeightDispatch.Run(op, ref inner, b1, b2);
        }
    }

    private readonly struct Inner<TOp, TA>(TOp body, TA a1, TA a2) : IWeightOp where TOp : struct, IWeightOp2 where TA : struct, IWeightView
    {
        public void Run<TB>(TB b1, TB b2, TB unused) where TB : struct, IWeightView => body.Run(a1, a2, b1, b2);
    }
}

/// <summary>An op body over two sets of weights, each of one format: <see cref="WeightDispatch.Run2{TOp}"/>.</summary>
internal interface IWeightOp2
{
    void Run<TA, TB>(TA a1, TA a2, TB b1, TB b2) where TA : struct, IWeightView where TB : struct, IWeightView;
}
