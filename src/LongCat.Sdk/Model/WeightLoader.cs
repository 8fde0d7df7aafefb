using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>Loads named checkpoint tensors into backend handles, checking shape and dtype with errors that name the tensor.</summary>
internal sealed class WeightLoader(CheckpointIndex checkpoint, IComputeBackend backend,
    Action<long, string>? progress = null, CancellationToken cancellation = default, WeightQuantization quantization = WeightQuantization.None,
    GptqConfig? gptq = null)
{
    /// <summary>Rows quantized per parallel batch: bounds the host buffers (a batch of lm_head rows is a few MB).</summary>
    private const int QuantizeBatchRows = 256;

    private static readonly DType[] Floats = [DType.F32, DType.BF16, DType.F16];
    private static readonly DType[] LinearFormats = [DType.F32, DType.BF16, DType.F16, DType.F8E4M3];

    /// <summary>Suffix of the F16 scale tensor beside a weight stored in one of the SDK's block formats (I8 or U8 values).</summary>
    public const string BlockScaleSuffix = "_scale";

    public CheckpointIndex Checkpoint => checkpoint;

    /// <summary>Bytes of stored weights read so far (the load's progress).</summary>
    public long LoadedBytes { get; private set; }

    /// <summary>Bytes the loaded weights take in the backend (quantized weights at their quantized size).</summary>
    public long ResidentBytes { get; private set; }

    /// <summary>A norm or bias vector [n].</summary>
    public DeviceTensor Vector(string name, int n) => Load(name, [n], Floats);

    /// <summary>
    /// A linear layer's weight [outDim, inDim]; FP8 weights bring their 128×128 block scales. Under a quantization preset that
    /// covers it (<see cref="QuantizationPlan"/>), the weight is quantized from its stored format as it loads, and only the
    /// quantized copy is kept.
    /// </summary>
    public DeviceTensor Linear(string name, int outDim, int inDim)
    {
        if (GptqLinear.IsPacked(checkpoint, name)) return Packed(name, outDim, inDim);
        if (checkpoint.Contains(name) && checkpoint.Get(name).Info.DType is DType.I8 or DType.U8) return Prequantized(name, outDim, inDim);
        var (info, file) = checkpoint.Get(name, [outDim, inDim], LinearFormats);
        if (QuantizationPlan.FormatFor(quantization, name, inDim) is { } format) return Quantize(info, file, format, outDim, inDim);
        DeviceTensor? scales = null;
        if (info.DType == DType.F8E4M3)
        {
            int bs = WeightFormats.Fp8BlockSize;
            scales = Load(name + WeightNames.ScaleSuffix, [(outDim + bs - 1) / bs, (inDim + bs - 1) / bs], [DType.F32]);
        }
        return Load(name, [outDim, inDim], LinearFormats, scales);
    }

    /// <summary>
    /// Rows <paramref name="rows"/> of a weight [outDim, inDim] (F32, BF16 or F16), in that order, as a new [rows, inDim] tensor
    /// of the same format: a product with it gives exactly those outputs of the whole weight's product.
    /// </summary>
    public unsafe DeviceTensor Rows(string name, int outDim, int inDim, int[] rows)
    {
        cancellation.ThrowIfCancellationRequested();
        var (info, file) = checkpoint.Get(name, [outDim, inDim], Floats);
        long rowBytes = (long)inDim * info.DType.SizeOf();
        var bytes = new byte[rows.Length * rowBytes];
        byte* src = file.Pointer(info);
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)outDim) throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"row of '{name}' outside [0, {outDim})");
            new ReadOnlySpan<byte>(src + rows[i] * rowBytes, (int)rowBytes).CopyTo(bytes.AsSpan((int)(i * rowBytes)));
        }
        var tensor = backend.Allocate(info.DType, rows.Length, inDim);
        backend.Upload<byte>(tensor, bytes);
        return tensor;
    }

    /// <summary>
    /// A weight a checkpoint stores in one of the SDK's block formats (written by <c>longcat quantize</c>): I8 [out, in] values are
    /// <see cref="DType.Q8"/>, U8 [out, in/2] are <see cref="DType.Q4"/>, each beside an F16 <c>_scale</c> tensor [out, in/32];
    /// loaded as stored (mapped or copied), never re-quantized. A wrong shape or a missing scale tensor names the tensor.
    /// </summary>
    private DeviceTensor Prequantized(string name, int outDim, int inDim)
    {
        var (stored, _) = checkpoint.Get(name);
        var format = stored.DType == DType.I8 ? DType.Q8 : DType.Q4;
        if (inDim % BlockFormats.BlockSize != 0)
            throw new InvalidCheckpointException(stored.File, $"tensor '{name}': {stored.DType.SafetensorsName()} block-quantized values need rows " +
                $"that are a multiple of {BlockFormats.BlockSize}; this weight's rows have {inDim} values");
        long[] shape = [outDim, format == DType.Q8 ? inDim : inDim / 2];
        var (info, file) = checkpoint.Get(name, shape, stored.DType);
        if (!checkpoint.Contains(name + BlockScaleSuffix))
            throw new InvalidCheckpointException(stored.File, $"tensor '{name}' is stored as {format} values ({stored.DType.SafetensorsName()}) but its scales '{name + BlockScaleSuffix}' are missing");
        var scales = Load(name + BlockScaleSuffix, [outDim, inDim / BlockFormats.BlockSize], [DType.F16]);
        cancellation.ThrowIfCancellationRequested();
        var tensor = backend.LoadWeight(file, info, [outDim, inDim], scales, format, BlockFormats.BlockSize);
        LoadedBytes += info.Length;
        ResidentBytes += info.Length;
        progress?.Invoke(LoadedBytes, StoredPhase);
        return tensor;
    }

    /// <summary>A GPTQ / AutoRound int4 linear (<c>qweight</c>, <c>qzeros</c>, <c>scales</c> in place of <c>weight</c>), repacked to Q4.</summary>
    private DeviceTensor Packed(string name, int outDim, int inDim)
    {
        cancellation.ThrowIfCancellationRequested();
        var (q4, bytes) = GptqLinear.Read(checkpoint, gptq, name, outDim, inDim);
        var tensor = UploadQ4(backend, name, outDim, inDim, q4);
        LoadedBytes += bytes;
        ResidentBytes += tensor.WeightBytes;
        progress?.Invoke(LoadedBytes, LoadProgress.Repacking);
        return tensor;
    }

    /// <summary>Reads <paramref name="info"/> row batch by row batch as F32 (FP8 block scales applied), quantizes each row to
    /// <paramref name="format"/> (<see cref="BlockFormats"/>) and writes it to a weight allocated in the backend's weight memory.</summary>
    private DeviceTensor Quantize(TensorInfo info, SafetensorsFile file, DType format, int outDim, int inDim)
    {
        cancellation.ThrowIfCancellationRequested();
        var quantizer = new RowQuantizer(checkpoint, info, file, format);
        var scales = backend.AllocateWeight(DType.F16, [outDim, quantizer.Groups], info.Name + "_scale");
        var weight = backend.AllocateWeight(format, [outDim, inDim], info.Name, scales, groupSize: BlockFormats.BlockSize);
        int batch = Math.Min(QuantizeBatchRows, outDim);
        var values = new byte[batch * quantizer.RowBytes];
        var rowScales = new Half[batch * quantizer.Groups];
        for (int r0 = 0; r0 < outDim; r0 += batch)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(batch, outDim - r0);
            quantizer.Quantize(r0, n, values, rowScales);
            backend.Upload<byte>(weight.SliceRows(r0, n), values.AsSpan(0, (int)(n * quantizer.RowBytes)));
            backend.Upload<Half>(scales.SliceRows(r0, n), rowScales.AsSpan(0, n * quantizer.Groups));
        }
        file.Evict(info);                                           // only the quantized copy stays resident
        LoadedBytes += info.Length;
        ResidentBytes += QuantizationPlan.QuantizedBytes(format, outDim, inDim);
        progress?.Invoke(LoadedBytes, LoadProgress.Quantizing);
        return weight;
    }

    /// <summary>
    /// A 4-bit weight [<paramref name="rows"/>, <paramref name="columns"/>] (<see cref="DType.Q4"/>) from host values in its layout,
    /// F16 scales [rows, columns/G] and U8 zeros of the same shape (null or empty: symmetric, zero 8), written to the backend's
    /// weight memory.
    /// </summary>
    internal static DeviceTensor UploadQ4(IComputeBackend backend, string name, int rows, int columns, Q4Weight q4)
    {
        int group = q4.GroupSize, groups = group > 0 ? columns / group : 0;
        if (columns % 32 != 0 || group <= 0 || group % 32 != 0 || columns % group != 0 || q4.Values.Length != (long)rows * columns / 2
            || q4.Scales.Length != (long)rows * groups || (q4.Zeros is { Length: > 0 } z && z.Length != q4.Scales.Length))
            throw new ArgumentException($"4-bit weight '{name}' [{rows}, {columns}] group {group}: {q4.Values.Length} value bytes, " +
                $"{q4.Scales.Length} scales, {q4.Zeros?.Length ?? 0} zeros do not fit", nameof(q4));
        var scales = backend.AllocateWeight(DType.F16, [rows, groups], name + ".scales");
        backend.Upload<Half>(scales, q4.Scales);
        DeviceTensor? zeros = null;
        if (q4.Zeros is { Length: > 0 } zs)
        {
            zeros = backend.AllocateWeight(DType.U8, [rows, groups], name + ".qzeros");
            backend.Upload<byte>(zeros, zs);
        }
        var weight = backend.AllocateWeight(DType.Q4, [rows, columns], name, scales, zeros, group);
        backend.Upload<byte>(weight, q4.Values);
        return weight;
    }

    /// <summary>
    /// An embedding table [rows, dim] (F32, BF16 or F16). <paramref name="rowsOnly"/>: the model only ever reads rows of it
    /// (not an embedding tied to lm_head), so the backend may leave it mapped (<see cref="IComputeBackend.LoadTable"/>).
    /// </summary>
    public DeviceTensor Table(string name, int rows, int dim, bool rowsOnly = false) => Load(name, [rows, dim], Floats, rowsOnly: rowsOnly);

    /// <summary>Bytes of the tables loaded with rowsOnly (<see cref="Table"/>).</summary>
    public long RowTableBytes { get; private set; }

    private DeviceTensor Load(string name, int[] shape, DType[] allowed, DeviceTensor? scales = null, bool rowsOnly = false)
    {
        cancellation.ThrowIfCancellationRequested();
        var (info, file) = checkpoint.Get(name, Array.ConvertAll(shape, d => (long)d), allowed);
        var tensor = rowsOnly ? backend.LoadTable(file, info, shape) : backend.LoadWeight(file, info, shape, scales);
        if (rowsOnly) RowTableBytes += info.Length;
        string phase = rowsOnly && backend is Compute.Cpu.CpuBackend ? LoadProgress.Mapping : StoredPhase;
        LoadedBytes += info.Length;
        ResidentBytes += info.Length;
        progress?.Invoke(LoadedBytes, phase);
        return tensor;
    }

    /// <summary>What loading a tensor as stored does on this backend: a mapped CPU backend maps, any other copies.</summary>
    private string StoredPhase => backend is Compute.Cpu.CpuBackend { Residency: WeightResidency.Mapped } ? LoadProgress.Mapping : LoadProgress.Copying;
}
