using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-sequence decode on the lite-mini checkpoint for both weight residencies, against a read of the same number of bytes
/// (the weights one token touches) with all cores from a buffer far larger than the caches: Ratio = decode time / read time.
/// </summary>
[ShortRunJob]
public class DecodeBenchmarks : SingleStreamDecode
{
    [Params(WeightResidency.Mapped, WeightResidency.Copied)]
    public WeightResidency Residency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Start(new ModelOptions { Residency = Residency }, Residency.ToString());
        Console.WriteLine($"// huge-page backed memory before the baseline buffer: {HugePageArena.ProcessHugePageBytes() >> 20} MiB");
    }
}
