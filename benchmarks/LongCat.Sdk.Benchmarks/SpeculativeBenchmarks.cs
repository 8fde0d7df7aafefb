using BenchmarkDotNet.Attributes;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Greedy generation of 32 tokens with and without MTP drafts on the same loaded engine (lite-mini, random weights, so the head's
/// drafts are rarely accepted: this measures what a verify step costs against a plain step). Ratio = time / plain time.
/// The demo model's figures (trained head, real acceptance) come from `longcat bench`, see docs/PERFORMANCE.md.
/// </summary>
[ShortRunJob]
public class SpeculativeBenchmarks
{
    private const int Tokens = 32;
    private LongCatEngine _engine = null!;
    private int[] _prompt = [];

    [GlobalSetup]
    public void Setup()
    {
        _engine = LongCatEngine.LoadAsync(BenchCheckpoint.EnsureLiteMini()).GetAwaiter().GetResult();
        _prompt = Enumerable.Range(100, 16).ToArray();
    }

    private int Generate(int draftTokens)
    {
        int n = 0;
        var options = new GenerationOptions { Temperature = 0, MaxTokens = Tokens, IgnoreEos = true, DraftTokens = draftTokens };
        var stream = _engine.GenerateAsync(_prompt, options).GetAsyncEnumerator();
        try
        {
            while (stream.MoveNextAsync().AsTask().GetAwaiter().GetResult()) n += stream.Current.TokenIds.Count;
        }
        finally
        {
            stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return n;
    }

    [Benchmark(Baseline = true, Description = "32 tokens, plain decoding")]
    public int Plain() => Generate(0);

    [Benchmark(Description = "32 tokens, MTP k=1")]
    public int Mtp1() => Generate(1);

    [Benchmark(Description = "32 tokens, MTP k=2")]
    public int Mtp2() => Generate(2);

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}
