using System.Text.RegularExpressions;

namespace LongCat.Sdk.Tests.Serving;

/// <summary><see cref="LongCatOptions.WarmUp"/>: the load decodes on a private loop and leaves the engine as a cold load would.</summary>
[TestClass]
public sealed class WarmUpTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 16, IgnoreEos = true };

    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public async Task WarmUp_RunsAtLeast64Steps_LeavesStatisticsCacheAndOutputsUntouched(string fixture)
    {
        using var golden = new Golden(Fixtures.Dir(fixture));
        var log = new ListLogger();
        var stages = new List<string>();
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir(fixture), new LongCatOptions { WarmUp = true, Logger = log },
            new SynchronousProgress<LoadProgress>(p => stages.Add(p.Stage)));

        var warmed = log.Messages.Select(m => Regex.Match(m, @"^Warmed up in [\d.]+ s \((\d+) steps\)$")).Single(m => m.Success);
        Assert.IsTrue(int.Parse(warmed.Groups[1].Value) >= 64, warmed.Value);
        CollectionAssert.AreEqual(new[] { "warm-up", "ready" }, stages.SkipWhile(s => s != "warm-up").ToArray());
        Assert.AreEqual(0, engine.Statistics.Steps, "the warm-up's steps are not the engine's");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks, "no block is held or cached");

        var (tokens, _) = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p1"), Greedy));
        CollectionAssert.AreEqual(golden.Ints("greedy_p1"), tokens);
        Assert.AreEqual(0, engine.Statistics.PrefixCacheHitTokens);
    }

    [TestMethod]
    public async Task WarmUp_SpeculativeDemoModel_GreedyOutputEqualsAColdEngines()
    {
        string model = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        int[] prompt = [.. Enumerable.Range(0, 24).Select(i => 5 + 37 * i % 4000)];
        var options = Greedy with { MaxTokens = 40 };

        await using var cold = await LongCatEngine.LoadAsync(model, new LongCatOptions { Device = ComputeDevice.Cpu });
        var (expected, _) = await Streams.Collect(cold.GenerateAsync(prompt, options));
        await using var warm = await LongCatEngine.LoadAsync(model, new LongCatOptions { Device = ComputeDevice.Cpu, WarmUp = true });
        var (actual, last) = await Streams.Collect(warm.GenerateAsync(prompt, options));

        CollectionAssert.AreEqual(expected, actual);
        Assert.IsTrue(warm.Statistics.DraftedTokens > 0, "the request speculated");
        Assert.AreEqual(40, last.Usage!.CompletionTokens);
    }

    [TestMethod]
    public async Task WarmUp_CancelledWhileWarming_LoadThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<LoadProgress>(p => { if (p.Stage == "warm-up") cts.Cancel(); });

        var log = new ListLogger();

        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { WarmUp = true, Logger = log }, progress, cts.Token));
        Assert.IsFalse(log.Messages.Any(m => m.StartsWith("Warmed up", StringComparison.Ordinal)), string.Join('\n', log.Messages));
    }

    [TestMethod]
    public async Task WarmUp_CacheTooSmallToDecodeIn_IsSkippedAndLogged_TheEngineStillServes()
    {
        var log = new ListLogger();
        // Two tokens of cache: a one-token prompt and its answer fit, a warm-up request does not.
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"),
            new LongCatOptions { WarmUp = true, Logger = log, KvBlockSize = 1, KvCacheBlocks = 2 });

        Assert.IsTrue(log.Messages.Any(m => m.StartsWith("Warm-up skipped: the KV cache holds too few tokens (2)", StringComparison.Ordinal)),
            string.Join('\n', log.Messages));
        var (tokens, _) = await Streams.Collect(engine.GenerateAsync([3], Greedy with { MaxTokens = 1 }));
        Assert.AreEqual(1, tokens.Count);
    }
}
