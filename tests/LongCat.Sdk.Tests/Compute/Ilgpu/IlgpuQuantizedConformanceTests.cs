using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// Every op with <see cref="DType.Q8"/> and <see cref="DType.Q4"/> weights (symmetric and with zero points, groups of 32, 64 and 128)
/// through <see cref="IlgpuBackend"/> against the CPU backend, on random codes, scales and zeros; and the format mixes the
/// quantization presets and GPTQ checkpoints produce (a quantized q_b beside kv_b as stored, Q8 dense MLPs beside Q4 experts, Q4
/// experts with their down projection as stored). Formats as <see cref="BackendPair.Weight(string, int, int, Random)"/> names them;
/// tolerances as in <see cref="IlgpuConformanceTests"/> (both sides dequantize exactly and sum in F32).
/// </summary>
[TestClass]
internal sealed class IlgpuQuantizedConformanceTests
{
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    private static float[] Random(int n, Random r, float scale = 1f) => TestWeight.Vector(n, r).Select(v => v * scale).ToArray();

    private static int GroupOf(string format) => format.Split('/') is [_, var g] ? int.Parse(g, System.Globalization.CultureInfo.InvariantCulture) : 32;

    [TestMethod]
    [DataRow("Q8", 1, false)]
    [DataRow("Q8", 3, true)]
    [DataRow("Q8", 70, false)]                                               // prefill: the tiled kernel
    [DataRow("Q4", 1, false)]
    [DataRow("Q4", 66, true)]
    [DataRow("Q4z", 2, true)]
    [DataRow("Q4/64", 4, false)]
    [DataRow("Q4z/64", 1, false)]
    [DataRow("Q4z/128", 3, false)]
    [DataRow("Q4z/128", 70, true)]
    public void MatMul_Quantized_MatchesCpu(string format, int tokens, bool accumulate)
    {
        int g = GroupOf(format);
        var random = new Random(tokens * 11 + g + format.Length);
        using var p = new BackendPair(_gpu);
        foreach (var (outDim, inDim) in new[] { (130, 3 * g), (67, 5 * g) })      // rows not a multiple of the warps or tiles
        {
            var w = p.Weight(format, outDim, inDim, random);
            var x = p.F32(Random(tokens * inDim, random), tokens, inDim);
            var y = p.F32(Random(tokens * outDim, random), tokens, outDim);
            p.Cpu.MatMul(x.Cpu, w.Cpu, y.Cpu, accumulate);
            p.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu, accumulate);
            p.AssertClose(y, 2e-6 * inDim, 1e-5, $"{format} [{outDim}x{inDim}] T={tokens}");
        }
    }

    [TestMethod]
    [DataRow("Q8", 1)]
    [DataRow("Q8", 66)]
    [DataRow("Q4", 3)]
    [DataRow("Q4z/64", 1)]
    [DataRow("Q4z/128", 70)]
    public void MatMulPairAndSwiGlu_NormedInput_Quantized_MatchesCpu(string format, int tokens)
    {
        int inDim = 3 * GroupOf(format);
        var random = new Random(500 + tokens + inDim);
        using var p = new BackendPair(_gpu);
        var xv = Random(tokens * inDim, random);
        for (int i = inDim; i < xv.Length; i++) xv[i] *= 9f;                  // rows of different scales: each its own norm factor
        var x = p.F32(xv, tokens, inDim);
        var norm = p.Weight(DType.BF16, 0, inDim, random, magnitude: 2f);
        var (cpuX, gpuX) = (new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), new RmsNormed(x.Gpu, norm.Gpu, 1e-5f));

        var w1 = p.Weight(format, 130, inDim, random);
        var w2 = p.Weight(format, 67, inDim, random);
        var y1 = p.Zeros(DType.F32, tokens, 130);
        var y2 = p.Zeros(DType.F32, tokens, 67);
        p.Cpu.MatMulPair(cpuX, w1.Cpu, y1.Cpu, w2.Cpu, y2.Cpu);
        p.Gpu.MatMulPair(gpuX, w1.Gpu, y1.Gpu, w2.Gpu, y2.Gpu);
        p.AssertClose(y1, 2e-6 * inDim, 1e-5, $"{format} pair y1 T={tokens}");
        p.AssertClose(y2, 2e-6 * inDim, 1e-5, $"{format} pair y2 T={tokens}");

        var gate = p.Weight(format, 75, inDim, random);
        var up = p.Weight(format, 75, inDim, random);
        var h = p.Zeros(DType.F32, tokens, 75);
        p.Cpu.MatMulSwiGlu(cpuX, gate.Cpu, up.Cpu, h.Cpu);
        p.Gpu.MatMulSwiGlu(gpuX, gate.Gpu, up.Gpu, h.Gpu);
        p.AssertClose(h, 2e-6 * inDim, 1e-5, $"{format} swiglu T={tokens}");
    }

    [TestMethod]
    [DataRow("Q8", "BF16", 1)]                                              // the presets: q_b quantized, kv_b as stored
    [DataRow("Q4", "BF16", 3)]
    [DataRow("Q8", "F8E4M3", 2)]
    [DataRow("Q4z/64", "F32", 7)]
    [DataRow("BF16", "Q4z", 1)]                                             // the GPTQ fixtures: q_b as stored, kv_b packed
    [DataRow("Q8", "Q8", 5)]
    [DataRow("Q4/64", "Q4z/64", 2)]
    public void MlaOps_QuantizedProjections_MatchCpu(string qBFormat, string kvBFormat, int tokens)
    {
        const int latent = 64;                                              // kv_b's rows: whole groups of 32 or 64
        int qLora = 2 * Math.Max(64, GroupOf(qBFormat));
        var random = new Random(tokens * 17 + qBFormat.Length * 3 + kvBFormat.Length);
        using var p = new BackendPair(_gpu);
        IlgpuConformanceTests.MlaOpsMatchCpu(p, (rows, cols) => p.Weight(qBFormat, rows, cols, random),
            (rows, cols) => p.Weight(kvBFormat, rows, cols, random), tokens, latent, qLora, random);
    }

    [TestMethod]
    [DataRow("Q8", 3)]
    [DataRow("Q4z", 1)]
    public void RouterTopK_QuantizedClassifier_MatchesCpu(string format, int tokens)
    {
        const int hidden = 64, experts = 13, k = 4;
        var random = new Random(9 + tokens);
        using var p = new BackendPair(_gpu);
        var cls = p.Weight(format, experts, hidden, random);
        var bias = p.F32(Random(experts, random, 0.05f), experts);
        var x = p.F32(Random(tokens * hidden, random), tokens, hidden);
        var norm = p.Weight(DType.BF16, 0, hidden, random);
        var ids = p.Zeros(DType.I32, tokens, k);
        var w = p.Zeros(DType.F32, tokens, k);
        var normed = p.Zeros(DType.F32, tokens, hidden);
        p.Cpu.RouterTopK(new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), cls.Cpu, bias.Cpu, k, 2.5f, ids.Cpu, w.Cpu, normed.Cpu);
        p.Gpu.RouterTopK(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), cls.Gpu, bias.Gpu, k, 2.5f, ids.Gpu, w.Gpu, normed.Gpu);
        CollectionAssert.AreEqual(p.ReadInts(ids.Cpu, p.Cpu), p.ReadInts(ids.Gpu, p.Gpu), "selected experts, in order");
        p.AssertClose(w, 1e-6, 1e-5, "routing weights");
    }

    [TestMethod]
    [DataRow("Q8", "Q8", 7, false)]
    [DataRow("Q8", "Q8", 1, true)]                                          // one token: GateUp + DownCombine
    [DataRow("Q4", "Q4", 1, false)]
    [DataRow("Q4z/64", "Q4z/32", 6, true)]
    [DataRow("Q4z", "BF16", 1, true)]                                       // AutoRound: the experts' down kept as stored
    [DataRow("Q4z", "BF16", 5, false)]
    public void MoeExperts_Quantized_MatchesCpu(string gateUpFormat, string downFormat, int tokens, bool accumulate)
    {
        var random = new Random(31 + tokens);
        using var p = new BackendPair(_gpu);
        IlgpuConformanceTests.MoeExpertsMatchCpu(p, (rows, cols) => p.Weight(gateUpFormat, rows, cols, random),
            (rows, cols) => p.Weight(downFormat, rows, cols, random), tokens, accumulate, 64, 64, random, $"{gateUpFormat}/{downFormat}");
    }

    [TestMethod]
    [DataRow("Q8", "F32", 1)]                                               // the presets: the F32 classifier (router_dtype) stays
    [DataRow("Q4z/64", "F32", 3)]
    [DataRow("Q8", "BF16", 1)]                                              // a classifier in neither format: the separate ops
    [DataRow("Q4", "Q4", 2)]
    public void RouterTopKAndSwiGlu_QuantizedMlp_MatchesCpu(string mlpFormat, string classifierFormat, int tokens)
    {
        var random = new Random(77 + tokens);
        using var p = new BackendPair(_gpu);
        IlgpuFusedOpTests.RouterTopKAndSwiGluMatchesCpu(p, (rows, cols) => p.Weight(classifierFormat, rows, cols, random),
            (rows, cols) => p.Weight(mlpFormat, rows, cols, random), tokens, 64, 27, random, mlpFormat);
    }

    [TestMethod]
    [DataRow("Q8", "Q8", "Q8", "Q8", 1)]                                    // preset Q8
    [DataRow("Q8", "Q8", "Q4", "Q4", 1)]                                    // preset Q4Experts: Q8 dense beside Q4 experts
    [DataRow("Q4", "Q4", "Q4", "Q4", 1)]                                    // preset Q4
    [DataRow("Q4z", "Q4z", "Q4z", "BF16", 1)]                               // the asymmetric GPTQ fixture
    [DataRow("Q8", "Q8", "Q4", "Q4", 2)]                                    // more than one token: the separate ops
    public void MlpAndMoeExperts_QuantizedMixes_MatchCpu(string denseGateUp, string denseDown, string expertGateUp, string expertDown, int tokens)
    {
        var random = new Random(91 + tokens + expertGateUp.Length);
        using var p = new BackendPair(_gpu);
        Func<int, int, Pair> Of(string format) => (rows, cols) => p.Weight(format, rows, cols, random);
        IlgpuFusedOpTests.MlpAndMoeExpertsMatchCpu(p, Of(denseGateUp), Of(denseDown), Of(expertGateUp), Of(expertDown), tokens, 64, 96, 64, random,
            $"{denseGateUp}+{expertGateUp}/{expertDown}");
    }

    [TestMethod]
    public void FusedOps_PresetFormatMixes_KeepTheirLaunchCounts()
    {
        // Q4Experts: Q8 dense MLPs beside Q4 experts, q_b Q8 beside kv_b BF16, the F32 classifier: each fused op stays one launch
        // per fused pair (the decode budget of docs/GPU.md), not the separate ops.
        var random = new Random(5);
        using var p = new BackendPair(_gpu);
        long before = _gpu.Launches;
        IlgpuFusedOpTests.MlpAndMoeExpertsMatchCpu(p, (r, c) => p.Weight("Q8", r, c, random), (r, c) => p.Weight("Q8", r, c, random),
            (r, c) => p.Weight("Q4", r, c, random), (r, c) => p.Weight("Q4", r, c, random), 1, 64, 96, 64, random, "Q4Experts");
        Assert.AreEqual(2 * 2, _gpu.Launches - before, "MlpAndMoeExperts: SwiGLU ∥ GateUp, down ⊕ DownCombine (two runs)");
        before = _gpu.Launches;
        IlgpuFusedOpTests.RouterTopKAndSwiGluMatchesCpu(p, (r, c) => p.Weight("F32", r, c, random), (r, c) => p.Weight("Q8", r, c, random),
            1, 64, 27, random, "Q8");
        Assert.AreEqual(1, _gpu.Launches - before, "RouterTopKAndSwiGlu with Q8 weights and an F32 classifier");
    }

    [TestMethod]
    public void AllocateWeight_GroupNotAPowerOfTwo_ThrowsNotSupportedNamingTheWeight()
    {
        var scales = _gpu.AllocateWeight(DType.F16, [4, 2], "w.scales");
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => _gpu.AllocateWeight(DType.Q4, [4, 192], "model.layers.0.mlp.down_proj.weight", scales, null, 96));
        StringAssert.Contains(ex.Message, "model.layers.0.mlp.down_proj.weight");
        scales.Dispose();
    }
}
