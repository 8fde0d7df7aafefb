using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// The ops that carry two model computations (ScMoE's overlap window: <see cref="IComputeBackend.RouterTopKAndSwiGlu"/>,
/// <see cref="IComputeBackend.MlpAndMoeExperts"/>) through <see cref="IlgpuBackend"/> (one launch per fused pair on a decode step,
/// the separate ops otherwise) against the CPU backend, at odd sizes; tolerances as in <see cref="IlgpuConformanceTests"/>.
/// </summary>
[TestClass]
internal sealed class IlgpuFusedOpTests
{
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    private static float[] Random(int n, Random r, float scale = 1f) => TestWeight.Vector(n, r).Select(v => v * scale).ToArray();

    [TestMethod]
    [DataRow(DType.BF16, DType.BF16, 1, 37)]
    [DataRow(DType.F32, DType.F32, 3, 40)]                                   // up to 4 tokens share the launch
    [DataRow(DType.F16, DType.F16, 1, 40)]
    [DataRow(DType.F8E4M3, DType.F8E4M3, 2, 40)]
    [DataRow(DType.BF16, DType.F32, 1, 37)]                                  // an F32 classifier (router_dtype) beside BF16 weights
    [DataRow(DType.F8E4M3, DType.F32, 1, 40)]
    [DataRow(DType.F16, DType.BF16, 1, 40)]                                  // other mixed formats: the separate ops
    [DataRow(DType.BF16, DType.BF16, 6, 37)]                                 // more tokens: the separate ops
    public void RouterTopKAndSwiGlu_MatchesCpu(DType dtype, DType classifierType, int tokens, int hidden)
    {
        var random = new Random(3 + tokens + hidden + (int)dtype);
        using var p = new BackendPair(_gpu);
        RouterTopKAndSwiGluMatchesCpu(p, (rows, cols) => p.Weight(classifierType, rows, cols, random), (rows, cols) => p.Weight(dtype, rows, cols, random),
            tokens, hidden, 27, random, dtype.ToString());
    }

    /// <summary><see cref="RouterTopKAndSwiGlu_MatchesCpu"/> with the classifier and the MLP's weights from the given factories.</summary>
    internal static void RouterTopKAndSwiGluMatchesCpu(BackendPair p, Func<int, int, Pair> classifierWeight, Func<int, int, Pair> mlpWeight,
        int tokens, int hidden, int ffn, Random random, string dtype)
    {
        const int experts = 13, k = 4;
        var cls = classifierWeight(experts, hidden);
        var bias = p.F32(Random(experts, random, 0.05f), experts);
        var gate = mlpWeight(ffn, hidden);
        var up = mlpWeight(ffn, hidden);
        var xv = Random(tokens * hidden, random);
        for (int i = hidden; i < xv.Length; i++) xv[i] *= 7f;                 // rows of different scales: each its own norm factor
        var x = p.F32(xv, tokens, hidden);
        var norm = p.Weight(DType.BF16, 0, hidden, random, magnitude: 2f);
        var ids = p.Zeros(DType.I32, tokens, k);
        var w = p.Zeros(DType.F32, tokens, k);
        var normed = p.Zeros(DType.F32, tokens, hidden);
        var h = p.Zeros(DType.F32, tokens, ffn);
        p.Cpu.RouterTopKAndSwiGlu(new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), cls.Cpu, bias.Cpu, k, 2.5f, ids.Cpu, w.Cpu, normed.Cpu, gate.Cpu, up.Cpu, h.Cpu);
        p.Gpu.RouterTopKAndSwiGlu(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), cls.Gpu, bias.Gpu, k, 2.5f, ids.Gpu, w.Gpu, normed.Gpu, gate.Gpu, up.Gpu, h.Gpu);
        p.AssertClose(normed, 1e-6, 1e-5, "normed router input");
        CollectionAssert.AreEqual(p.ReadInts(ids.Cpu, p.Cpu), p.ReadInts(ids.Gpu, p.Gpu), "selected experts, in order");
        p.AssertClose(w, 1e-6, 1e-5, "routing weights");
        p.AssertClose(h, 2e-6 * hidden, 1e-5, $"{dtype} swiglu T={tokens}");
    }

    [TestMethod]
    [DataRow(DType.BF16, 1, 37)]
    [DataRow(DType.F32, 1, 40)]
    [DataRow(DType.F16, 1, 40)]
    [DataRow(DType.F8E4M3, 1, 40)]
    [DataRow(DType.BF16, 3, 40)]                                             // more than one token: the separate ops
    public void MlpAndMoeExperts_AddsBothToResidual_MatchesCpu(DType dtype, int tokens, int hidden)
    {
        // Dense width 27 (odd: scalar loads in the down projection); 5 real experts and 3 identity ones (ids 5..7), top-3.
        var random = new Random(41 + tokens + hidden + (int)dtype);
        using var p = new BackendPair(_gpu);
        Func<int, int, Pair> weight = (rows, cols) => p.Weight(dtype, rows, cols, random);
        MlpAndMoeExpertsMatchCpu(p, weight, weight, weight, weight, tokens, hidden, 27, 24, random, dtype.ToString());
    }

    /// <summary>
    /// <see cref="MlpAndMoeExperts_AddsBothToResidual_MatchesCpu"/> with the dense gate/up, dense down, experts' gate/up and experts' down
    /// weights from the given factories ([rows, cols] → weight), which may differ in format (Q8 dense MLPs beside Q4 experts).
    /// </summary>
    internal static void MlpAndMoeExpertsMatchCpu(BackendPair p, Func<int, int, Pair> denseGateUp, Func<int, int, Pair> denseDown,
        Func<int, int, Pair> expertGateUp, Func<int, int, Pair> expertDown, int tokens, int hidden, int ffn, int expertFfn, Random random, string dtype)
    {
        const int k = 3, real = 5;
        var gate = denseGateUp(ffn, hidden);
        var up = denseGateUp(ffn, hidden);
        var down = denseDown(hidden, ffn);
        var eg = Enumerable.Range(0, real).Select(_ => expertGateUp(expertFfn, hidden)).ToArray();
        var eu = Enumerable.Range(0, real).Select(_ => expertGateUp(expertFfn, hidden)).ToArray();
        var ed = Enumerable.Range(0, real).Select(_ => expertDown(hidden, expertFfn)).ToArray();
        var cpuExperts = new ExpertWeights(eg.Select(e => e.Cpu).ToArray(), eu.Select(e => e.Cpu).ToArray(), ed.Select(e => e.Cpu).ToArray());
        var gpuExperts = new ExpertWeights(eg.Select(e => e.Gpu).ToArray(), eu.Select(e => e.Gpu).ToArray(), ed.Select(e => e.Gpu).ToArray());
        var idv = new int[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            idv[t * k] = random.Next(real);                                  // a real expert
            idv[t * k + 1] = real + random.Next(3);                          // an identity expert
            do idv[t * k + 2] = random.Next(8); while (idv[t * k + 2] == idv[t * k] || idv[t * k + 2] == idv[t * k + 1]);
        }
        var x = p.F32(Random(tokens * hidden, random), tokens, hidden);
        var norm = p.Weight(DType.F32, 0, hidden, random, magnitude: 2f);
        var moeX = p.F32(Random(tokens * hidden, random), tokens, hidden);
        var ids = p.I32(idv, tokens, k);
        var w = p.F32(Random(tokens * k, random), tokens, k);
        var mlpHidden = p.Zeros(DType.F32, tokens, ffn);
        var h = p.F32(Random(tokens * hidden, random), tokens, hidden);         // the residual stream
        for (int run = 0; run < 2; run++)                                    // the second call reuses the packed experts
        {
            p.Cpu.MlpAndMoeExperts(new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), gate.Cpu, up.Cpu, down.Cpu, mlpHidden.Cpu, moeX.Cpu, ids.Cpu, w.Cpu, cpuExperts, h.Cpu);
            p.Gpu.MlpAndMoeExperts(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), gate.Gpu, up.Gpu, down.Gpu, mlpHidden.Gpu, moeX.Gpu, ids.Gpu, w.Gpu, gpuExperts, h.Gpu);
            p.AssertClose(mlpHidden, 2e-6 * hidden, 1e-5, $"{dtype} dense SwiGLU hidden, run {run}");
            p.AssertClose(h, 1e-4, 1e-4, $"{dtype} h + mlp + MoE, run {run}");
        }
    }

    [TestMethod]
    public void MlpAndMoeExperts_MismatchedDownShape_ThrowsArgumentException()
    {
        const int hidden = 12, ffn = 8;
        var random = new Random(2);
        using var p = new BackendPair(_gpu);
        var gate = p.Weight(DType.BF16, ffn, hidden, random);
        var up = p.Weight(DType.BF16, ffn, hidden, random);
        var down = p.Weight(DType.BF16, hidden, ffn + 1, random);
        var e = p.Weight(DType.BF16, ffn, hidden, random);
        var ed = p.Weight(DType.BF16, hidden, ffn, random);
        var experts = new ExpertWeights([e.Gpu], [e.Gpu], [ed.Gpu]);
        var x = p.Zeros(DType.F32, 1, hidden);
        var norm = p.Weight(DType.F32, 0, hidden, random);
        var ids = p.I32([0, 1], 1, 2);
        var w = p.Zeros(DType.F32, 1, 2);
        var mlpHidden = p.Zeros(DType.F32, 1, ffn);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => p.Gpu.MlpAndMoeExperts(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), gate.Gpu, up.Gpu, down.Gpu,
            mlpHidden.Gpu, x.Gpu, ids.Gpu, w.Gpu, experts, x.Gpu));
        StringAssert.Contains(ex.Message, nameof(IComputeBackend.MlpAndMoeExperts));
    }
}
