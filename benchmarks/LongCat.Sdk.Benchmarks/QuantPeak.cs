using System.Diagnostics;
using System.Runtime.InteropServices;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-thread throughput of the Q8/Q4 row kernels on every path this CPU has, in GB/s of weight bytes read (values and
/// scales), for 1 and 4 token rows per pass, on cache-resident (256 × 1024) and DRAM-sized (65536 × 1024) weights, beside a
/// plain one-thread sum of the same bytes: which path decode should use, and whether it is compute- or memory-bound. Paths
/// alternate round by round after a warm-up (no tier-0 code timed); medians of the rounds.
/// </summary>
internal static unsafe class QuantPeak
{
    public static void Run(int rounds)
    {
        var paths = Enum.GetValues<QuantPath>().Where(QuantKernels.IsSupported).ToArray();
        Console.WriteLine($"paths: {string.Join(", ", paths)} (best: Q8 {QuantKernels.Best(DType.Q8)}, Q4 {QuantKernels.Best(DType.Q4)}); {rounds} rounds, medians");
        foreach (var format in new[] { DType.Q8, DType.Q4 })
            foreach (var (rows, cols) in new[] { (256, 1024), (65536, 1024) })
                foreach (int tokens in new[] { 1, 4 })
                {
                    if (tokens == 4 && rows > 256) continue;
                    Measure(format, rows, cols, tokens, paths, rounds);
                }
        foreach (var format in new[] { DType.Q8, DType.Q4 }) AllCores(format, 65536, 1024, 1, paths.Where(p => p != QuantPath.Scalar).ToArray(), rounds);
        foreach (var format in new[] { DType.BF16, DType.Q8, DType.Q4 }) AllCores(format, 2048, 1024, 64, paths.Where(p => p != QuantPath.Scalar).ToArray(), rounds);
    }

    /// <summary>
    /// The backend's MatMul, all cores, per path: T token rows × W [rows, cols] in huge-page memory (as Copied weights), against an
    /// all-core read of the same bytes (T = 1: decode's matrix-vector product, memory-bound) or in GFLOP/s (T = 64: prefill).
    /// </summary>
    private static void AllCores(DType format, int rows, int cols, int tokens, QuantPath[] paths, int rounds)
    {
        using var arena = new HugePageArena();
        long valueBytes = format.ByteCount((long)rows * cols), scaleBytes = format == DType.BF16 ? 0 : (long)rows * (cols / 32) * 2;
        byte* values = arena.Allocate(valueBytes), scales = format == DType.BF16 ? null : arena.Allocate(scaleBytes);
        var random = new Random(2);
        for (long i = 0; i < valueBytes; i++) values[i] = (byte)(format == DType.Q8 ? random.Next(-127, 128) : random.Next(256));
        if (format == DType.BF16)
            for (long i = 0; i < valueBytes / 2; i++) ((ushort*)values)[i] = Checkpoints.WeightFormats.FloatToBf16((float)(random.NextDouble() - 0.5));
        for (long i = 0; i < scaleBytes / 2; i++) ((Half*)scales)[i] = (Half)(0.001 + random.NextDouble() / 100);
        var w = new CpuTensor(format, [rows, cols], values, owned: false, "bench.weight")
            { BlockScales = scales == null ? null : new CpuTensor(DType.F16, [rows, cols / 32], scales, owned: false), GroupSize = scales == null ? 0 : 32 };
        long bytes = valueBytes + scaleBytes;
        using var read = new ReadBandwidth(bytes, Math.Max(bytes, 1L << 29));
        var backends = (format == DType.BF16 ? [QuantPath.Scalar] : paths).Select(p => (Path: p, Backend: new CpuBackend { QuantPath = p })).ToArray();
        using var x = backends[0].Backend.Allocate(DType.F32, tokens, cols);
        using var y = backends[0].Backend.Allocate(DType.F32, tokens, rows);
        backends[0].Backend.Upload<float>(x, Enumerable.Range(0, tokens * cols).Select(i => (float)Math.Sin(i)).ToArray());
        int reps = tokens == 1 ? 8 : 4;
        double Time(Action a)
        {
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < reps; k++) a();
            return sw.Elapsed.TotalSeconds / reps;
        }
        foreach (var (_, b) in backends) for (int i = 0; i < 40; i++) b.MatMul(x, w, y);     // past tier 0
        Thread.Sleep(300);
        var times = backends.ToDictionary(b => b.Path, _ => new List<double>());
        var reads = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            reads.Add(Time(() => read.Run()));
            foreach (var (p, b) in backends) times[p].Add(Time(() => b.MatMul(x, w, y)));
        }
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        double readTime = Median(reads);
        Console.WriteLine($"{format} all cores, {tokens} x [{rows}, {cols}] ({bytes >> 20} MiB): " + string.Join("  ", backends.Select(b =>
            tokens == 1 ? $"{(format == DType.BF16 ? "BF16" : b.Path)} {bytes / Median(times[b.Path]) / 1e9,5:F1} GB/s = {readTime / Median(times[b.Path]):F2} of read"
                : $"{(format == DType.BF16 ? "BF16" : b.Path)} {Median(times[b.Path]) * 1e3,7:F3} ms")) + $";  read {bytes / readTime / 1e9:F1} GB/s");
        foreach (var (_, b) in backends) b.Dispose();
    }

    private static void Measure(DType format, int rows, int cols, int tokens, QuantPath[] paths, int rounds)
    {
        long valueBytes = format.ByteCount((long)rows * cols), scaleBytes = (long)rows * (cols / 32) * 2;
        var values = (byte*)NativeMemory.AlignedAlloc((nuint)valueBytes, 4096);
        var scales = (byte*)NativeMemory.AlignedAlloc((nuint)scaleBytes, 4096);
        var random = new Random(1);
        for (long i = 0; i < valueBytes; i++) values[i] = (byte)(format == DType.Q8 ? random.Next(-127, 128) : random.Next(256));
        for (long i = 0; i < scaleBytes / 2; i++) ((Half*)scales)[i] = (Half)(0.001 + random.NextDouble() / 100);
        var s = new CpuTensor(DType.F16, [rows, cols / 32], scales, owned: false);
        var w = new CpuTensor(format, [rows, cols], values, owned: false, "bench.quantized") { BlockScales = s, GroupSize = 32 };
        var x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Sin(i);
        long qBytes = tokens * QuantizedRows.RowBytes(cols);
        var q = (byte*)NativeMemory.AlignedAlloc((nuint)qBytes, 64);
        var a = new QuantizedRows(q, tokens, cols, format);
        fixed (float* px = x)
            for (int t = 0; t < tokens; t++) QuantKernels.Quantize(px + t * cols, a, t);
        float* res = stackalloc float[16 * 4];
        long bytes = valueBytes + scaleBytes;
        int reps = (int)Math.Max(3, (1L << 30) / bytes);

        double Time(QuantPath path)
        {
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < reps; k++)
                for (int r = 0; r < rows; r += 16) QuantKernels.Dot(w, r, 16, a, 0, tokens, res, null, path);
            return bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9;
        }
        double Sum()
        {
            var sw = Stopwatch.StartNew();
            int sink = 0;
            for (int k = 0; k < reps; k++) sink += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<int>((int*)values, (int)(valueBytes / 4)));
            return bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9 + sink * 0;
        }

        // Warm-up: every path past tier 0 (30 calls, then the background tier-1 compile).
        for (int i = 0; i < 40; i++)
            foreach (var p in paths) QuantKernels.Dot(w, 0, 16, a, 0, tokens, res, null, p);
        Thread.Sleep(300);
        var times = paths.ToDictionary(p => p, _ => new List<double>());
        var sums = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var p in paths) times[p].Add(Time(p));
            sums.Add(Sum());
        }
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine($"{format} {rows,6}x{cols} ({bytes / 1024,7} KiB), {tokens} token row(s): " +
            string.Join("  ", paths.Select(p => $"{p} {Median(times[p]),6:F1}")) + $"  GB/s;  plain sum {Median(sums),6:F1} GB/s");
        NativeMemory.AlignedFree(values);
        NativeMemory.AlignedFree(scales);
        NativeMemory.AlignedFree(q);
    }
}
