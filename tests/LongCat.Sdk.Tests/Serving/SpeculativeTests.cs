using LongCat.Sdk.Model;
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
        var log = new ListLogger();
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-lite-a"), new LongCatOptions { Logger = log });
        Assert.IsNotNull(engine.SpeculationFallbackReason);
        Assert.AreEqual(1, log.Messages.Count(m => m == engine.SpeculationFallbackReason), "logged once");
        var (tokens, usage) = await Run(engine, [1, 5, 9], new GenerationOptions { Temperature = 0, MaxTokens = 8, IgnoreEos = true });
        Assert.AreEqual(8, tokens.Count);
        Assert.AreEqual(0, usage.DraftedTokens);
    }

    [TestMethod]
    public void Choose_GreedyDrafts_AcceptsTheMatchingPrefix_AndReplacesTheFirstMismatch()
    {
        // Three rows over a 4-token vocabulary: argmaxes 2, 1, 3.
        float[] rows = [0, 0, 5, 0, /**/ 0, 5, 0, 0, /**/ 0, 0, 0, 5];

        CollectionAssert.AreEqual(new[] { 2, 1, 3 }, Choose(temperature: 0, seed: null, rows, 4, [2, 1], out int all));
        Assert.AreEqual(2, all);
        CollectionAssert.AreEqual(new[] { 2, 1 }, Choose(temperature: 0, seed: null, rows, 4, [2, 0], out int one));
        Assert.AreEqual(1, one);
        CollectionAssert.AreEqual(new[] { 2 }, Choose(temperature: 0, seed: null, rows, 4, [3, 1], out int none));
        Assert.AreEqual(0, none);
    }

    /// <summary>
    /// Sampled verification emits exactly what plain seeded sampling emits at the same token indices, whatever the drafts: each
    /// row's token is the target's own draw at its index, drafts are accepted while they equal it.
    /// </summary>
    [TestMethod]
    public void Choose_SampledDrafts_TokensAreThePlainDrawsAtTheSameIndices()
    {
        const int vocab = 50, k = 3;
        var random = new Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            float[] rows = Enumerable.Range(0, (k + 1) * vocab).Select(_ => (float)(random.NextDouble() * 4)).ToArray();
            // What plain decoding draws at indices 1..k+1 (the prompt is one token), each from its own row.
            var plain = new Sampler(new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, Seed = trial });
            int[] expected = Enumerable.Range(0, k + 1).Select(i => plain.Sample(rows.AsSpan(i * vocab, vocab).ToArray(), [0], [], 1 + i)).ToArray();
            // Drafts that agree for a random prefix, then (usually) do not.
            int agree = random.Next(0, k + 1);
            int[] drafts = Enumerable.Range(0, k).Select(i => i < agree ? expected[i] : random.Next(vocab)).ToArray();

            var tokens = Choose(0.9f, trial, rows, vocab, drafts, out int accepted, topP: 0.95f);

            int expectAccepted = Enumerable.Range(0, k).TakeWhile(i => drafts[i] == expected[i]).Count();
            Assert.AreEqual(expectAccepted, accepted, $"trial {trial}");
            CollectionAssert.AreEqual(expected[..(expectAccepted + 1)], tokens, $"trial {trial}");
        }
    }

    /// <summary>
    /// A draft raced against the same noise as the target (drafter-invariant coupling) agrees with it at least (1 − TV)/(1 + TV) of
    /// the time, and the target's draws are distributed as p whatever the drafter does. Fixed seeds; the bounds leave six standard
    /// deviations.
    /// </summary>
    [TestMethod]
    [DataRow(new[] { 0.5f, 0.2f, 0.15f, 0.1f, 0.05f }, new[] { 0.4f, 0.25f, 0.15f, 0.1f, 0.1f })]
    [DataRow(new[] { 0.25f, 0.25f, 0.25f, 0.125f, 0.125f }, new[] { 0.7f, 0.05f, 0.05f, 0.1f, 0.1f })]
    [DataRow(new[] { 0.5f, 0.2f, 0.15f, 0.1f, 0.05f }, new[] { 0.6f, 0f, 0.4f, 0f, 0f })]
    public void CoupledDrafts_AgreeWithTheTargetAsTheCouplingPromises(float[] p, float[] q)
    {
        const int trials = 20000;
        var target = new Sampler(new SamplingOptions { Seed = 5 });
        var drafter = new Sampler(new SamplingOptions { Seed = 5 });
        var pLogits = p.Select(v => MathF.Log(v)).ToArray();
        var qLogits = q.Select(v => v > 0 ? MathF.Log(v) : float.NegativeInfinity).ToArray();
        int agree = 0;
        var counts = new int[p.Length];
        for (int n = 0; n < trials; n++)
        {
            int t = target.Sample(pLogits.ToArray(), [], [], n);
            counts[t]++;
            if (drafter.Sample(qLogits.ToArray(), [], [], n) == t) agree++;
        }
        double tv = 0.5 * p.Zip(q, (a, b) => Math.Abs(a - b)).Sum();
        double bound = (1 - tv) / (1 + tv), sd = Math.Sqrt(bound * (1 - bound) / trials);
        Assert.IsTrue(agree / (double)trials > bound - 6 * sd, $"agreement {agree / (double)trials:F4}, bound {bound:F4} (TV {tv:F3})");
        for (int v = 0; v < p.Length; v++) Assert.AreEqual(p[v], counts[v] / (double)trials, 6 * Math.Sqrt(p[v] * (1 - p[v]) / trials), $"token {v}");
    }

    private static int[] Choose(float temperature, int? seed, float[] rows, int vocab, int[] drafts, out int accepted, float topP = 1f)
    {
        var options = new GenerationOptions { Temperature = temperature, TopP = topP, Seed = seed };
        var sequence = new Sequence([0], options, new OutputPipeline(null, []), new HashSet<int>(), 1000, draftTokens: drafts.Length);
        var entry = new StepEntry(sequence, start: 0, pending: 1);
        entry.AttachDrafts(drafts);
        var buffers = new ResultBuffers();
        rows.CopyTo(buffers.Next(rows.Length), 0);
        var result = new ForwardResult(buffers, rows.Length / vocab, vocab, null);
        var tokens = new List<int>();
        accepted = new SpeculativeDecoder(null, vocab).Choose(entry, result, tokens);
        return [.. tokens];
    }
}
