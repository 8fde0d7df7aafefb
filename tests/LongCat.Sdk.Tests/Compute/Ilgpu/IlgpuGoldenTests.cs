using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Model;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// The golden checks of <see cref="GoldenChecks"/> on <see cref="IlgpuBackend"/> (ILGPU's CPU accelerator, or CUDA with
/// LONGCAT_TEST_CUDA=1), at the fixtures' stated tolerances. The emulator runs a forward in seconds, so these run the
/// repository's fixtures with one prompt per check and the first greedy steps; the CPU backend's golden tests cover every
/// prompt and step.
/// </summary>
[TestClass]
public sealed class IlgpuGoldenTests : GoldenChecks
{
    private const int DecodeSteps = 3;
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    /// <summary>The repository's fixtures, the GPTQ/AutoRound int4 ones included (Q4 weights, some beside weights as stored).</summary>
    private static bool Repository(object[] row) =>
        Path.GetFullPath((string)row[0]).StartsWith(Path.GetFullPath(Fixtures.Root), StringComparison.Ordinal);

    /// <summary>The repository's own fixtures (tests/fixtures), not the bundled models nor LONGCAT_GOLDEN_DIRS.</summary>
    public static IEnumerable<object[]> Dirs => Fixtures.Dirs().Where(Repository);
    public static IEnumerable<object[]> FirstPrompts => Fixtures.Prompts().Where(r => Repository(r) && (int)r[1] == 1);
    public static IEnumerable<object[]> MtpPrompts => Fixtures.PromptsWith("mtp_logits").Where(r => Repository(r) && (int)r[1] == 0);

    private protected override ModelOptions Options(int? kvBlockSize = null) => new() { Backend = _gpu, KvBlockSize = kvBlockSize ?? 64 };

    protected override string BackendName => _gpu.Name;

    public static string? CaseName(System.Reflection.MethodInfo m, object[] args) => DisplayName(m, args);

    [TestMethod]
    [DynamicData(nameof(FirstPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_PrefillLogitsAtEveryPosition_MatchReference(string dir, int prompt) => CheckLogitsAtEveryPosition(dir, prompt);   // 17 tokens: tiled matmuls, 5 KV blocks

    [TestMethod]
    [DynamicData(nameof(FirstPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_GreedyDecodeThroughKvCache_MatchesReference(string dir, int prompt) => CheckGreedyContinuation(dir, prompt, DecodeSteps);

    [TestMethod]
    [DynamicData(nameof(MtpPrompts), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_MtpDraftLogits_MatchReference(string dir, int prompt) => CheckMtpDraftLogits(dir, prompt);

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_ResidualStream_MatchesReference(string dir) => CheckResidualStream(dir);

    [TestMethod]
    [DynamicData(nameof(Dirs), DynamicDataDisplayName = nameof(CaseName))]
    public void IlgpuGolden_RouterSelections_MatchReference(string dir) => CheckRouter(dir, weights: false);
}
