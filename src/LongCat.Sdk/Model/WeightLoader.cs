using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>Loads named checkpoint tensors into backend handles, checking shape and dtype with errors that name the tensor.</summary>
internal sealed class WeightLoader(CheckpointIndex checkpoint, IComputeBackend backend,
    Action<long>? progress = null, CancellationToken cancellation = default, GptqConfig? gptq = null)
{
    private static readonly DType[] Floats = [DType.F32, DType.BF16, DType.F16];
    private static readonly DType[] LinearFormats = [DType.F32, DType.BF16, DType.F16, DType.F8E4M3];

    public CheckpointIndex Checkpoint => checkpoint;

    /// <summary>Total bytes of the weights loaded so far.</summary>
    public long LoadedBytes { get; private set; }

    /// <summary>A norm or bias vector [n].</summary>
    public DeviceTensor Vector(string name, int n) => Load(name, [n], Floats);

    /// <summary>A linear layer's weight [outDim, inDim]; FP8 weights bring their 128×128 block scales.</summary>
    public DeviceTensor Linear(string name, int outDim, int inDim)
    {
        if (GptqLinear.IsPacked(checkpoint, name)) return Packed(name, outDim, inDim);
        var (info, _) = checkpoint.Get(name, [outDim, inDim], LinearFormats);
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

    /// <summary>A GPTQ / AutoRound int4 linear (<c>qweight</c>, <c>qzeros</c>, <c>scales</c> in place of <c>weight</c>), repacked to Q4.</summary>
    private DeviceTensor Packed(string name, int outDim, int inDim)
    {
        cancellation.ThrowIfCancellationRequested();
        var (q4, bytes) = GptqLinear.Read(checkpoint, gptq, name, outDim, inDim);
        var tensor = backend.LoadQ4Weight(name, outDim, inDim, q4.GroupSize, q4.Values, q4.Scales, q4.Zeros);
        LoadedBytes += bytes;
        progress?.Invoke(LoadedBytes);
        return tensor;
    }

    /// <summary>An embedding table [rows, dim] (F32, BF16 or F16).</summary>
    public DeviceTensor Table(string name, int rows, int dim) => Load(name, [rows, dim], Floats);

    private DeviceTensor Load(string name, int[] shape, DType[] allowed, DeviceTensor? scales = null)
    {
        cancellation.ThrowIfCancellationRequested();
        var (info, file) = checkpoint.Get(name, Array.ConvertAll(shape, d => (long)d), allowed);
        var tensor = backend.LoadWeight(file, info, shape, scales);
        LoadedBytes += info.Length;
        progress?.Invoke(LoadedBytes);
        return tensor;
    }
}
