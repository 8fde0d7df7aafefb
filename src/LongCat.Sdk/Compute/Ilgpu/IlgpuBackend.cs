using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>
/// The GPU backend: every op is a C# kernel (Kernels/) compiled by ILGPU, to PTX on CUDA, or run by ILGPU's CPU accelerator
/// (a faithful, slow emulator used by the tests). Weights are uploaded once at load in their stored format and widened inside the
/// kernels; activations are F32. All work is queued on one stream; <see cref="Download{T}"/> and <see cref="Synchronize"/> wait.
/// </summary>
internal sealed partial class IlgpuBackend : IComputeBackend
{
    private const int UploadChunk = 64 << 20;
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _status;
    private readonly Dictionary<System.Reflection.MethodInfo, Delegate> _kernels = [];
    private readonly List<MemoryBuffer1D<byte, Stride1D.Dense>> _packed = [];
    private readonly HashSet<System.Reflection.MethodInfo> _noDynamicShared = [];

    private IlgpuBackend(Context context, Accelerator accelerator)
    {
        _context = context;
        _accelerator = accelerator;
        // CUDA: a stream of our own, not the legacy default stream, so the decode step can be captured into a CUDA graph (docs/GPU.md).
        _stream = accelerator.AcceleratorType == AcceleratorType.Cuda ? accelerator.CreateStream() : accelerator.DefaultStream;
        _status = accelerator.Allocate1D<int>(2);
        _status.MemSetToZero(_stream);
    }

    /// <inheritdoc/>
    public string Name => _accelerator.AcceleratorType == AcceleratorType.Cuda ? "ilgpu-cuda" : "ilgpu-" + _accelerator.AcceleratorType.ToString().ToLowerInvariant();

    /// <summary>The accelerator's own description (device name, memory).</summary>
    public string DeviceName => _accelerator.Name;

    /// <summary>Whether this backend runs on a CUDA device.</summary>
    public bool IsCuda => _accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>Kernel launches so far (the decode budget is counted with it; see docs/GPU.md).</summary>
    public long Launches { get; private set; }

    /// <summary>Bytes of device memory holding uploaded weights.</summary>
    public long WeightBytes { get; private set; }

    /// <summary>The ILGPU stream all work is queued on (for CUDA-graph capture through the driver API).</summary>
    public AcceleratorStream Stream => _stream;

    /// <inheritdoc/>
    public DeviceTensor Allocate(DType dtype, params int[] shape)
    {
        var t = AllocateRaw(dtype, shape, null);
        t.Bytes.MemSetToZero(_stream);
        return t;
    }

    private IlgpuTensor AllocateRaw(DType dtype, int[] shape, string? name, DeviceTensor? blockScales = null, DeviceTensor? zeros = null, int groupSize = 0)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"negative dimension in [{string.Join(", ", shape)}]");
            n *= d;
        }
        // Padded to 16 bytes so that 16-byte vector views of any tensor are valid.
        long bytes = Math.Max(16, (dtype.ByteCount(n) + 15) & ~15L);
        var buffer = _accelerator.Allocate1D<byte>(bytes);
        return new IlgpuTensor(this, dtype, shape, buffer.View, buffer, name) { BlockScales = blockScales, Zeros = zeros, GroupSize = groupSize };
    }

    /// <inheritdoc/>
    public DeviceTensor AllocateWeight(DType dtype, int[] shape, string name, DeviceTensor? scales = null, DeviceTensor? zeros = null, int groupSize = 0)
    {
        if (dtype.IsBlockQuantized()) CheckBlockQuantized(dtype, shape, name, scales, zeros, groupSize);
        var t = AllocateRaw(dtype, shape, name, scales, zeros, groupSize);
        t.Bytes.MemSetToZero(_stream);
        WeightBytes += t.ByteLength;
        return t;
    }

    /// <summary>
    /// A Q8/Q4 weight's scales (F16 [rows, columns/G]) and zero points (Q4 only, U8 of the same shape) belong to this backend, and G is
    /// a power of two from 32 to 128 (Q8: 32) dividing the rows: the kernels find a column's group by a shift.
    /// </summary>
    private void CheckBlockQuantized(DType dtype, int[] shape, string name, DeviceTensor? scales, DeviceTensor? zeros, int groupSize)
    {
        int rows = shape.Length == 2 ? shape[0] : -1, columns = shape.Length == 2 ? shape[1] : -1;
        bool groupOk = groupSize is 32 or 64 or 128 && (dtype == DType.Q4 || groupSize == 32) && columns > 0 && columns % groupSize == 0;
        if (!groupOk || scales is null || zeros is not null && dtype != DType.Q4)
            throw new NotSupportedException($"Weight '{name}' {dtype} [{string.Join(", ", shape)}] group {groupSize}: the ILGPU backend takes " +
                "2-D Q8 weights in groups of 32 and Q4 weights in groups of 32, 64 or 128 dividing the rows, with F16 scales (and, Q4 only, U8 zero points).");
        var s = Own(scales);
        Require(s.DType == DType.F16 && s.Rows == rows && s.Columns == columns / groupSize, name, $"scales {s} for [{rows}, {columns}] in groups of {groupSize}");
        if (zeros is not null)
        {
            var z = Own(zeros);
            Require(z.DType == DType.U8 && z.Rows == rows && z.Columns == columns / groupSize, name, $"zero points {z} for [{rows}, {columns}] in groups of {groupSize}");
        }
    }

    /// <inheritdoc/>
    public unsafe DeviceTensor LoadWeight(SafetensorsFile file, TensorInfo info, int[] shape, DeviceTensor? blockScales = null, DType? format = null, int groupSize = 0)
    {
        var dtype = format ?? info.DType;
        long n = 1;
        foreach (var d in shape) n *= d;
        if (dtype.ByteCount(n) != info.Length)
            throw new InvalidCheckpointException(file.Path, $"tensor '{info.Name}': {info.ShapeText} {info.DType.SafetensorsName()} cannot be viewed as {dtype} [{string.Join(", ", shape)}]");
        if (dtype.IsBlockQuantized()) CheckBlockQuantized(dtype, shape, info.Name, blockScales, null, groupSize);
        if (blockScales is not null) Own(blockScales);
        var t = AllocateRaw(dtype, shape, info.Name, blockScales, groupSize: dtype.IsBlockQuantized() ? groupSize : 0);
        byte* src = file.Pointer(info);
        // Streamed from the mapped file in chunks: the page cache fills while earlier chunks cross the bus.
        for (long off = 0; off < info.Length; off += UploadChunk)
        {
            int len = (int)Math.Min(UploadChunk, info.Length - off);
            t.Bytes.SubView(off, len).CopyFromCPU(_stream, new ReadOnlySpan<byte>(src + off, len));
        }
        WeightBytes += info.Length;
        return t;
    }

    /// <summary>A weight from raw stored bytes (tests and tools; checkpoints go through <see cref="LoadWeight"/>).</summary>
    internal DeviceTensor UploadWeight(DType dtype, int[] shape, ReadOnlySpan<byte> data, DeviceTensor? blockScales, string name)
    {
        if (blockScales is not null) Own(blockScales);
        var t = AllocateRaw(dtype, shape, name, blockScales);
        if (data.Length != t.ByteLength) throw new ArgumentException($"{data.Length} bytes for {t}.", nameof(data));
        if (data.Length > 0) t.Bytes.SubView(0, data.Length).CopyFromCPU(_stream, data);
        return t;
    }

    /// <inheritdoc/>
    public void Upload<T>(DeviceTensor destination, ReadOnlySpan<T> values) where T : unmanaged
    {
        var d = Own(destination);
        var bytes = MemoryMarshal.AsBytes(values);
        if (bytes.Length > d.ByteLength) throw new ArgumentException($"{bytes.Length} bytes do not fit in {d}.");
        if (bytes.Length == 0) return;
        d.Bytes.SubView(0, bytes.Length).CopyFromCPU(_stream, bytes);
    }

    /// <inheritdoc/>
    public void Download<T>(DeviceTensor source, Span<T> values) where T : unmanaged
    {
        var s = Own(source);
        var bytes = MemoryMarshal.AsBytes(values);
        if (bytes.Length > s.ByteLength) throw new ArgumentException($"{bytes.Length} bytes do not fit in {s}.");
        if (bytes.Length > 0) s.Bytes.SubView(0, bytes.Length).CopyToCPU(_stream, bytes);
        CheckStatus();
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        _stream.Synchronize();
        CheckStatus();
    }

    /// <summary>Throws the first index error a kernel recorded since the last check (see <see cref="DeviceStatus"/>).</summary>
    private void CheckStatus()
    {
        Span<int> status = stackalloc int[2];
        _status.View.CopyToCPU(_stream, status);
        if (status[0] == DeviceStatus.Ok) return;
        _status.MemSetToZero(_stream);
        throw status[0] switch
        {
            DeviceStatus.TokenId => new ArgumentOutOfRangeException("ids", status[1], "Embedding: a token id is outside the table."),
            DeviceStatus.GatherRow => new ArgumentOutOfRangeException("rows", status[1], "GatherRows: a row index is outside the source."),
            DeviceStatus.CacheSlot => new ArgumentOutOfRangeException("meta", status[1], "MlaCacheLatent: a cache slot is outside the cache."),
            DeviceStatus.BlockId => new ArgumentOutOfRangeException("meta", status[1], "MlaAttention: a block id is outside the cache."),
            _ => new InvalidOperationException($"A kernel reported status {status[0]} ({status[1]})."),
        };
    }

    internal IlgpuTensor Own(DeviceTensor t) =>
        t is IlgpuTensor g && ReferenceEquals(g.Owner, this) ? g : throw new ArgumentException($"{t} does not belong to this ILGPU backend.", nameof(t));

    internal static void Require(bool condition, string op, string what)
    {
        if (!condition) throw new ArgumentException($"{op}: {what}.");
    }

    /// <summary>As <see cref="Require(bool, string, string)"/>, with the message formatted only when the check fails.</summary>
    internal static void Require(bool condition, string op, [InterpolatedStringHandlerArgument(nameof(condition))] ref CheckMessage what)
    {
        if (!condition) throw new ArgumentException($"{op}: {what.ToStringAndClear()}.");
    }

    /// <summary>Launches a kernel (compiled on first use) on the stream and counts it; an empty grid launches nothing.</summary>
    private void Launch<TArgs>(Action<TArgs> kernel, Index3D grid, int groupSize, TArgs args) where TArgs : struct
    {
        if (grid.X <= 0 || grid.Y <= 0 || grid.Z <= 0) return;
        if (!_kernels.TryGetValue(kernel.Method, out var loaded))
        {
            loaded = _accelerator.LoadKernel<TArgs>(kernel);
            _kernels[kernel.Method] = loaded;
        }
        var launch = (Action<AcceleratorStream, KernelConfig, TArgs>)loaded;
        var group = new Index3D(groupSize, 1, 1);
        // The emulator's warp reductions use dynamic shared memory (DeviceMath.WarpSumShared); kernels without reductions reject a
        // dynamic request, which ILGPU checks before launching: remember those and launch them plainly.
        if (_accelerator.AcceleratorType == AcceleratorType.CPU && !_noDynamicShared.Contains(kernel.Method))
        {
            try
            {
                launch(_stream, new KernelConfig(grid, group, SharedMemoryConfig.RequestDynamic<Float4>(DeviceMath.EmulatorMaxThreads)), args);
                Launches++;
                return;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("dynamic shared memory", StringComparison.OrdinalIgnoreCase))
            {
                _noDynamicShared.Add(kernel.Method);
            }
        }
        launch(_stream, new KernelConfig(grid, group), args);
        Launches++;
    }

    private static int CeilDiv(long a, int b) => checked((int)((a + b - 1) / b));

    /// <summary>Threads per group of the warp-per-row kernels: 8 warps (fewer when the device's warps are wider).</summary>
    private int RowGroup => Math.Min(256, _accelerator.MaxNumThreadsPerGroup) / _accelerator.WarpSize * _accelerator.WarpSize;

    private int WarpsPerRowGroup => RowGroup / _accelerator.WarpSize;

    /// <summary>Groups for a kernel that takes one token per group (grid-stride): all tokens on GPUs, a few on the emulator.</summary>
    private int TokenGrid(int tokens) =>
        _accelerator.AcceleratorType == AcceleratorType.CPU ? Math.Min(Math.Max(tokens, 1), _accelerator.NumMultiprocessors) : Math.Max(tokens, 1);

    /// <summary>
    /// Groups for a warp-per-row kernel over <paramref name="rows"/> rows: one per 8 rows on GPUs; on the CPU accelerator one per
    /// emulated multiprocessor (the kernels grid-stride), since there every group costs hundreds of thread activations.
    /// </summary>
    private int RowGrid(int rows)
    {
        int full = Math.Max(1, CeilDiv(rows, WarpsPerRowGroup));
        return _accelerator.AcceleratorType == AcceleratorType.CPU ? Math.Min(full, _accelerator.NumMultiprocessors) : full;
    }

    internal static FloatVector Vector(IlgpuTensor t, string op) => t.DType switch
    {
        DType.F32 => new FloatVector { F32 = t.F32, U16 = t.View<ushort>(), Kind = FloatVector.KindF32 },
        DType.BF16 => new FloatVector { F32 = t.F32, U16 = t.View<ushort>(), Kind = FloatVector.KindBf16 },
        DType.F16 => new FloatVector { F32 = t.F32, U16 = t.View<ushort>(), Kind = FloatVector.KindF16 },
        _ => throw new NotSupportedException($"{op}: {t} has dtype {t.DType}; vectors and tables must be F32, BF16 or F16."),
    };

    /// <summary>
    /// Device memory bandwidth of a device-to-device copy of <paramref name="bytes"/> bytes (counting the read and the write), the best
    /// of <paramref name="repeats"/> timed copies: the baseline the GPU decode benchmark reports its achieved bandwidth against.
    /// </summary>
    internal double MeasureCopyBandwidth(long bytes, int repeats)
    {
        using var a = _accelerator.Allocate1D<byte>(bytes);
        using var b = _accelerator.Allocate1D<byte>(bytes);
        a.MemSetToZero(_stream);
        ArrayView1D<byte, Stride1D.Dense> source = a.View, target = b.View;
        source.CopyTo(_stream, target);                            // warm-up
        _stream.Synchronize();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            source.CopyTo(_stream, target);
            _stream.Synchronize();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return 2.0 * bytes / best / 1e9;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stream.Synchronize();
        foreach (var t in new[] { _moeHidden, _moeOut, _moePerm, _moeTiles, _moeTileCount }) t?.Dispose();
        foreach (var b in _packed) b.Dispose();
        _status.Dispose();
        if (!ReferenceEquals(_stream, _accelerator.DefaultStream)) _stream.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }
}
