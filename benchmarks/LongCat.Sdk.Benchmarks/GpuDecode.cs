using System.Diagnostics;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-sequence decode of the lite-mini checkpoint on CUDA through <see cref="IlgpuBackend"/>: tokens/s and achieved GB/s (weights
/// one token reads / time per token) against a device-to-device copy measured in the same run, with the weights as stored or under a
/// quantization preset (Q8/Q4 kernels). Skips, saying so, without a CUDA device.
/// </summary>
internal static class GpuDecode
{
    public static int Run(int tokens, WeightQuantization quantization = WeightQuantization.None)
    {
        using var gpu = IlgpuBackend.TryCreateCuda();
        if (gpu is null)
        {
            Console.WriteLine("gpu-decode: skipped: ILGPU finds no CUDA device on this machine.");
            return 0;
        }
        Console.WriteLine($"gpu-decode: {gpu.DeviceName}");
        string dir = BenchCheckpoint.EnsureLiteMini();
        double copyGBs = gpu.MeasureCopyBandwidth(1L << 30, 10);
        Console.WriteLine($"device copy baseline (1 GiB, read + write): {copyGBs:F0} GB/s");

        var load = Stopwatch.StartNew();
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = gpu, KvBlockSize = 64, Quantization = quantization });
        gpu.Synchronize();
        load.Stop();
        Console.WriteLine($"load ({quantization}): {load.Elapsed.TotalSeconds:F2} s, {gpu.WeightBytes / 1e9:F3} GB of weights on the device");

        long bytes;
        {
            var trace = new ForwardTrace();
            using var probe = model.CreateSession();
            probe.Prefill([5], trace: trace);
            // Quantized: the loaded weights' sizes, top-k slots counted as real experts (an upper bound).
            bytes = quantization == WeightQuantization.None ? DecodeCost.BytesPerToken(dir, model.Config, trace) : model.WeightBytesPerToken();
        }
        var prompt = Enumerable.Range(100, 16).ToArray();
        var runs = new List<double>();
        long launches = 0;
        for (int run = 0; run < 3; run++)
        {
            using var session = model.CreateSession();
            var logits = session.Prefill(prompt);
            for (int i = 0; i < 8; i++) logits = session.Decode(ArgMax(logits));                // warm-up: kernels compiled, caches hot
            long l0 = gpu.Launches;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++) logits = session.Decode(ArgMax(logits));           // each step ends in a logits download
            sw.Stop();
            launches = (gpu.Launches - l0) / tokens;
            runs.Add(sw.Elapsed.TotalSeconds / tokens);
        }
        double perToken = runs.Min();
        double achieved = bytes / perToken / 1e9;
        Console.WriteLine($"decode: {1 / perToken:F1} tokens/s ({perToken * 1e3:F3} ms/token, best of {string.Join(", ", runs.Select(r => $"{r * 1e3:F3}"))} ms)");
        Console.WriteLine($"        {bytes / 1e6:F1} MB of weights per token -> {achieved:F0} GB/s = {achieved / copyGBs:P1} of the copy baseline");
        Console.WriteLine($"        {launches} kernel launches per decode step ({model.Config.NumLayers} blocks)");
        return 0;
    }

    private static int ArgMax(float[] v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);
}
