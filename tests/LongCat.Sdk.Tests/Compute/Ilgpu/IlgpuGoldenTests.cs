using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// The golden checks of <see cref="LongCat.Sdk.Tests.Model.GoldenTests"/> on <see cref="IlgpuBackend"/> (ILGPU's CPU accelerator, or
/// CUDA with LONGCAT_TEST_CUDA=1), at the fixtures' stated tolerances. The emulator runs a forward in seconds, so these use one
/// prompt per check and the first greedy steps (the MTP head's draft logits too, where the fixture has one); the CPU backend's golden tests cover every prompt and step.
/// </summary>
[TestClass]
public sealed class IlgpuGoldenTests
{
    private const int DecodeSteps = 3;
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    /// <summary>The repository's own fixtures (tests/fixtures), not the extra folders of LONGCAT_GOLDEN_DIRS.</summary>
    public static IEnumerable<object[]> Dirs => Fixtures.GoldenDirs()
        .Where(d => Path.GetFullPath(d).StartsWith(Path.GetFullPath(Fixtures.Root), StringComparison.Ordinal)).Select(d => new object[] { d });

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) => $"{m.Name}({Fixtures.Name((string)args[0])})";

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_PrefillLogitsAtEveryPosition_MatchReference(string dir)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = _gpu, KvBlockSize = 4 });
        using var session = model.CreateSession();
        var logits = session.Prefill(golden.Ints("prompt_p1"), allLogits: true);       // 17 tokens: tiled matmuls, 5 KV blocks
        Compare.Close(golden.Floats("logits_p1"), logits, golden.LogitsTolerance, $"{Fixtures.Name(dir)} logits_p1 on {_gpu.Name}");
    }

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_GreedyDecodeThroughKvCache_MatchesReference(string dir)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = _gpu, KvBlockSize = 4 });
        using var session = model.CreateSession();
        var expected = golden.Ints("greedy_p0");
        var stepLogits = golden.Floats("greedy_step_logits_p0");
        int vocab = model.Config.VocabSize;
        var logits = session.Prefill(golden.Ints("prompt_p0"));
        for (int s = 0; s < DecodeSteps; s++)
        {
            Compare.Close(stepLogits.AsSpan(s * vocab, vocab), logits, golden.LogitsTolerance, $"{Fixtures.Name(dir)} greedy step {s} on {_gpu.Name}");
            int next = Compare.ArgMax(logits);
            Assert.AreEqual(expected[s], next, $"greedy token {s}");
            logits = session.Decode(next);
        }
    }

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_MtpDraftLogits_MatchReference(string dir)
    {
        using var golden = new Golden(dir);
        if (!golden.Has("mtp_logits_p0")) return;                                      // Flash-Lite fixtures have no MTP head
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = _gpu, KvBlockSize = 4 });
        Assert.IsTrue(model.HasMtp, "the MTP head is loaded");
        using var session = model.CreateSession();
        var target = session.Run(golden.Ints("prompt_p0"), allLogits: true, returnHidden: true);
        var draft = model.Mtp!.Forward([new MtpChunk(session.Blocks, 0, golden.Ints("mtp_input_ids_p0"), AllLogits: true)], target.Hidden!).Logits.ToArray();
        Compare.Close(golden.Floats("mtp_logits_p0"), draft, golden.MtpTolerance!.Value, $"{Fixtures.Name(dir)} mtp_logits_p0 on {_gpu.Name}");
    }

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_ResidualStreamAndRouter_MatchReference(string dir)
    {
        using var golden = new Golden(dir);
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = _gpu });
        using var session = model.CreateSession();
        var trace = new ForwardTrace();
        var prompt = golden.Ints("prompt_p0");
        session.Prefill(prompt, allLogits: true, trace);
        var hidden = golden.Floats("hidden_p0");                                       // [layers + 2, T, H]
        int per = hidden.Length / trace.Hidden.Count;
        for (int s = 0; s < trace.Hidden.Count; s++)
            Compare.Close(hidden.AsSpan(s * per, per), trace.Hidden[s], golden.HiddenTolerance, $"hidden_p0 stage {s}");
        var ids = golden.Ints("router_topk_idx_p0");                                   // [layers, T, K]
        int k = model.Config.MoeTopK, t = prompt.Length;
        for (int l = 0; l < model.Config.NumLayers; l++)
            for (int i = 0; i < t; i++)
                CollectionAssert.AreEquivalent(ids.AsSpan((l * t + i) * k, k).ToArray(), trace.RouterIds[l].AsSpan(i * k, k).ToArray(), $"layer {l} token {i}");
    }
}
