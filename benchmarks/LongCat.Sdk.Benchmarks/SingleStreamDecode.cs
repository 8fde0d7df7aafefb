using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Single-sequence decode on lite-mini against a read of the bytes one token reads (<see cref="DecodeCost"/>) with all cores from
/// a buffer far larger than the caches: Ratio = decode time / read time, so the fraction of bandwidth is 1 / Ratio. Derived
/// classes choose the load options in their [GlobalSetup] and call <see cref="Start"/>.
/// </summary>
public abstract class SingleStreamDecode
{
    private LongCatModel _model = null!;
    private TokenSession _session = null!;
    private float[] _logits = [];
    private ReadBandwidth _read = null!;

    /// <summary>Bytes of weights one decoded token reads (set in setup).</summary>
    public long BytesPerToken { get; private set; }

    /// <summary>Loads lite-mini with <paramref name="options"/>, measures the bytes a token reads and prepares the baseline read.</summary>
    private protected void Start(ModelOptions options, string label)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        _model = LongCatModel.Load(dir, options);
        var trace = new ForwardTrace();
        using (var probe = _model.CreateSession()) probe.Prefill([5], trace: trace);
        BytesPerToken = DecodeCost.BytesPerToken(dir, _model.Config, trace, options.Quantization);
        Console.WriteLine($"// {label}: bytes of weights per decoded token: {BytesPerToken}");
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
