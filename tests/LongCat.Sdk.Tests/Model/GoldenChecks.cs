using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// The checks against the independent reference's golden outputs, written once for every backend: a backend's golden class
/// derives from this, names the rows it runs (the CPU backend every fixture and prompt, ILGPU's emulator a few) and calls these.
/// Tolerances come from each fixture's golden.json.
/// </summary>
public abstract class GoldenChecks
{
    /// <summary>How the backend under test loads a model (its backend, and <paramref name="kvBlockSize"/> when given).</summary>
    private protected abstract ModelOptions Options(int? kvBlockSize = null);

    /// <summary>The backend's name, for failure messages.</summary>
    protected abstract string BackendName { get; }

    protected static string? DisplayName(System.Reflection.MethodInfo m, object[] args) =>
        $"{m.Name}({Fixtures.Name((string)args[0])}{(args.Length > 1 ? $", p{args[1]}" : "")})";

    private LongCatModel Load(string dir, int? kvBlockSize = null) => LongCatModel.Load(dir, Options(kvBlockSize));

    private string What(string dir, string tensor) => $"{Fixtures.Name(dir)} {tensor} on {BackendName}";

    protected void CheckLogitsAtEveryPosition(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir, kvBlockSize: 4);
        using var session = model.CreateSession();
        var logits = session.Prefill(golden.Ints($"prompt_p{prompt}"), allLogits: true);
        Compare.Close(golden.Floats($"logits_p{prompt}"), logits, golden.LogitsTolerance, What(dir, $"logits_p{prompt}"));
    }

    /// <summary>The greedy continuation step by step through the KV cache (4-token blocks), its first <paramref name="steps"/>
    /// tokens (null: all of them), each step's logits within tolerance.</summary>
    protected void CheckGreedyContinuation(string dir, int prompt, int? steps = null)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir, kvBlockSize: 4);
        using var session = model.CreateSession();
        var expected = golden.Ints($"greedy_p{prompt}");
        var stepLogits = golden.Floats($"greedy_step_logits_p{prompt}");
        int vocab = model.Config.VocabSize, n = Math.Min(steps ?? expected.Length, expected.Length);
        var logits = session.Prefill(golden.Ints($"prompt_p{prompt}"));
        var actual = new List<int>();
        for (int s = 0; s < n; s++)
        {
            Compare.Close(stepLogits.AsSpan(s * vocab, vocab), logits, golden.LogitsTolerance, What(dir, $"greedy_step_logits_p{prompt}[{s}]"));
            int next = Compare.ArgMax(logits);
            actual.Add(next);
            if (s + 1 < n) logits = session.Decode(next);
        }
        CollectionAssert.AreEqual(expected[..n], actual, $"greedy continuation of prompt {prompt}");
    }

    /// <summary>Every block's expert choices (as sets) and, with <paramref name="weights"/>, their routing weights.</summary>
    protected void CheckRouter(string dir, bool weights = true)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        var prompt = golden.Ints("prompt_p0");
        session.Prefill(prompt, allLogits: true, trace);
        int k = model.Config.MoeTopK, t = prompt.Length;
        var ids = golden.Ints("router_topk_idx_p0");           // [layers, T, K]
        var expectedWeights = golden.Floats("router_topk_weight_p0");
        CollectionAssert.AreEqual(golden.Ints("router_layer0_topk_idx_p0"), ids.AsSpan(0, t * k).ToArray(), "layer-0 tensor agrees with the all-layer tensor");
        for (int l = 0; l < model.Config.NumLayers; l++)
            for (int i = 0; i < t; i++)
            {
                var exp = ids.AsSpan((l * t + i) * k, k).ToArray();
                var act = trace.RouterIds[l].AsSpan(i * k, k).ToArray();
                CollectionAssert.AreEquivalent(exp, act, $"layer {l} token {i} expert set on {BackendName}");
                if (!weights) continue;
                for (int j = 0; j < k; j++)
                    Assert.AreEqual(expectedWeights[(l * t + i) * k + j], trace.RouterWeights[l][i * k + Array.IndexOf(act, exp[j])], 1e-4f,
                        $"layer {l} token {i} weight of expert {exp[j]}");
            }
    }

    protected void CheckResidualStream(string dir)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        session.Prefill(golden.Ints("prompt_p0"), allLogits: true, trace);
        var hidden = golden.Floats("hidden_p0");                // [layers + 2, T, H]
        Assert.AreEqual(golden.Shape("hidden_p0")[0], trace.Hidden.Count, "captured stages");
        int per = hidden.Length / trace.Hidden.Count;
        for (int s = 0; s < trace.Hidden.Count; s++)
            Compare.Close(hidden.AsSpan(s * per, per), trace.Hidden[s], golden.HiddenTolerance, What(dir, $"hidden_p0 stage {s}"));
    }

    protected void CheckMtpDraftLogits(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir, kvBlockSize: 4);
        Assert.IsTrue(model.HasMtp, "the MTP head is loaded");
        using var session = model.CreateSession();
        var target = session.Run(golden.Ints($"prompt_p{prompt}"), allLogits: true, returnHidden: true);   // final-normed hidden states at every position
        var next = golden.Ints($"mtp_input_ids_p{prompt}");
        var draft = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, next, AllLogits: true)], target.Hidden!).Logits.ToArray();
        Compare.Close(golden.Floats($"mtp_logits_p{prompt}"), draft, golden.MtpTolerance!.Value, What(dir, $"mtp_logits_p{prompt}"));
    }

    /// <summary>The head over the first positions, then one position at a time: its own cache carries the context.</summary>
    protected void CheckMtpIncremental(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir, kvBlockSize: 4);
        using var session = model.CreateSession();
        var tokens = golden.Ints($"prompt_p{prompt}");
        var next = golden.Ints($"mtp_input_ids_p{prompt}");
        var expected = golden.Floats($"mtp_logits_p{prompt}");
        int vocab = model.Config.VocabSize, k = Math.Min(3, tokens.Length);
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

    protected void CheckNgramHashesAndEmbedding(string dir, int prompt)
    {
        using var golden = new Golden(dir);
        using var model = Load(dir);
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        session.Prefill(golden.Ints($"prompt_p{prompt}"), allLogits: true, trace);
        CollectionAssert.AreEqual(golden.Ints($"ngram_hash_ids_p{prompt}"), trace.NgramIds, "hashed n-gram ids");
        Compare.Close(golden.Floats($"ngram_embedding_p{prompt}"), trace.Hidden[0], golden.HiddenTolerance, What(dir, "n-gram embedding"));
    }
}
