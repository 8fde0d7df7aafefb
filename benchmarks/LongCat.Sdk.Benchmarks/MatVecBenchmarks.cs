using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The BF16 matrix-vector product (decode's inner loop) against a plain read of the same bytes with all cores, and against the
/// naive scalar loop: Ratio = time / read time, so achieved bandwidth = baseline bandwidth / Ratio.
/// </summary>
[ShortRunJob]
public unsafe class MatVecBenchmarks
{
    private int Rows => Shape == "8192x8192" ? 8192 : 65536;
    private int Cols => Shape == "8192x8192" ? 8192 : 1024;

    /// <summary>128 MiB of BF16 either way (four times the L3): long rows, or the 1024-wide rows of the lite-mini shape.</summary>
    [Params("65536x1024", "8192x8192")]
    public string Shape { get; set; } = "8192x8192";
    private CpuBackend _backend = null!;
    private DeviceTensor _w = null!, _x = null!, _y = null!;
    private byte* _storage;
    private readonly HugePageArena _arena = new();
    private ReadBandwidth _read = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend();
        long bytes = (long)Rows * Cols * 2;
        _storage = _arena.Allocate(bytes);                         // like WeightResidency.Copied
        var rng = new Random(1);
        var w = (ushort*)_storage;
        for (long i = 0; i < (long)Rows * Cols; i++) w[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5));
        _w = new CpuTensor(DType.BF16, [Rows, Cols], _storage, owned: false, "bench.weight");
        _x = _backend.Allocate(DType.F32, 1, Cols);
        _y = _backend.Allocate(DType.F32, 1, Rows);
        _backend.Upload<float>(_x, Enumerable.Range(0, Cols).Select(i => (float)Math.Sin(i)).ToArray());
        Console.WriteLine($"// huge-page backed memory before the baseline buffer: {HugePageArena.ProcessHugePageBytes() >> 20} MiB");
        _read = new ReadBandwidth(bytes, bytes);
    }

    [Benchmark(Baseline = true, Description = "read 128 MiB (all cores)")]
    public double Read() => _read.Run();

    [Benchmark(Description = "BF16 matvec (all cores)")]
    public void MatVec() => _backend.MatMul(_x, _w, _y);

    [Benchmark(Description = "BF16 matvec, naive scalar (one core)")]
    public float Naive()
    {
        var x = (CpuTensor)_x;
        float last = 0;
        for (int r = 0; r < Rows; r++) last = SimdKernels.DotScalar((CpuTensor)_w, r, x.F32, Cols);
        return last;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _y.Dispose(); _read.Dispose();
        _arena.Dispose();
        _backend.Dispose();
    }
}
