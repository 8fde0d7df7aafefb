using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// The engine against the independent reference's golden outputs, on every fixture folder (tests/fixtures and LONGCAT_GOLDEN_DIRS).
/// Tolerances come from each fixture's golden.json.
/// </summary>
[TestClass]
public sealed class GoldenTests
{
    public static IEnumerable<object[]> Prompts => Fixtures.Prompts();
    public static IEnumerable<object[]> Dirs => Fixtures.Dirs();

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) =>
        $"{m.Name}({Fixtures.Name((string)args[0])}{(args.Length > 1 ? $", p{args[1]}" : "")})";

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_LogitsAtEveryPosition_MatchReference(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir);
        using var session = model.CreateSession();
        var logits = session.Prefill(golden.Ints($"prompt_p{prompt}"), allLogits: true);
        Compare.Close(golden.Floats($"logits_p{prompt}"), logits, golden.LogitsTolerance, $"{Fixtures.Name(dir)} logits_p{prompt}");
    }

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_GreedyContinuationThroughKvCache_MatchesReference(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { KvBlockSize = 4 });
        using var session = model.CreateSession();
        var expected = golden.Ints($"greedy_p{prompt}");
        var stepLogits = golden.Floats($"greedy_step_logits_p{prompt}");
        int vocab = model.Config.VocabSize;
        var logits = session.Prefill(golden.Ints($"prompt_p{prompt}"));
        var actual = new List<int>();
        for (int s = 0; s < expected.Length; s++)
        {
            Compare.Close(stepLogits.AsSpan(s * vocab, vocab), logits, golden.LogitsTolerance, $"{Fixtures.Name(dir)} greedy_step_logits_p{prompt}[{s}]");
            int next = Compare.ArgMax(logits);
            actual.Add(next);
            if (s + 1 < expected.Length) logits = session.Decode(next);
        }
        CollectionAssert.AreEqual(expected, actual, $"greedy continuation of prompt {prompt}");
    }

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_RouterSelectionsAndWeights_MatchReference(string dir)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        var prompt = golden.Ints("prompt_p0");
        session.Prefill(prompt, allLogits: true, trace);
        int k = model.Config.MoeTopK, t = prompt.Length;
        var ids = golden.Ints("router_topk_idx_p0");           // [layers, T, K]
        var weights = golden.Floats("router_topk_weight_p0");
        var layer0 = golden.Ints("router_layer0_topk_idx_p0");
        CollectionAssert.AreEqual(layer0, ids.AsSpan(0, t * k).ToArray(), "layer-0 tensor agrees with the all-layer tensor");
        for (int l = 0; l < model.Config.NumLayers; l++)
            for (int i = 0; i < t; i++)
            {
                var exp = ids.AsSpan((l * t + i) * k, k).ToArray();
                var act = trace.RouterIds[l].AsSpan(i * k, k).ToArray();
                CollectionAssert.AreEquivalent(exp, act, $"layer {l} token {i} expert set");
                for (int j = 0; j < k; j++)
                {
                    int pos = Array.IndexOf(act, exp[j]);
                    Assert.AreEqual(weights[(l * t + i) * k + j], trace.RouterWeights[l][i * k + pos], 1e-4f, $"layer {l} token {i} weight of expert {exp[j]}");
                }
            }
    }

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_ResidualStream_MatchesReference(string dir)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        session.Prefill(golden.Ints("prompt_p0"), allLogits: true, trace);
        var hidden = golden.Floats("hidden_p0");                // [layers + 2, T, H]
        int per = hidden.Length / trace.Hidden.Count;
        Assert.AreEqual(golden.Shape("hidden_p0")[0], trace.Hidden.Count, "captured stages");
        for (int s = 0; s < trace.Hidden.Count; s++)
            Compare.Close(hidden.AsSpan(s * per, per), trace.Hidden[s], golden.HiddenTolerance, $"hidden_p0 stage {s}");
    }

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_MtpDraftLogits_MatchReference(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { KvBlockSize = 4 });
        if (!golden.Has($"mtp_logits_p{prompt}"))
        {
            Assert.IsFalse(model.HasMtp && model.Config.HasMtp && golden.MtpTolerance is not null, "a fixture with an MTP head has MTP goldens");
            return;
        }
        Assert.IsTrue(model.HasMtp, "the MTP head is loaded");
        using var session = model.CreateSession();
        var target = session.Run(golden.Ints($"prompt_p{prompt}"), allLogits: true, returnHidden: true);   // final-normed hidden states at every position
        var next = golden.Ints($"mtp_input_ids_p{prompt}");
        var draft = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, next, AllLogits: true)], target.Hidden!).Logits.ToArray();
        Compare.Close(golden.Floats($"mtp_logits_p{prompt}"), draft, golden.MtpTolerance!.Value, $"{Fixtures.Name(dir)} mtp_logits_p{prompt}");
    }

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_MtpIncremental_MatchesFullMtpForward(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        if (!golden.Has($"mtp_logits_p{prompt}")) return;
        using var model = LongCatModel.Load(dir, new ModelOptions { KvBlockSize = 4 });
        using var session = model.CreateSession();
        var tokens = golden.Ints($"prompt_p{prompt}");
        var next = golden.Ints($"mtp_input_ids_p{prompt}");
        var expected = golden.Floats($"mtp_logits_p{prompt}");
        int vocab = model.Config.VocabSize, k = Math.Min(3, tokens.Length);
        // Prefill k positions (and the head over them), then one position at a time: the head's own cache carries the context.
        var target = session.Run(tokens.AsSpan(0, k), allLogits: true, returnHidden: true);
        var first = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, next[..k], AllLogits: true)], target.Hidden!).Logits.ToArray();
        Compare.Close(expected.AsSpan(0, k * vocab), first, golden.MtpTolerance!.Value, "MTP over the first chunk");
        for (int p = k; p < tokens.Length; p++)
        {
            var decoded = session.Run([tokens[p]], returnHidden: true);
            var step = model.Mtp!.Forward([new MtpChunk(session.Blocks, p, [next[p]], AllLogits: false)], decoded.Hidden!).Logits.ToArray();
            Compare.Close(expected.AsSpan(p * vocab, vocab), step, golden.MtpTolerance!.Value, $"MTP at position {p}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Prompts), DynamicDataDisplayName = nameof(CaseName))]
    public void Golden_NgramHashesAndEmbedding_MatchReference(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        if (!golden.Has($"ngram_hash_ids_p{prompt}")) return;   // Flash fixtures have no N-gram tables
        using var model = LongCatModel.Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        session.Prefill(golden.Ints($"prompt_p{prompt}"), allLogits: true, trace);
        CollectionAssert.AreEqual(golden.Ints($"ngram_hash_ids_p{prompt}"), trace.NgramIds, "hashed n-gram ids");
        Compare.Close(golden.Floats($"ngram_embedding_p{prompt}"), trace.Hidden[0], golden.HiddenTolerance, "n-gram embedding");
    }
}
