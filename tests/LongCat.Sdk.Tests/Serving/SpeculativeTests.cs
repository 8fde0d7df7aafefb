using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>Dense-MTP speculative decoding: exactness against plain decoding, and the rejection rule's output distribution.</summary>
[TestClass]
public sealed class SpeculativeTests
{
    private static async Task<(List<int> Tokens, GenerationUsage Usage)> Run(LongCatEngine engine, int[] prompt, GenerationOptions options)
    {
        var tokens = new List<int>();
        GenerationUsage? usage = null;
        await foreach (var u in engine.GenerateAsync(prompt, options))
        {
            tokens.AddRange(u.TokenIds);
            usage = u.Usage ?? usage;
        }
        return (tokens, usage!);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public async Task Greedy_Speculative_EqualsPlainGreedy_TokenForToken(int draftTokens)
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4 });
        Assert.IsNull(engine.SpeculationFallbackReason, "tiny-a has an MTP head");
        foreach (int p in new[] { 0, 1, 2 })
        {
            var prompt = golden.Ints($"prompt_p{p}");
            var options = new GenerationOptions { Temperature = 0, MaxTokens = 150, IgnoreEos = true };
            var plain = await Run(engine, prompt, options with { DraftTokens = 0 });
            var spec = await Run(engine, prompt, options with { DraftTokens = draftTokens });
            CollectionAssert.AreEqual(plain.Tokens, spec.Tokens, $"prompt {p}, k = {draftTokens}");
            Assert.AreEqual(0, plain.Usage.DraftedTokens);
            Assert.IsTrue(spec.Usage.DraftedTokens > 0, "drafts were verified");
            Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks, "rolled-back blocks all returned");
        }
    }

    [TestMethod]
    public async Task Greedy_SpeculativeBatchUnderCachePressure_EqualsPlain()
    {
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"),
            new LongCatOptions { KvBlockSize = 4, KvCacheBlocks = 40, MaxBatchTokens = 32, Speculative = SpeculativeOptions.Mtp(2) });
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 60, IgnoreEos = true };
        var prompts = Enumerable.Range(0, 3).Select(p => golden.Ints($"prompt_p{p}")).ToArray();
        var plain = new List<List<int>>();
        foreach (var prompt in prompts) plain.Add((await Run(engine, prompt, options with { DraftTokens = 0 })).Tokens);
        var spec = await Task.WhenAll(prompts.Select(prompt => Task.Run(() => Run(engine, prompt, options))));
        for (int p = 0; p < prompts.Length; p++) CollectionAssert.AreEqual(plain[p], spec[p].Tokens, $"prompt {p}");
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public async Task NoMtpWeights_FallsBackToPlainDecoding_AndSaysSo()
    {
        var log = new List<string>();
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-lite-a"), new LongCatOptions { Log = log.Add });
        Assert.IsNotNull(engine.SpeculationFallbackReason);
        Assert.AreEqual(1, log.Count, "logged once");
        var (tokens, usage) = await Run(engine, [1, 5, 9], new GenerationOptions { Temperature = 0, MaxTokens = 8, IgnoreEos = true });
        Assert.AreEqual(8, tokens.Count);
        Assert.AreEqual(0, usage.DraftedTokens);
    }

    /// <summary>
    /// The rejection rule on a hand-made 5-token vocabulary: drafts drawn from q, verified against p; the first emitted token must be
    /// distributed as p. Chi-square goodness of fit at α = 0.001 (critical value 18.47 for 4 degrees of freedom), fixed seeds.
    /// </summary>
    [TestMethod]
    [DataRow(new[] { 0.5f, 0.2f, 0.15f, 0.1f, 0.05f }, new[] { 0.1f, 0.1f, 0.2f, 0.3f, 0.3f })]
    [DataRow(new[] { 0.25f, 0.25f, 0.25f, 0.125f, 0.125f }, new[] { 0.7f, 0.05f, 0.05f, 0.1f, 0.1f })]
    // A draft vocabulary: the head drafts only tokens 0 and 2 (q is zero elsewhere); tokens 1, 3 and 4 come from the residual alone.
    [DataRow(new[] { 0.5f, 0.2f, 0.15f, 0.1f, 0.05f }, new[] { 0.6f, 0f, 0.4f, 0f, 0f })]
    public void RejectionSampling_EmittedTokens_FollowTheTargetDistribution(float[] p, float[] q)
    {
        const int trials = 20000;
        var logits = p.Select(v => MathF.Log(v)).ToArray();
        var counts = new int[p.Length];
        var draws = new Random(12345);
        var sequence = NewSequence(seed: 99);
        var scratch = new float[p.Length];
        for (int t = 0; t < trials; t++)
        {
            int d = Draw(q, draws);
            // Row 0 verifies the draft; row 1 would give the bonus token (same p here).
            var rows = logits.Concat(logits).ToArray();
            var emitted = SpeculativeDecoder.Verify(sequence, rows, p.Length, [d], [q], scratch, out _);
            counts[emitted[0]]++;
        }
        double chi2 = 0;
        for (int v = 0; v < p.Length; v++)
        {
            double expected = p[v] * trials;
            chi2 += (counts[v] - expected) * (counts[v] - expected) / expected;
        }
        Assert.IsTrue(chi2 < 18.47, $"chi-square {chi2:F2} (counts {string.Join(", ", counts)})");
    }

    [TestMethod]
    public void SampledDrafts_EachKeepsItsOwnDistribution_RowsReusedNextStep()
    {
        var sequence = NewSequence(seed: 7);
        float[] rising = [0, 1, 2, 3], falling = [3, 2, 1, 0];
        var pending = new List<int>();

        pending.Add(SpeculativeDecoder.Draft(sequence, rising, pending, out float[]? first));
        Assert.IsNotNull(first);
        float[] firstBefore = first.ToArray();
        pending.Add(SpeculativeDecoder.Draft(sequence, falling, pending, out var second));

        Assert.AreNotSame(first, second);
        CollectionAssert.AreEqual(firstBefore, first, "a chained draft must not overwrite the distribution of the draft before it");
        Assert.IsTrue(first[3] > first[0] && second![0] > second[3]);
        Assert.AreEqual(1.0, first.Sum(), 1e-5);
        // The next step's first draft writes the same row again (the previous drafts are verified by then): no allocation per step.
        pending.Clear();
        SpeculativeDecoder.Draft(sequence, falling, pending, out var next);
        Assert.AreSame(first, next);
    }

    [TestMethod]
    public void GreedyVerify_AcceptsMatchingPrefix_AndReplacesFirstMismatch()
    {
        var sequence = NewSequence(seed: null, temperature: 0);
        // Three rows over a 4-token vocabulary: argmaxes 2, 1, 3.
        float[] rows = [0, 0, 5, 0, /**/ 0, 5, 0, 0, /**/ 0, 0, 0, 5];
        var scratch = new float[4];
        CollectionAssert.AreEqual(new[] { 2, 1, 3 }, SpeculativeDecoder.Verify(sequence, rows, 4, [2, 1], null, scratch, out int all));
        Assert.AreEqual(2, all);
        CollectionAssert.AreEqual(new[] { 2, 1 }, SpeculativeDecoder.Verify(sequence, rows, 4, [2, 0], null, scratch, out int one));
        Assert.AreEqual(1, one);
        CollectionAssert.AreEqual(new[] { 2 }, SpeculativeDecoder.Verify(sequence, rows, 4, [3, 1], null, scratch, out int none));
        Assert.AreEqual(0, none);
    }

    private static Sequence NewSequence(int? seed, float temperature = 1f)
    {
        var options = new GenerationOptions { Temperature = temperature, Seed = seed };
        return new Sequence([0], options, new Sampler(options.ToSampling()), new OutputPipeline(null, [], false), new HashSet<int>(), 1000, 1);
    }

    private static int Draw(float[] w, Random rng)
    {
        double u = rng.NextDouble(), c = 0;
        for (int i = 0; i < w.Length; i++) if (u < (c += w[i])) return i;
        return w.Length - 1;
    }
}
