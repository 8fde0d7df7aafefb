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
public class DecodeBenchmarks
{
    private LongCatModel _model = null!;
    private TokenSession _session = null!;
    private float[] _logits = [];
    private ReadBandwidth _read = null!;

    [Params(WeightResidency.Mapped, WeightResidency.Copied)]
    public WeightResidency Residency { get; set; }

    /// <summary>Bytes of weights one decoded token reads (set in setup).</summary>
    public long BytesPerToken { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        _model = LongCatModel.Load(dir, new ModelOptions { Residency = Residency });
        var trace = new ForwardTrace();
        using (var probe = _model.CreateSession()) probe.Prefill([5], trace: trace);
        BytesPerToken = DecodeCost.BytesPerToken(dir, _model.Config, trace);
        Console.WriteLine($"// bytes of weights per decoded token: {BytesPerToken}");
        Console.WriteLine($"// huge-page backed memory before the baseline buffer: {HugePageArena.ProcessHugePageBytes() >> 20} MiB");
        _read = new ReadBandwidth(BytesPerToken, 3L << 30);
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
