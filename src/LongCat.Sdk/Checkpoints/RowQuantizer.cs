using System.Runtime.InteropServices;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Quantizes a stored 2-D weight (F32, BF16, F16, or FP8 with its 128×128 block scales) to <see cref="DType.Q8"/> or
/// <see cref="DType.Q4"/> a batch of rows at a time, on all cores: the one path of quantizing at load and of <c>longcat quantize</c>.
/// </summary>
internal sealed unsafe class RowQuantizer
{
    private readonly TensorInfo _info;
    private readonly SafetensorsFile _file;
    private readonly float[]? _fp8Scales;
    private readonly int _fp8ScaleColumns;

    public RowQuantizer(CheckpointIndex index, TensorInfo info, SafetensorsFile file, DType format)
    {
        (_info, _file, Format) = (info, file, format);
        Rows = checked((int)info.Shape[0]);
        Columns = checked((int)info.Shape[1]);
        int bs = WeightFormats.Fp8BlockSize;
        _fp8ScaleColumns = (Columns + bs - 1) / bs;
        if (info.DType == DType.F8E4M3)
        {
            var (si, sf) = index.Get(info.Name + WeightNames.ScaleSuffix, [(Rows + bs - 1) / bs, _fp8ScaleColumns], [DType.F32]);
            _fp8Scales = new float[si.ElementCount];
            WeightFormats.ToFloat32(DType.F32, sf.Pointer(si), _fp8Scales, si.Name, sf.Path);
        }
    }

    public DType Format { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>Bytes of one quantized row's values.</summary>
    public long RowBytes => Format.ByteCount(Columns);

    /// <summary>Scales per row (one per <see cref="BlockFormats.BlockSize"/> values).</summary>
    public int Groups => Columns / BlockFormats.BlockSize;

    /// <summary>Quantizes rows [r0, r0 + n) into <paramref name="values"/> (n × <see cref="RowBytes"/>) and <paramref name="scales"/>
    /// (n × <see cref="Groups"/>).</summary>
    public void Quantize(int r0, int n, byte[] values, Half[] scales)
    {
        byte* src = _file.Pointer(_info);
        long srcRowBytes = (long)_info.DType.SizeOf() * Columns, rowBytes = RowBytes;
        int groups = Groups, bs = WeightFormats.Fp8BlockSize;
        Parallel.For(0, n, () => new float[Columns], (i, _, row) =>
        {
            int r = r0 + i;
            WeightFormats.ToFloat32(_info.DType, src + r * srcRowBytes, row, _info.Name, _file.Path);
            if (_fp8Scales is not null)
                for (int c = 0; c < row.Length; c++) row[c] *= _fp8Scales[r / bs * _fp8ScaleColumns + c / bs];
            var dst = values.AsSpan((int)(i * rowBytes), (int)rowBytes);
            var s = scales.AsSpan(i * groups, groups);
            if (Format == DType.Q8) BlockFormats.QuantizeQ8Row(row, MemoryMarshal.Cast<byte, sbyte>(dst), s);
            else BlockFormats.QuantizeQ4Row(row, dst, s);
            return row;
        }, _ => { });
    }
}
