using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// Backend conformance: every op on random inputs through <see cref="IlgpuBackend"/> (ILGPU's CPU accelerator shaped like a CUDA
/// device: warp 32, groups of 256) and through the CPU backend, at sizes that are not multiples of the vector width, warp or tile.
/// Tolerances: data movement is exact; norms and element-wise ops agree to 1e-5 relative; dot products to 2e-6·K + 1e-5·|y|
/// (F32 sums of K products reassociated across warp lanes); attention and MoE, which chain several of those, to 1e-4 + 1e-4·|y|.
/// </summary>
[TestClass]
internal sealed class IlgpuConformanceTests
{
    private static IlgpuBackend _gpu = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _gpu = IlgpuTestDevice.Create();

    [ClassCleanup]
    public static void Cleanup() => _gpu.Dispose();

    private static BackendPair NewPair() => new(_gpu);

    private static float[] Random(int n, Random r, float scale = 1f) => TestWeight.Vector(n, r).Select(v => v * scale).ToArray();

    [TestMethod]
    [DataRow(DType.BF16, 1, false)]
    [DataRow(DType.BF16, 3, true)]
    [DataRow(DType.BF16, 70, false)]
    [DataRow(DType.F32, 2, false)]
    [DataRow(DType.F32, 9, true)]
    [DataRow(DType.F16, 4, false)]
    [DataRow(DType.F16, 7, false)]
    [DataRow(DType.F8E4M3, 1, false)]
    [DataRow(DType.F8E4M3, 6, true)]
    public void MatMul_OddShapes_MatchesCpu(DType dtype, int tokens, bool accumulate)
    {
        var random = new Random(tokens * 7 + (int)dtype);
        using var p = NewPair();
        foreach (var (outDim, inDim) in new[] { (130, 203), (67, 132) })    // scalar path (K odd) and vector path (K % 4 = 0)
        {
            var w = p.Weight(dtype, outDim, inDim, random);
            var x = p.F32(Random(tokens * inDim, random), tokens, inDim);
            var y = p.F32(Random(tokens * outDim, random), tokens, outDim);
            p.Cpu.MatMul(x.Cpu, w.Cpu, y.Cpu, accumulate);
            p.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu, accumulate);
            p.AssertClose(y, 2e-6 * inDim, 1e-5, $"{dtype} [{outDim}x{inDim}] T={tokens}");
        }
    }

    /// <summary>Rows of very different scales (so a missing or misplaced norm factor shows) and a norm weight of magnitude 2.</summary>
    private static (Pair X, Pair Weight) NormedInput(BackendPair p, DType normType, int tokens, int n, Random random)
    {
        var xv = Random(tokens * n, random);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < n; i++) xv[t * n + i] *= t % 3 == 0 ? 1f : t % 3 == 1 ? 1e-2f : 30f;
        return (p.F32(xv, tokens, n), p.Weight(normType, 0, n, random, magnitude: 2f));
    }

    [TestMethod]
    [DataRow(DType.BF16, 1)]
    [DataRow(DType.BF16, 66)]
    [DataRow(DType.F32, 3)]
    [DataRow(DType.F8E4M3, 5)]
    [DataRow(DType.F16, 2)]
    public void MatMulSwiGlu_NormedInput_OddShapes_MatchesCpu(DType dtype, int tokens)
    {
        const int ffn = 75, hidden = 132;
        var random = new Random(100 + tokens);
        using var p = NewPair();
        var g = p.Weight(dtype, ffn, hidden, random);
        var u = p.Weight(dtype, ffn, hidden, random);
        var (x, norm) = NormedInput(p, DType.BF16, tokens, hidden, random);
        var h = p.Zeros(DType.F32, tokens, ffn);
        p.Cpu.MatMulSwiGlu(new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), g.Cpu, u.Cpu, h.Cpu);
        p.Gpu.MatMulSwiGlu(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), g.Gpu, u.Gpu, h.Gpu);
        p.AssertClose(h, 2e-6 * hidden, 1e-5, $"{dtype} swiglu T={tokens}");
    }

    [TestMethod]
    [DataRow(DType.BF16, 1)]
    [DataRow(DType.F32, 4)]
    [DataRow(DType.F16, 3)]
    [DataRow(DType.F8E4M3, 1)]
    [DataRow(DType.F8E4M3, 70)]
    [DataRow(DType.BF16, 9)]
    public void MatMulPair_NormedInput_OddShapes_MatchesCpu(DType dtype, int tokens)
    {
        // out1 = 130 rows (like q_lora, not a multiple of FP8's 128-row blocks), out2 = 67: the row kernel's second weight starts
        // mid-group and the tiled kernel's second weight starts mid-tile-row; K odd (scalar path) and K % 4 = 0 (vector path).
        var random = new Random(300 + tokens * 3 + (int)dtype);
        using var p = NewPair();
        foreach (int inDim in new[] { 203, 132 })
        {
            var w1 = p.Weight(dtype, 130, inDim, random);
            var w2 = p.Weight(dtype, 67, inDim, random);
            var (x, norm) = NormedInput(p, DType.F32, tokens, inDim, random);
            var y1 = p.Zeros(DType.F32, tokens, 130);
            var y2 = p.Zeros(DType.F32, tokens, 67);
            p.Cpu.MatMulPair(new RmsNormed(x.Cpu, norm.Cpu, 1e-6f), w1.Cpu, y1.Cpu, w2.Cpu, y2.Cpu);
            p.Gpu.MatMulPair(new RmsNormed(x.Gpu, norm.Gpu, 1e-6f), w1.Gpu, y1.Gpu, w2.Gpu, y2.Gpu);
            p.AssertClose(y1, 2e-6 * inDim, 1e-5, $"{dtype} pair y1 [{inDim}] T={tokens}");
            p.AssertClose(y2, 2e-6 * inDim, 1e-5, $"{dtype} pair y2 [{inDim}] T={tokens}");
        }
    }

    [TestMethod]
    [DataRow(DType.F32, 37)]
    [DataRow(DType.BF16, 64)]
    [DataRow(DType.F16, 1030)]
    public void RmsNorm_MatchesCpu(DType weightType, int n)
    {
        const int rows = 3;
        var random = new Random(n);
        using var p = NewPair();
        var w = p.Weight(weightType, 0, n, random, magnitude: 2f);
        var xv = Random(rows * n, random);
        for (int i = 0; i < n; i++) xv[n + i] *= 1e-3f;
        var x = p.F32(xv, rows, n);
        var o = p.Zeros(DType.F32, rows, n);
        p.Cpu.RmsNorm(x.Cpu, w.Cpu, 1e-5f, o.Cpu);
        p.Gpu.RmsNorm(x.Gpu, w.Gpu, 1e-5f, o.Gpu);
        p.AssertClose(o, 1e-6, 1e-5, "RmsNorm");
    }

    [TestMethod]
    [DataRow(DType.BF16)]
    [DataRow(DType.F32)]
    [DataRow(DType.F16)]
    public void EmbeddingAndDataMovement_AreExact(DType tableType)
    {
        var random = new Random(3);
        using var p = NewPair();
        var table = p.Weight(tableType, 29, 19, random);
        var ids = p.I32([4, 28, 0, 17, 9, 3, 28, 1, 11, 5], 5, 2);
        var e = p.Zeros(DType.F32, 5, 19);
        p.Cpu.Embedding(table.Cpu, ids.Cpu, 1, e.Cpu);
        p.Gpu.Embedding(table.Gpu, ids.Gpu, 1, e.Gpu);
        p.AssertClose(e, 0, 0, "Embedding");

        var b = p.F32(Random(5 * 7, random), 5, 7);
        var cat = p.Zeros(DType.F32, 5, 26);
        p.Cpu.ConcatColumns(e.Cpu, b.Cpu, cat.Cpu);
        p.Gpu.ConcatColumns(e.Gpu, b.Gpu, cat.Gpu);
        p.AssertClose(cat, 0, 0, "ConcatColumns");

        var rows = p.I32([4, 0, 4], 3);
        var gathered = p.Zeros(DType.F32, 3, 26);
        p.Cpu.GatherRows(cat.Cpu, rows.Cpu, gathered.Cpu);
        p.Gpu.GatherRows(cat.Gpu, rows.Gpu, gathered.Gpu);
        p.AssertClose(gathered, 0, 0, "GatherRows");

        p.Cpu.Scale(cat.Cpu, -0.37f);
        p.Gpu.Scale(cat.Gpu, -0.37f);
        p.AssertClose(cat, 0, 0, "Scale");
    }

    [TestMethod]
    [DataRow(DType.BF16, 1, 36, 27)]
    [DataRow(DType.BF16, 7, 36, 44)]
    [DataRow(DType.F32, 3, 30, 27)]
    [DataRow(DType.F8E4M3, 2, 36, 130)]
    [DataRow(DType.F16, 5, 30, 44)]
    public void MlaOps_OverPagedCache_MatchCpu(DType dtype, int tokens, int latent, int qLora)
    {
        // nH = 5 heads (not a multiple of the 4 heads an attention group serves), rope 8, nope 16, v 12; block size 4; two sequences
        // whose blocks are scattered through the cache; the step's tokens continue them at positions that cross block boundaries.
        // q_lora odd (scalar loads) or a multiple of 4 but not of 128 (FP8 blocks cut mid-way); latent 30: width L+R not a multiple of 4.
        var random = new Random(tokens * 13 + latent + qLora);
        using var p = NewPair();
        MlaOpsMatchCpu(p, (rows, cols) => p.Weight(dtype, rows, cols, random), (rows, cols) => p.Weight(dtype, rows, cols, random),
            tokens, latent, qLora, random);
    }

    /// <summary>
    /// <see cref="MlaOps_OverPagedCache_MatchCpu"/> with q_b and kv_b from the given factories ([rows, cols] → weight), which may make
    /// them in different formats (a quantized q_b beside kv_b as stored).
    /// </summary>
    internal static void MlaOpsMatchCpu(BackendPair p, Func<int, int, Pair> qBWeight, Func<int, int, Pair> kvBWeight, int tokens, int latent,
        int qLora, Random random)
    {
        var shape = new MlaShape(Heads: 5, NopeDim: 16, RopeDim: 8, VDim: 12, Latent: latent);
        const int blockSize = 4, cacheBlocks = 40;
        var kvB = kvBWeight(shape.Heads * shape.KvHeadRows, latent);
        var qB = qBWeight(shape.Heads * shape.QHeadDim, qLora);
        var norm = p.Weight(DType.BF16, 0, latent, random);
        var qaNorm = p.Weight(DType.F32, 0, qLora, random, magnitude: 2f);
        var invFreq = p.F32([1f, 0.1f, 0.01f, 0.001f], 4);
        var rope = (Cpu: new RopeParams(invFreq.Cpu, 1.13f), Gpu: new RopeParams(invFreq.Gpu, 1.13f));
        var cache = p.F32(Random(cacheBlocks * blockSize * shape.CacheWidth, random), cacheBlocks * blockSize, shape.CacheWidth);

        int[] starts = [37, 11];                                            // cached tokens of each sequence before this step
        int[][] blocks = [[3, 17, 8, 22, 1, 30, 5, 12, 9, 25, 14, 2], [6, 19, 27, 4, 33]];
        var positions = new int[tokens]; var slots = new int[tokens]; var seqOf = new int[tokens];
        for (int t = 0; t < tokens; t++)
        {
            int s = t % 2, at = starts[s] + t / 2;
            positions[t] = at; seqOf[t] = s; slots[t] = blocks[s][at / blockSize] * blockSize + at % blockSize;
        }
        var tables = new int[2 * 12];
        for (int s = 0; s < 2; s++) for (int i = 0; i < blocks[s].Length; i++) tables[s * 12 + i] = blocks[s][i];
        var pos = p.I32(positions, tokens); var slot = p.I32(slots, tokens); var seq = p.I32(seqOf, tokens); var table = p.I32(tables, 2, 12);
        var metaCpu = new AttentionMetadata(pos.Cpu, slot.Cpu, seq.Cpu, table.Cpu, blockSize);
        var metaGpu = new AttentionMetadata(pos.Gpu, slot.Gpu, seq.Gpu, table.Gpu, blockSize);

        var ckv = p.F32(Random(tokens * shape.CacheWidth, random, 3f), tokens, shape.CacheWidth);
        var (qa, _) = NormedInput(p, DType.F32, tokens, qLora, random);
        var qLat = p.Zeros(DType.F32, tokens, shape.Heads * latent);
        var qRot = p.Zeros(DType.F32, tokens, shape.Heads * shape.RopeDim);
        var cpuWeights = new MlaLatentWeights(qaNorm.Cpu, qB.Cpu, norm.Cpu, kvB.Cpu, 1e-6f, 0.8f, 1.7f);
        var gpuWeights = new MlaLatentWeights(qaNorm.Gpu, qB.Gpu, norm.Gpu, kvB.Gpu, 1e-6f, 0.8f, 1.7f);
        p.Cpu.MlaQueryAndCache(qa.Cpu, ckv.Cpu, cpuWeights, shape, rope.Cpu, metaCpu, cache.Cpu, qLat.Cpu, qRot.Cpu);
        p.Gpu.MlaQueryAndCache(qa.Gpu, ckv.Gpu, gpuWeights, shape, rope.Gpu, metaGpu, cache.Gpu, qLat.Gpu, qRot.Gpu);
        p.AssertClose(cache, 1e-6, 1e-5, "cache after MlaQueryAndCache");
        // q passes two products (q_b over q_lora, then W_UK over nope) before the absorb's sum: the dot-product tolerance of both.
        p.AssertClose(qLat, 2e-6 * (qLora + shape.NopeDim), 1e-5, "qLat");
        p.AssertClose(qRot, 2e-6 * qLora, 1e-5, "qRot");

        var oLat = p.Zeros(DType.F32, tokens, shape.Heads * latent);
        p.Cpu.MlaAttention(qLat.Cpu, qRot.Cpu, cache.Cpu, shape, 0.3f, metaCpu, oLat.Cpu);
        p.Gpu.MlaAttention(qLat.Gpu, qRot.Gpu, cache.Gpu, shape, 0.3f, metaGpu, oLat.Gpu);
        p.AssertClose(oLat, 1e-4, 1e-4, "oLat");

        var o = p.Zeros(DType.F32, tokens, shape.Heads * shape.VDim);
        p.Cpu.MlaValue(oLat.Cpu, kvB.Cpu, shape, o.Cpu);
        p.Gpu.MlaValue(oLat.Gpu, kvB.Gpu, shape, o.Gpu);
        p.AssertClose(o, 2e-6 * latent, 1e-5, "o");

        // The fused op (W_UV as the attention's epilogue on the GPU) against the CPU's attention then value.
        var fused = p.Zeros(DType.F32, tokens, shape.Heads * shape.VDim);
        var scratch = p.Zeros(DType.F32, tokens, shape.Heads * latent);
        p.Cpu.MlaAttentionValue(qLat.Cpu, qRot.Cpu, cache.Cpu, kvB.Cpu, shape, 0.3f, metaCpu, scratch.Cpu, fused.Cpu);
        p.Gpu.MlaAttentionValue(qLat.Gpu, qRot.Gpu, cache.Gpu, kvB.Gpu, shape, 0.3f, metaGpu, scratch.Gpu, fused.Gpu);
        p.AssertClose(fused, 2e-6 * latent + 1e-4, 1e-4, "o from MlaAttentionValue");
    }

    [TestMethod]
    [DataRow(DType.F32, 3)]
    [DataRow(DType.BF16, 1)]
    public void RouterTopK_MatchesCpuSelectionAndWeights(DType dtype, int tokens)
    {
        const int hidden = 37, experts = 13, k = 4;
        var random = new Random(5 + tokens);
        using var p = NewPair();
        var cls = p.Weight(dtype, experts, hidden, random);
        var bias = p.F32(Random(experts, random, 0.05f), experts);
        var (x, norm) = NormedInput(p, DType.BF16, tokens, hidden, random);
        var ids = p.Zeros(DType.I32, tokens, k);
        var w = p.Zeros(DType.F32, tokens, k);
        var normed = p.Zeros(DType.F32, tokens, hidden);
        p.Cpu.RouterTopK(new RmsNormed(x.Cpu, norm.Cpu, 1e-5f), cls.Cpu, bias.Cpu, k, 2.5f, ids.Cpu, w.Cpu, normed.Cpu);
        p.Gpu.RouterTopK(new RmsNormed(x.Gpu, norm.Gpu, 1e-5f), cls.Gpu, bias.Gpu, k, 2.5f, ids.Gpu, w.Gpu, normed.Gpu);
        p.AssertClose(normed, 1e-6, 1e-5, "normed router input");
        CollectionAssert.AreEqual(p.ReadInts(ids.Cpu, p.Cpu), p.ReadInts(ids.Gpu, p.Gpu), "selected experts, in order");
        p.AssertClose(w, 1e-6, 1e-5, "routing weights");
    }

    [TestMethod]
    [DataRow(DType.BF16, 7, false)]
    [DataRow(DType.F8E4M3, 3, true)]
    [DataRow(DType.F32, 1, false)]                                               // one token: the decode path (GateUp + DownCombine)
    [DataRow(DType.BF16, 1, true)]
    public void MoeExperts_GroupedByExpert_MatchesCpu(DType dtype, int tokens, bool accumulate)
    {
        // 5 real experts (ids 0..4) and 3 identity ones (5..7), top-3; expert 0 serves more than four slots (two work tiles).
        var random = new Random(21 + tokens);
        using var p = NewPair();
        MoeExpertsMatchCpu(p, (rows, cols) => p.Weight(dtype, rows, cols, random), (rows, cols) => p.Weight(dtype, rows, cols, random),
            tokens, accumulate, 40, 24, random, dtype.ToString());
    }

    /// <summary>
    /// <see cref="MoeExperts_GroupedByExpert_MatchesCpu"/> with the experts' gate/up and down weights from the given factories
    /// ([rows, cols] → weight), which may differ in format.
    /// </summary>
    internal static void MoeExpertsMatchCpu(BackendPair p, Func<int, int, Pair> gateUpWeight, Func<int, int, Pair> downWeight, int tokens,
        bool accumulate, int hidden, int ffn, Random random, string dtype)
    {
        const int k = 3, real = 5;
        var gate = Enumerable.Range(0, real).Select(_ => gateUpWeight(ffn, hidden)).ToArray();
        var up = Enumerable.Range(0, real).Select(_ => gateUpWeight(ffn, hidden)).ToArray();
        var down = Enumerable.Range(0, real).Select(_ => downWeight(hidden, ffn)).ToArray();
        var cpuExperts = new ExpertWeights(gate.Select(g => g.Cpu).ToArray(), up.Select(g => g.Cpu).ToArray(), down.Select(g => g.Cpu).ToArray());
        var gpuExperts = new ExpertWeights(gate.Select(g => g.Gpu).ToArray(), up.Select(g => g.Gpu).ToArray(), down.Select(g => g.Gpu).ToArray());
        var idv = new int[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            idv[t * k] = 0;                                                  // every token uses expert 0
            idv[t * k + 1] = 1 + random.Next(7);
            do idv[t * k + 2] = random.Next(8); while (idv[t * k + 2] == 0 || idv[t * k + 2] == idv[t * k + 1]);
        }
        var x = p.F32(Random(tokens * hidden, random), tokens, hidden);
        var ids = p.I32(idv, tokens, k);
        var w = p.F32(Random(tokens * k, random), tokens, k);
        var o = p.F32(Random(tokens * hidden, random), tokens, hidden);         // the residual stream when accumulating
        for (int run = 0; run < 2; run++)                                    // the second call reuses the packed experts
        {
            p.Cpu.MoeExperts(x.Cpu, ids.Cpu, w.Cpu, cpuExperts, o.Cpu, accumulate);
            p.Gpu.MoeExperts(x.Gpu, ids.Gpu, w.Gpu, gpuExperts, o.Gpu, accumulate);
            p.AssertClose(o, 1e-4, 1e-4, $"{dtype} MoE output{(accumulate ? " added to h" : "")}, run {run}");
        }
    }

    [TestMethod]
    public void Embedding_TokenIdOutsideTable_ThrowsAtNextDownload()
    {
        using var p = NewPair();
        var table = p.Weight(DType.F32, 4, 8, new Random(1));
        var ids = p.I32([1, 4], 2, 1);
        var e = p.Zeros(DType.F32, 2, 8);
        p.Gpu.Embedding(table.Gpu, ids.Gpu, 0, e.Gpu);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => p.ReadGpu(e.Gpu));
        StringAssert.Contains(ex.Message, "token id");
        p.ReadGpu(e.Gpu);                                                    // the status was cleared
    }

    [TestMethod]
    public void MatMul_MismatchedShapes_ThrowsArgumentException()
    {
        using var p = NewPair();
        var w = p.Weight(DType.F32, 4, 6, new Random(1));
        var x = p.Zeros(DType.F32, 2, 5);
        var y = p.Zeros(DType.F32, 2, 4);
        Assert.ThrowsExactly<ArgumentException>(() => p.Gpu.MatMul(x.Gpu, w.Gpu, y.Gpu));
    }

    [TestMethod]
    public void Tensor_FromAnotherBackend_IsRejected()
    {
        using var p = NewPair();
        var x = p.Zeros(DType.F32, 2, 4);
        Assert.ThrowsExactly<ArgumentException>(() => p.Gpu.Scale(x.Cpu, 2f));
    }
}
