using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The many-row BF16 product (prefill, verify, batched decode) against the all-core F32 FMA peak doing the same FLOPs
/// (<see cref="FmaPeak.Run"/>): Ratio = product time / peak time, so the fraction of the peak reached is 1 / Ratio. Shapes:
/// lite-mini's dense MLP gate [2048, 1024] and an expert's gate [256, 1024]; weights stay in cache between iterations. T = 2 is
/// MTP's verify step and an expert two tokens chose (the two-row tile), 16 a batched decode step, 128 a prefill.
/// </summary>
[ShortRunJob]
public unsafe class ProductBenchmarks
{
    [Params("2048x1024", "256x1024")]
    public string Shape { get; set; } = "2048x1024";

    [Params(2, 16, 128)]
    public int Tokens { get; set; } = 128;

    private int Rows => Shape == "256x1024" ? 256 : 2048;
    private const int Cols = 1024;
    private CpuBackend _backend = null!;
    private DeviceTensor _x = null!, _y = null!;
    private CpuTensor _w = null!;
    private ushort* _storage;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend();
        _storage = (ushort*)NativeMemory.AlignedAlloc((nuint)(Rows * Cols * 2), 4096);
        var rng = new Random(1);
        for (int i = 0; i < Rows * Cols; i++) _storage[i] = WeightFormats.FloatToBf16((float)(rng.NextDouble() - 0.5));
        _w = new CpuTensor(DType.BF16, [Rows, Cols], (byte*)_storage, owned: false, "bench.weight");
        _x = _backend.Allocate(DType.F32, Tokens, Cols);
        _y = _backend.Allocate(DType.F32, Tokens, Rows);
        _backend.Upload<float>(_x, Enumerable.Range(0, Tokens * Cols).Select(i => (float)Math.Sin(i)).ToArray());
    }

    [Benchmark(Baseline = true, Description = "FMA peak, same FLOPs (all cores)")]
    public void Peak() => FmaPeak.Run(2L * Tokens * Rows * Cols);

    [Benchmark(Description = "BF16 product, T rows (all cores)")]
    public void Product() => _backend.MatMul(_x, _w, _y);

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _y.Dispose();
        _backend.Dispose();
        NativeMemory.AlignedFree(_storage);
    }
}
