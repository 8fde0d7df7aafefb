using System.Diagnostics;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>Single-thread throughput of the BF16 row kernel on cache-resident weights: is the matvec compute- or memory-bound?</summary>
internal static unsafe class KernelPeak
{
    public static void Run()
    {
        float* res = stackalloc float[4];
        foreach (var (rows, cols) in new[] { (256, 1024), (256, 1024), (4096, 1024), (65536, 1024), (8192, 8192), (65536, 1024) })
        {
            var w = (ushort*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rows * cols * 2), 4096);
            for (int i = 0; i < rows * cols; i++) w[i] = WeightFormats.FloatToBf16(i % 7 - 3);
            var x = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(cols * 4), 64);
            for (int i = 0; i < cols; i++) x[i] = i % 5;
            long bytes = (long)rows * cols * 2;
            int reps = (int)Math.Max(3, (2L << 30) / bytes);
            var sw = Stopwatch.StartNew();
            for (int k = 0; k < reps; k++)
                for (int r = 0; r < rows; r += 4) SimdKernels.DotBf16Rows4(w + (long)r * cols, cols, x, cols, res);
            double kern = bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9;
            sw.Restart();
            float one = 0;
            for (int k = 0; k < reps; k++)
                for (int r = 0; r < rows; r++) one += SimdKernels.DotBf16Row(w + (long)r * cols, x, cols);
            double single = bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9;
            sw.Restart();
            double sink = one;
            for (int k = 0; k < reps; k++) sink += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>((float*)w, (int)(bytes / 4)));
            double read = bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9;
            Console.WriteLine($"{rows,6}x{cols} ({bytes / 1024,8} KiB): rows4 {kern,6:F1} GB/s   row {single,6:F1} GB/s   plain sum {read,6:F1} GB/s   (one thread) {sink:E1}");
            System.Runtime.InteropServices.NativeMemory.AlignedFree(w);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(x);
        }
    }
}
