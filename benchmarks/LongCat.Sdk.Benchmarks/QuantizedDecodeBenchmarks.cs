using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-sequence decode on lite-mini with 8-bit and 4-bit weights (and unquantized, for reference), Copied, against a read of
/// the bytes each actually reads per token (quantized values and scales, <see cref="DecodeCost"/>) with all cores from a buffer
/// far larger than the caches: Ratio = decode time / read time, so the fraction of bandwidth is 1 / Ratio.
/// </summary>
[ShortRunJob]
public class QuantizedDecodeBenchmarks
{
    private LongCatModel _model = null!;
    private TokenSession _session = null!;
    private float[] _logits = [];
    private ReadBandwidth _read = null!;

    [Params(WeightQuantization.None, WeightQuantization.Q8, WeightQuantization.Q4)]
    public WeightQuantization Quantization { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        _model = LongCatModel.Load(dir, new ModelOptions { Residency = Compute.WeightResidency.Copied, Quantization = Quantization });
        var trace = new ForwardTrace();
        using (var probe = _model.CreateSession()) probe.Prefill([5], trace: trace);
        long bytes = DecodeCost.BytesPerToken(dir, _model.Config, trace, Quantization);
        Console.WriteLine($"// {Quantization}: bytes of weights per decoded token: {bytes}; kernels: {QuantKernels.Best}");
        _read = new ReadBandwidth(bytes, 3L << 30);
        Restart();
    }

    private void Restart()
    {
        _session?.Dispose();
        _session = _model.CreateSession();
        _logits = _session.Prefill(Enumerable.Range(100, 16).ToArray());
    }

    [Benchmark(Baseline = true, Description = "read bytes-per-token (all cores)")]
    public double ReadSameBytes() => _read.Run();

    [Benchmark(Description = "decode one token")]
    public int DecodeToken()
    {
        if (_session.Tokens.Count > 1000) Restart();
        int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(_logits);
        _logits = _session.Decode(next);
        return next;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _model.Dispose();
        _read.Dispose();
    }
}
