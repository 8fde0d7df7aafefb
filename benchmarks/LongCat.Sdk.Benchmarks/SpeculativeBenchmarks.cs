using BenchmarkDotNet.Attributes;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Greedy generation with and without MTP drafts on the same loaded engine, for two models: lite-mini with random weights (the
/// head's drafts are rarely accepted, so this measures what a verify step costs against a plain step) and the bundled demo model
/// (a trained head, continuing King James text). Ratio = time / plain time on the same model; the acceptance rate of each run is
/// printed once per model (see docs/PERFORMANCE.md).
/// </summary>
[ShortRunJob]
public class SpeculativeBenchmarks
{
    private const int Tokens = 64;
    private LongCatEngine _engine = null!;
    private int[] _prompt = [];

    /// <summary>"lite-mini" (random weights, canonical shape) or "demo" (models/longcat-demo).</summary>
    [Params("lite-mini", "demo")]
    public string Model { get; set; } = "lite-mini";

    [GlobalSetup]
    public void Setup()
    {
        if (Model == "demo")
        {
            _engine = LongCatEngine.LoadAsync(BenchCheckpoint.DemoModel).GetAwaiter().GetResult();
            _prompt = _engine.Tokenizer!.Encode("And God said, Let there be light: and there was light. And God saw the light,");
        }
        else
        {
            _engine = LongCatEngine.LoadAsync(BenchCheckpoint.EnsureLiteMini()).GetAwaiter().GetResult();
            _prompt = Enumerable.Range(100, 16).ToArray();
        }
        foreach (int k in new[] { 1, 2 })
        {
            var usage = Generate(k).Usage;
            Console.WriteLine($"// {Model}, MTP k={k}: acceptance {usage.AcceptanceRate:P1} ({usage.AcceptedDraftTokens}/{usage.DraftedTokens})");
        }
    }

    private (int Tokens, GenerationUsage Usage) Generate(int draftTokens)
    {
        int n = 0;
        GenerationUsage? usage = null;
        var options = new GenerationOptions { Temperature = 0, MaxTokens = Tokens, IgnoreEos = true, DraftTokens = draftTokens };
        var stream = _engine.GenerateAsync(_prompt, options).GetAsyncEnumerator();
        try
        {
            while (stream.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                n += stream.Current.TokenIds.Count;
                usage = stream.Current.Usage ?? usage;
            }
        }
        finally
        {
            stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return (n, usage ?? throw new InvalidOperationException("no usage"));
    }

    [Benchmark(Baseline = true, Description = "64 tokens, plain decoding")]
    public int Plain() => Generate(0).Tokens;

    [Benchmark(Description = "64 tokens, MTP k=1")]
    public int Mtp1() => Generate(1).Tokens;

    [Benchmark(Description = "64 tokens, MTP k=2")]
    public int Mtp2() => Generate(2).Tokens;

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}
