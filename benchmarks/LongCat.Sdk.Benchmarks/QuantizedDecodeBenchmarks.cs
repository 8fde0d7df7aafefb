using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-sequence decode on lite-mini with 8-bit and 4-bit weights (and unquantized, for reference), Copied, against a read of
/// the bytes each actually reads per token (quantized values and scales): see <see cref="SingleStreamDecode"/>.
/// </summary>
[ShortRunJob]
public class QuantizedDecodeBenchmarks : SingleStreamDecode
{
    [Params(WeightQuantization.None, WeightQuantization.Q8, WeightQuantization.Q4)]
    public WeightQuantization Quantization { get; set; }

    [GlobalSetup]
    public void Setup() =>
        Start(new ModelOptions { Residency = Compute.WeightResidency.Copied, Quantization = Quantization }, $"{Quantization}, kernels Q8 {QuantKernels.Best(DType.Q8)}, Q4 {QuantKernels.Best(DType.Q4)}");
}
