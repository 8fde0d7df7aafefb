using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>The sampler's filters, greedy path and seeded draws.</summary>
[TestClass]
public sealed class SamplerTests
{
    // p = [0.1, 0.4, 0.2, 0.3]; ranked: 1 (0.4), 3 (0.3), 2 (0.2), 0 (0.1).
    private static readonly float[] Hand = [MathF.Log(0.1f), MathF.Log(0.4f), MathF.Log(0.2f), MathF.Log(0.3f)];

    private static (int[] Ids, float[] Probs) Candidates(SamplingOptions options, float[] logits) =>
        new Sampler(options).Candidates(logits, [], []);

    private static void AssertProbs(float[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-5f, $"prob {i}");
    }

    [TestMethod]
    [DataRow(0.35f, new[] { 1 })]        // mass above token 3 is 0.4 >= 0.35
    [DataRow(0.65f, new[] { 1, 3 })]     // above 3: 0.4 < 0.65; above 2: 0.7 >= 0.65
    [DataRow(0.75f, new[] { 1, 2, 3 })]  // above 2: 0.7 < 0.75; above 0: 0.9 >= 0.75
    [DataRow(0.95f, new[] { 0, 1, 2, 3 })]
    public void TopP_HandDistribution_KeepsTheSmallestSetReachingP(float topP, int[] expected)
    {
        var (ids, probs) = Candidates(new SamplingOptions { TopP = topP }, Hand);

        CollectionAssert.AreEqual(expected, ids);
        float kept = expected.Sum(i => new[] { 0.1f, 0.4f, 0.2f, 0.3f }[i]);
        AssertProbs(expected.Select(i => new[] { 0.1f, 0.4f, 0.2f, 0.3f }[i] / kept).ToArray(), probs);
    }

    [TestMethod]
    [DataRow(0.6f, new[] { 1, 3 })]      // keep p >= 0.24
    [DataRow(0.45f, new[] { 1, 2, 3 })]  // keep p >= 0.18
    [DataRow(1f, new[] { 1 })]           // only the most likely
    [DataRow(0.2f, new[] { 0, 1, 2, 3 })]
    public void MinP_HandDistribution_KeepsTokensAtLeastMinPTimesTheTop(float minP, int[] expected)
    {
        var (ids, _) = Candidates(new SamplingOptions { MinP = minP }, Hand);

        CollectionAssert.AreEqual(expected, ids);
    }

    [TestMethod]
    public void TopP_EqualLogits_CutsTiesByLowestId()
    {
        // Ten tokens at 0.1 each: a token is kept while the mass above it (0, 0.1, ..., 0.4) is below 0.45.
        var (ids, probs) = Candidates(new SamplingOptions { TopP = 0.45f }, new float[10]);

        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, ids);
        AssertProbs([0.2f, 0.2f, 0.2f, 0.2f, 0.2f], probs);
    }

    [TestMethod]
    public void TopKThenTopP_TopPIsRelativeToTheTopKSurvivors()
    {
        // Alone, top-p 0.5 keeps {1, 3} (mass above 3 is 0.4). After top-k 2 the survivors are 1: 4/7, 3: 3/7, and the
        // mass above 3 is 4/7 >= 0.5, so only 1 stays.
        var alone = Candidates(new SamplingOptions { TopP = 0.5f }, Hand);
        var afterTopK = Candidates(new SamplingOptions { TopK = 2, TopP = 0.5f }, Hand);

        CollectionAssert.AreEqual(new[] { 1, 3 }, alone.Ids);
        CollectionAssert.AreEqual(new[] { 1 }, afterTopK.Ids);
    }

    [TestMethod]
    public void TopPThenMinP_BothFiltersApply()
    {
        var (ids, probs) = Candidates(new SamplingOptions { TopP = 0.75f, MinP = 0.6f }, Hand);

        CollectionAssert.AreEqual(new[] { 1, 3 }, ids);
        AssertProbs([0.4f / 0.7f, 0.3f / 0.7f], probs);
    }

    [TestMethod]
    public void Temperature_Half_SquaresTheProbabilities()
    {
        var (ids, probs) = Candidates(new SamplingOptions { Temperature = 0.5f }, Hand);

        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, ids);
        AssertProbs([0.01f / 0.30f, 0.16f / 0.30f, 0.04f / 0.30f, 0.09f / 0.30f], probs);
    }

    [TestMethod]
    public void TopK_LargeVocabulary_KeepsTheKLargestLikeAFullSort()
    {
        var random = new Random(99);
        float[] logits = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        int[] expected = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(37).Select(x => x.i).Order().ToArray();

        var (ids, probs) = Candidates(new SamplingOptions { TopK = 37 }, logits);

        CollectionAssert.AreEqual(expected, ids);
        Assert.AreEqual(1.0, probs.Sum(p => (double)p), 1e-5);
    }

    [TestMethod]
    public void Filters_RandomLogits_MatchANaiveFullSortReference()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 40; trial++)
        {
            float[] logits = Enumerable.Range(0, 3000).Select(_ => (float)(random.NextDouble() * 12 - 6)).ToArray();
            var options = new SamplingOptions
            {
                Temperature = 0.3f + (float)random.NextDouble(),
                TopK = trial % 3 == 0 ? 0 : 1 + random.Next(400),
                TopP = trial % 4 == 1 ? 1f : 0.5f + 0.49f * (float)random.NextDouble(),
                MinP = trial % 5 == 2 ? 0f : 0.2f * (float)random.NextDouble(),
            };

            var (ids, probs) = Candidates(options, logits);
            var (refIds, refProbs) = NaiveReference.Filter(logits, options);

            CollectionAssert.AreEqual(refIds, ids, $"trial {trial}: {options}");
            for (int i = 0; i < ids.Length; i++) Assert.AreEqual(refProbs[i], probs[i], 1e-5, $"trial {trial}, token {ids[i]}");
        }
    }

    [TestMethod]
    public void Greedy_Ties_PicksTheLowestId()
    {
        float[] logits = [1f, 3f, -2f, 3f, 0f];

        Assert.AreEqual(1, new Sampler(SamplingOptions.Greedy).Sample(logits, [], []));
        Assert.AreEqual(1, new Sampler(new SamplingOptions { TopK = 1, Seed = 3 }).Sample(logits, [], []));
    }

    [TestMethod]
    public void TopK1_RandomLogits_EqualsGreedy()
    {
        var random = new Random(11);
        var greedy = new Sampler(SamplingOptions.Greedy);
        var topK1 = new Sampler(new SamplingOptions { Temperature = 1.3f, TopK = 1, Seed = 1 });
        for (int trial = 0; trial < 50; trial++)
        {
            float[] logits = Enumerable.Range(0, 1000).Select(_ => (float)random.Next(-500, 500) / 10).ToArray(); // coarse: ties happen

            Assert.AreEqual(greedy.Sample((float[])logits.Clone(), [], []), topK1.Sample((float[])logits.Clone(), [], []), $"trial {trial}");
        }
    }

    [TestMethod]
    public void Sample_SameSeed_GivesTheSameHundredDraws_AndAnotherSeedDiffers()
    {
        float[] logits = Enumerable.Range(0, 50).Select(i => MathF.Sin(i) * 2).ToArray();
        static int[] Draws(int seed, float[] logits)
        {
            var sampler = new Sampler(new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, Seed = seed });
            return Enumerable.Range(0, 100).Select(_ => sampler.Sample((float[])logits.Clone(), [], [])).ToArray();
        }

        CollectionAssert.AreEqual(Draws(42, logits), Draws(42, logits));
        CollectionAssert.AreNotEqual(Draws(42, logits), Draws(43, logits));
        Assert.IsTrue(Draws(42, logits).Distinct().Count() > 5, "the draws should vary");
    }

    [TestMethod]
    public void Sample_TemperatureOneNoFilters_HitsEachTokenAtItsProbability()
    {
        float[] p = [0.1f, 0.2f, 0.3f, 0.4f];
        float[] logits = p.Select(x => MathF.Log(x)).ToArray();
        var sampler = new Sampler(new SamplingOptions { Seed = 2024 });
        var counts = new int[4];

        for (int i = 0; i < 20000; i++) counts[sampler.Sample((float[])logits.Clone(), [], [])]++;

        // One standard deviation of a frequency here is at most 0.0035; allow about six.
        for (int t = 0; t < 4; t++) Assert.AreEqual(p[t], counts[t] / 20000f, 0.02f, $"token {t}: {counts[t]} hits");
    }

    [TestMethod]
    public void Sample_LargeVocabulary_IsTheExponentialRaceOfTheDrawsNoise()
    {
        var random = new Random(8);
        float[] logits = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 8)).ToArray();
        var options = new SamplingOptions { Temperature = 0.8f, MinP = 0.01f, Seed = 77 };
        var sampler = new Sampler(options);
        float[] probs = sampler.Probabilities(logits, [], []);

        for (int draw = 0; draw < 1000; draw++)
        {
            // Draw n races every surviving token v with score p(v) / E(n, v), E = −ln U(n, v), U from the seed's stream at n.
            var (k0, k1) = SamplingNoise.Key(77, draw);
            int expected = -1;
            double best = double.NegativeInfinity;
            for (int id = 0; id < probs.Length; id++)
            {
                if (probs[id] <= 0) continue;
                double score = probs[id] / -Math.Log(SamplingNoise.Uniform(k0, k1, id));
                if (score > best) (best, expected) = (score, id);
            }

            Assert.AreEqual(expected, sampler.Sample((float[])logits.Clone(), [], []), $"draw {draw}");
        }
    }

    [TestMethod]
    public void Sample_AtAnIndex_DependsOnlyOnTheIndex_NotOnEarlierDraws()
    {
        float[] logits = Enumerable.Range(0, 64).Select(i => MathF.Cos(i) * 3).ToArray();
        var options = new SamplingOptions { Temperature = 1.2f, TopK = 20, Seed = 11 };
        var inOrder = new Sampler(options);
        int[] sequential = Enumerable.Range(0, 50).Select(_ => inOrder.Sample((float[])logits.Clone(), [], [])).ToArray();
        var skipping = new Sampler(options);

        for (int n = 49; n >= 0; n -= 3) Assert.AreEqual(sequential[n], skipping.Sample((float[])logits.Clone(), [], [], n), $"index {n}");
        Assert.IsTrue(sequential.Distinct().Count() > 5, "the draws vary");
    }

    [TestMethod]
    public void Noise_VectorAndScalarForms_AgreeBitForBit()
    {
        var (k0, k1) = SamplingNoise.Key(123456789, 4242);
        int[] ids = Enumerable.Range(0, 1037).Select(i => i * 7 + 3).ToArray();
        var e = new float[ids.Length];
        SamplingNoise.Exponentials(k0, k1, ids, e);

        for (int i = 0; i < ids.Length; i++)
        {
            float u = SamplingNoise.Uniform(k0, k1, ids[i]);
            Assert.IsTrue(u > 0f && u < 1f, $"U({ids[i]}) = {u}");
            float scalar = -MathF.Log(u);
            Assert.AreEqual(scalar, e[i], Math.Abs(scalar) * 2e-7f + 1e-30f, $"id {ids[i]}");
        }
    }

    [TestMethod]
    public void Pcg32_Advance_EqualsSteppingThatManyTimes()
    {
        var stepped = new Pcg32(2024, 7);
        for (int i = 0; i < 1000; i++) stepped.NextUInt32();
        var jumped = new Pcg32(2024, 7);
        jumped.Advance(1000);

        Assert.AreEqual(stepped.NextUInt32(), jumped.NextUInt32());
        Assert.AreEqual(stepped.NextUInt32(), jumped.NextUInt32());
    }

    [TestMethod]
    public void Probabilities_AreTheDistributionSampleDrawsFrom_AndConsumeNoRandomness()
    {
        var options = new SamplingOptions { TopK = 3, RepetitionPenalty = 1.5f, Seed = 9 };
        var withProbabilities = new Sampler(options);
        var plain = new Sampler(options);
        int[] prompt = [1];

        float[] probs = withProbabilities.Probabilities(Hand, prompt, []);
        int[] a = Enumerable.Range(0, 30).Select(_ => withProbabilities.Sample((float[])Hand.Clone(), prompt, [])).ToArray();
        int[] b = Enumerable.Range(0, 30).Select(_ => plain.Sample((float[])Hand.Clone(), prompt, [])).ToArray();

        CollectionAssert.AreEqual(b, a);
        Assert.AreEqual(0f, probs[0], "top-3 drops token 0");
        Assert.AreEqual(1.0, probs.Sum(x => (double)x), 1e-6);
        Assert.IsTrue(a.All(t => probs[t] > 0f));
    }

    [TestMethod]
    public void Probabilities_Greedy_IsOneHotAtTheArgmax()
    {
        CollectionAssert.AreEqual(new[] { 0f, 1f, 0f, 0f }, new Sampler(SamplingOptions.Greedy).Probabilities(Hand, [], []));
    }

    [TestMethod]
    public void Pcg32_MatchesTheReferenceImplementation()
    {
        // pcg32-demo: pcg32_srandom_r(&rng, 42u, 54u) prints these first.
        var rng = new Pcg32(42, 54);
        uint[] expected = [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e];

        CollectionAssert.AreEqual(expected, expected.Select(_ => rng.NextUInt32()).ToArray());
    }

    [TestMethod]
    [DataRow(0, 1f, 0f, DisplayName = "no filters")]
    [DataRow(40, 0.9f, 0.05f, DisplayName = "top-k, top-p, min-p")]
    [DataRow(0, 0.9f, 0f, DisplayName = "top-p over the whole vocabulary")]
    public void Sample_AfterWarmUp_AllocatesNothing(int topK, float topP, float minP)
    {
        var random = new Random(3);
        float[] logits = Enumerable.Range(0, 32768).Select(_ => (float)(random.NextDouble() * 16 - 8)).ToArray();
        float[] work = new float[logits.Length];
        int[] prompt = Enumerable.Range(0, 300).Select(i => i * 7).ToArray();
        int[] generated = Enumerable.Range(0, 50).Select(i => i * 3).ToArray();
        var sampler = new Sampler(new SamplingOptions
        {
            TopK = topK, TopP = topP, MinP = minP, RepetitionPenalty = 1.1f, PresencePenalty = 0.2f, FrequencyPenalty = 0.1f, Seed = 5,
        });
        // Warm up past the JIT's tier-up threshold (30 calls). A promotion that still lands during a round (the tiering delay
        // restarts under load) can allocate on the calling thread once, so the best of three rounds is taken: a real
        // per-call allocation shows in every round.
        for (int i = 0; i < 100; i++)
        {
            logits.CopyTo(work);
            sampler.Sample(work, prompt, generated);
        }

        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                logits.CopyTo(work);
                sampler.Sample(work, prompt, generated);
            }
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.AreEqual(0L, allocated);
    }

    [TestMethod]
    public void Sample_NaNLogit_Throws()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new Sampler(new SamplingOptions { Seed = 1 }).Sample(new[] { 0f, float.NaN }, [], []));

        Assert.AreEqual("logits", ex.ParamName);
    }

    [TestMethod]
    public void Sample_ZeroWeightTokenWhoseExponentialIsZero_IsNeverDrawn()
    {
        // Arrange: a draw in which some token's exponential is exactly 0 (its uniform rounds to 1: once in 2^24), that token
        // masked (−∞) and two others allowed. Without care 0 / 0 is NaN and IndexOfMax returns the NaN's token.
        const int vocab = 32768, seed = 7;
        var ids = Enumerable.Range(0, vocab).ToArray();
        var e = new float[vocab];
        long draw = -1;
        int zero = -1;
        for (long d = 0; d < 200_000 && zero < 0; d++)
        {
            var (k0, k1) = SamplingNoise.Key((ulong)seed, d);
            SamplingNoise.Exponentials(k0, k1, ids, e);
            zero = Array.IndexOf(e, 0f);
            draw = d;
        }
        Assert.IsGreaterThanOrEqualTo(0, zero, "no zero exponential in 200,000 draws");
        var logits = Enumerable.Repeat(float.NegativeInfinity, vocab).ToArray();
        int a = (zero + 1) % vocab, b = (zero + 2) % vocab;
        logits[a] = 1f;
        logits[b] = 0.5f;

        // Act
        int token = new Sampler(new SamplingOptions { Temperature = 1, Seed = seed }).Sample(logits, [], [], draw);

        // Assert
        Assert.IsTrue(token == a || token == b, $"drew token {token}; only {a} and {b} are allowed (token {zero} has exponential 0)");
    }
}
