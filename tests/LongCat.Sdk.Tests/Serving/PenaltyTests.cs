using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>Each penalty changes exactly the logits it should, applied in place by <see cref="Sampler.Sample"/>.</summary>
[TestClass]
public sealed class PenaltyTests
{
    private static readonly float[] Logits = [2f, -2f, 1f, 0.5f, -1f, 3f, 0f];

    private static float[] Penalised(SamplingOptions options, int[] prompt, int[] generated)
    {
        float[] logits = (float[])Logits.Clone();
        new Sampler(options with { Temperature = 0f }).Sample(logits, prompt, generated);
        return logits;
    }

    [TestMethod]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce()
    {
        // Seen: 0 (prompt), 1 (prompt and output), 4 (output twice), 6 (logit 0).
        float[] actual = Penalised(new SamplingOptions { RepetitionPenalty = 2f }, prompt: [0, 1, 6], generated: [1, 4, 4]);

        CollectionAssert.AreEqual(new[] { 1f, -4f, 1f, 0.5f, -2f, 3f, 0f }, actual);
    }

    [TestMethod]
    public void PresencePenalty_SubtractsOnceFromGeneratedTokensOnly()
    {
        float[] actual = Penalised(new SamplingOptions { PresencePenalty = 0.5f }, prompt: [0, 3], generated: [2, 2, 5]);

        CollectionAssert.AreEqual(new[] { 2f, -2f, 0.5f, 0.5f, -1f, 2.5f, 0f }, actual);
    }

    [TestMethod]
    public void FrequencyPenalty_SubtractsOncePerOccurrenceFromGeneratedTokensOnly()
    {
        float[] actual = Penalised(new SamplingOptions { FrequencyPenalty = 0.25f }, prompt: [0, 3], generated: [2, 2, 5, 2]);

        CollectionAssert.AreEqual(new[] { 2f, -2f, 0.25f, 0.5f, -1f, 2.75f, 0f }, actual);
    }

    [TestMethod]
    public void AllPenalties_RepetitionFirstThenFrequencyAndPresence()
    {
        // Token 5: 3 / 2 = 1.5, then - 0.25·2 - 0.5 = 0.5. Token 0 (prompt only): 2 / 2 = 1.
        var options = new SamplingOptions { RepetitionPenalty = 2f, FrequencyPenalty = 0.25f, PresencePenalty = 0.5f };

        float[] actual = Penalised(options, prompt: [0], generated: [5, 5]);

        CollectionAssert.AreEqual(new[] { 1f, -2f, 1f, 0.5f, -1f, 0.5f, 0f }, actual);
    }

    [TestMethod]
    public void Penalties_RepeatedCalls_DoNotLeakBetweenCalls()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 0f, FrequencyPenalty = 1f, RepetitionPenalty = 2f });
        float[] first = (float[])Logits.Clone();
        float[] second = (float[])Logits.Clone();

        sampler.Sample(first, [], [5, 5]);
        sampler.Sample(second, [], [2]);

        CollectionAssert.AreEqual(new[] { 2f, -2f, -0.5f, 0.5f, -1f, 3f, 0f }, second);
    }

    [TestMethod]
    public void Penalty_ChangesTheGreedyChoice()
    {
        float[] logits = (float[])Logits.Clone();

        int token = new Sampler(new SamplingOptions { Temperature = 0f, PresencePenalty = 2f }).Sample(logits, [], [5]);

        Assert.AreEqual(0, token, "token 5 (3.0) drops to 1.0, below token 0 (2.0)");
    }

    [TestMethod]
    public void TokenOutsideVocabulary_ThrowsNamingTheList()
    {
        var sampler = new Sampler(new SamplingOptions { RepetitionPenalty = 1.1f });

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sampler.Sample((float[])Logits.Clone(), [], [1, 7]));

        Assert.AreEqual("generatedTokens", ex.ParamName);
        Assert.IsTrue(ex.Message.Contains("generatedTokens[1] = 7", StringComparison.Ordinal), ex.Message);
    }
}
