using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>The engine loop through the public API on the fixtures (token ids: the fixtures have no tokenizer).</summary>
[TestClass]
public sealed class EngineTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 16, IgnoreEos = true };

    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public async Task Generate_Greedy_EqualsGoldenContinuation(string fixture)
    {
        using var golden = new Golden(Fixtures.Dir(fixture));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir(fixture));
        var (tokens, last) = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p1"), Greedy));
        CollectionAssert.AreEqual(golden.Ints("greedy_p1"), tokens);
        Assert.AreEqual(FinishReason.Length, last.FinishReason);
        Assert.AreEqual(17, last.Usage!.PromptTokens);
        Assert.AreEqual(16, last.Usage.CompletionTokens);
    }

    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public async Task Generate_ConcurrentRequests_EachMatchesItsGoldenContinuation(string fixture)
    {
        using var golden = new Golden(Fixtures.Dir(fixture));
        // Small blocks and a small cache: the three sequences share steps, cross blocks and preempt one another.
        // 24 blocks of 4 tokens: the longest request alone needs 20 (64 + 16 tokens), all three together 31.
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir(fixture), new LongCatOptions { KvBlockSize = 4, KvCacheBlocks = 24, MaxBatchTokens = 24 });
        Assert.AreEqual(24, engine.TotalKvBlocks);
        var runs = Enumerable.Range(0, 3).Select(p => Task.Run(() => Streams.Collect(engine.GenerateAsync(golden.Ints($"prompt_p{p}"), Greedy)))).ToArray();
        var results = await Task.WhenAll(runs);
        for (int p = 0; p < 3; p++) CollectionAssert.AreEqual(golden.Ints($"greedy_p{p}"), results[p].Tokens, $"prompt {p}");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks, "every block is back in the pool");
    }

    [TestMethod]
    public async Task Generate_CancelledMidStream_EndsWithCancelledAndFreesBlocks()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 });
        int free = engine.FreeKvBlocks;
        using var cts = new CancellationTokenSource();
        var updates = new List<GenerationUpdate>();
        long stepsAtCancel = 0;
        await foreach (var u in engine.GenerateAsync(golden.Ints("prompt_p0"), Greedy with { MaxTokens = 2000 }, cts.Token))
        {
            updates.Add(u);
            if (updates.Count == 3)
            {
                // Read after the request is flagged: only a step already in flight may still finish (reading before left a
                // window in which the loop completed one step and began the next before the flag was set).
                cts.Cancel();
                stepsAtCancel = engine.Statistics.Steps;
            }
        }
        Assert.AreEqual(FinishReason.Cancelled, updates[^1].FinishReason);
        // Updates already queued may still arrive, but the loop runs at most the step in flight after the cancellation.
        Assert.IsTrue(engine.Statistics.Steps - stepsAtCancel <= 1, $"steps after cancellation: {engine.Statistics.Steps - stepsAtCancel}");
        Assert.IsTrue(updates.Count < 2000, "the generation did not run to its end");
        Assert.AreEqual(free, engine.FreeKvBlocks, "the cancelled sequence's blocks are free");
    }

    [TestMethod]
    public async Task Generate_ReaderStopsEarly_BlocksAreFreed()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 });
        int free = engine.FreeKvBlocks;
        await foreach (var u in engine.GenerateAsync(golden.Ints("prompt_p2"), Greedy with { MaxTokens = 2000 }))
            break;
        // The loop frees the sequence at its next step; wait a bounded time for it.
        for (int i = 0; i < 500 && engine.FreeKvBlocks != free; i++) await Task.Delay(10);
        Assert.AreEqual(free, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task Generate_StopTokenId_EndsWithStopBeforeThatToken()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        var expected = golden.Ints("greedy_p0");
        int stopAt = Enumerable.Range(3, expected.Length - 3).First(i => Array.IndexOf(expected, expected[i]) == i);   // first new token from step 3 on
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        var (tokens, last) = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p0"), Greedy with { StopTokenIds = [expected[stopAt]] }));
        Assert.AreEqual(FinishReason.Stop, last.FinishReason);
        CollectionAssert.AreEqual(expected[..stopAt], tokens, "output up to, not including, the stop token");
    }

    [TestMethod]
    public async Task Generate_SameSeed_SameTokens_DifferentSeed_Differs()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        var sampled = new GenerationOptions { Temperature = 1.5f, MaxTokens = 24, Seed = 7, IgnoreEos = true };
        var a = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p1"), sampled));
        var b = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p1"), sampled));
        var c = await Streams.Collect(engine.GenerateAsync(golden.Ints("prompt_p1"), sampled with { Seed = 8 }));
        CollectionAssert.AreEqual(a.Tokens, b.Tokens);
        CollectionAssert.AreNotEqual(a.Tokens, c.Tokens);
    }

    [TestMethod]
    public async Task Generate_PromptLongerThanContext_ThrowsContextOverflowAtAdmission()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        var prompt = Enumerable.Repeat(5, engine.Config.MaxPositionEmbeddings).ToArray();
        Assert.ThrowsExactly<ContextOverflowException>(() => engine.GenerateAsync(prompt, Greedy));
        // The engine still serves others.
        var (tokens, _) = await Streams.Collect(engine.GenerateAsync([1, 2, 3], Greedy with { MaxTokens = 3 }));
        Assert.AreEqual(3, tokens.Count);
    }

    [TestMethod]
    public async Task Generate_InvalidOptionsOrTokens_ThrowNamingTheProblem()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => engine.GenerateAsync([1, 2], new GenerationOptions { Temperature = -1 }));
        StringAssert.Contains(e.Message, "Temperature");
        var t = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => engine.GenerateAsync([1, 99999], Greedy));
        StringAssert.Contains(t.Message, "vocabulary");
    }

    [TestMethod]
    public async Task LoadAsync_ReportsProgressAndHonoursCancellation()
    {
        var stages = new List<LoadProgress>();
        var progress = new SynchronousProgress<LoadProgress>(stages.Add);
        await using (var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), progress: progress))
        {
            Assert.AreEqual("ready", stages[^1].Stage);
            var weights = stages.Where(s => s.Stage == "weights").ToList();
            Assert.IsTrue(weights.Count > 10, "progress per tensor");
            Assert.AreEqual(1.0, weights[^1].Fraction, 1e-9);
        }
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), cancellationToken: cts.Token));
    }

    [TestMethod]
    public void EstimateMemory_MatchesCheckpointAndCacheSizes()
    {
        var options = new LongCatOptions { KvCacheMemory = 1 << 20, KvBlockSize = 16 };
        var m = LongCatEngine.EstimateMemory(Fixtures.Dir("tiny-a"), options);
        using var model = LongCatModel.Load(Fixtures.Dir("tiny-a"), new ModelOptions { KvCacheMemory = 1 << 20, KvBlockSize = 16 });
        Assert.AreEqual(model.WeightBytes, m.WeightBytes);
        Assert.AreEqual((long)model.KvCacheBlocks * 16, m.KvCacheTokens);
        Assert.IsTrue(m.KvCacheBytes <= 1 << 20 && m.KvCacheBytes > (1 << 20) / 2);
    }
}
