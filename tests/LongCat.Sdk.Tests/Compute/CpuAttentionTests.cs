using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using static LongCat.Sdk.Tests.Compute.BackendTensors;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The CPU's absorbed MLA attention over a paged latent cache: against a double-precision reference (ragged sequences, block
/// boundaries, widths with and without vector tails, several thread counts), and bit for bit between a token decoded alone and the
/// same token verified beside drafts (greedy speculative decoding is exact only if they agree).
/// </summary>
[TestClass]
public sealed class CpuAttentionTests
{
    private const int BlockSize = 4, MaxBlocks = 16;

    /// <summary>A cache of random rows and two sequences whose blocks are scattered through it.</summary>
    [TestMethod]
    [DataRow(7)]
    [DataRow(40)]
    [DataRow(301)]
    public void SoftMax_HasNoSubnormalProbability_AndOtherwiseTheBitsOfTensorPrimitives(int length)
    {
        // Arrange: a peaked row as trained attention makes it, scores 0 to 120 below the maximum (their exponentials run from
        // normal through subnormal to zero).
        var random = new Random(length);
        var scores = Enumerable.Range(0, length).Select(i => 30f - 120f * i / (length - 1) + (i == 0 ? 0f : (float)random.NextDouble() * 0.5f))
            .OrderBy(_ => random.Next()).ToArray();
        var reference = scores.Select(v => v - scores.Max()).ToArray();
        System.Numerics.Tensors.TensorPrimitives.SoftMax(reference, reference);
        Assert.IsTrue(reference.Any(float.IsSubnormal), "the row should make subnormal probabilities without the flush");

        // Act
        var probabilities = (float[])scores.Clone();
        LatentAttentionKernels.SoftMax(probabilities);

        // Assert
        for (int i = 0; i < length; i++)
        {
            Assert.IsFalse(float.IsSubnormal(probabilities[i]), $"[{i}] = {probabilities[i]:R} is subnormal");
            float expected = reference[i] < 1.17549435e-38f ? 0f : reference[i];
            Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(probabilities[i]),
                $"[{i}]: {probabilities[i]:R}, TensorPrimitives {reference[i]:R}");
        }
    }

    private sealed class Setup : IDisposable
    {
        public readonly CpuBackend B;
        public readonly MlaShape Shape;
        public readonly float[] Cache;
        public readonly int[][] Blocks = [[9, 2, 14, 5, 11, 0, 7, 12], [3, 13, 1, 8, 6, 10, 4, 15]];
        public readonly DeviceTensor CacheT, KvB, Tables;
        public readonly float[] KvBValues;

        public Setup(int threads, int heads, int latent, int rope, int seed)
        {
            B = new CpuBackend(WeightResidency.Mapped, threads);
            Shape = new MlaShape(heads, NopeDim: 5, RopeDim: rope, VDim: 7, Latent: latent);
            var random = new Random(seed);
            Cache = TestWeight.Vector(MaxBlocks * BlockSize * Shape.CacheWidth, random);
            CacheT = Upload(B, Cache, MaxBlocks * BlockSize, Shape.CacheWidth);
            KvBValues = TestWeight.Vector(heads * Shape.KvHeadRows * latent, random);
            KvB = Upload(B, KvBValues, heads * Shape.KvHeadRows, latent);
            var tables = new int[2 * MaxBlocks];
            for (int s = 0; s < 2; s++) Blocks[s].CopyTo(tables, s * MaxBlocks);
            Tables = UploadInts(B, tables, 2, MaxBlocks);
        }

        public float Row(int seq, int position, int column) =>
            Cache[(Blocks[seq][position / BlockSize] * BlockSize + position % BlockSize) * Shape.CacheWidth + column];

        /// <summary>Runs the fused op for tokens (sequence, position) and returns (o_lat, o).</summary>
        public (float[] OLat, float[] O) Run(float[] qLat, float[] qRot, (int Seq, int Pos)[] tokens, float scale)
        {
            int n = tokens.Length, H = Shape.Heads;
            using var ql = Upload(B, qLat, n, H * Shape.Latent);
            using var qr = Upload(B, qRot, n, H * Shape.RopeDim);
            using var pos = UploadInts(B, tokens.Select(t => t.Pos).ToArray(), n);
            using var slots = UploadInts(B, new int[n], n);
            using var seq = UploadInts(B, tokens.Select(t => t.Seq).ToArray(), n);
            using var oLat = B.Allocate(DType.F32, n, H * Shape.Latent);
            using var o = B.Allocate(DType.F32, n, H * Shape.VDim);
            B.MlaAttentionValue(ql, qr, CacheT, KvB, Shape, scale, new AttentionMetadata(pos, slots, seq, Tables, BlockSize), oLat, o);
            return (Download(B, oLat), Download(B, o));
        }

        public void Dispose()
        {
            CacheT.Dispose(); KvB.Dispose(); Tables.Dispose();
            B.Dispose();
        }
    }

    [TestMethod]
    [DataRow(1, 3, 20, 6)]      // vector parts and scalar tails in both the latent and the rope part
    [DataRow(2, 2, 72, 16)]     // a 64-wide register block, then an 8-wide one
    [DataRow(3, 4, 64, 32)]     // the demo model's widths
    [DataRow(2, 1, 5, 3)]       // no whole vector at all
    [DataRow(2, 8, 72, 16)]     // groups of four heads: 16-lane value blocks, then 8 lanes one query at a time
    [DataRow(1, 4, 20, 6)]      // a group of four heads with scalar tails
    public void MlaAttentionValue_RaggedPagedSequences_MatchDoubleReference(int threads, int heads, int latent, int rope)
    {
        // Arrange: a 3-token run of sequence 0 (a verify step crossing a block boundary), then 2 tokens of sequence 1, then one of 0.
        using var s = new Setup(threads, heads, latent, rope, seed: latent * 7 + heads);
        (int Seq, int Pos)[] tokens = [(0, 10), (0, 11), (0, 12), (1, 0), (1, 1), (0, 29)];
        var random = new Random(11);
        int n = tokens.Length, L = latent, R = rope, V = s.Shape.VDim;
        var qLat = TestWeight.Vector(n * heads * L, random);
        var qRot = TestWeight.Vector(n * heads * R, random);
        const float scale = 0.4f;

        // Act
        var (oLat, o) = s.Run(qLat, qRot, tokens, scale);

        // Assert
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++)
            {
                var (seq, pos) = tokens[t];
                var p = new double[pos + 1];
                for (int j = 0; j <= pos; j++)
                {
                    double dot = 0;
                    for (int i = 0; i < L; i++) dot += (double)qLat[(t * heads + h) * L + i] * s.Row(seq, j, i);
                    for (int k = 0; k < R; k++) dot += (double)qRot[(t * heads + h) * R + k] * s.Row(seq, j, L + k);
                    p[j] = scale * dot;
                }
                double max = p.Max(), sum = 0;
                for (int j = 0; j <= pos; j++) sum += p[j] = Math.Exp(p[j] - max);
                var expected = new double[L];
                for (int i = 0; i < L; i++)
                {
                    for (int j = 0; j <= pos; j++) expected[i] += p[j] / sum * s.Row(seq, j, i);
                    float actual = oLat[(t * heads + h) * L + i];
                    Assert.AreEqual(expected[i], actual, 1e-5, $"o_lat[token {t}, head {h}, {i}]");
                }
                for (int e = 0; e < V; e++)
                {
                    double value = 0;
                    for (int i = 0; i < L; i++) value += expected[i] * s.KvBValues[(h * s.Shape.KvHeadRows + s.Shape.NopeDim + e) * L + i];
                    Assert.AreEqual(value, o[(t * heads + h) * V + e], 1e-4, $"o[token {t}, head {h}, {e}]");
                }
            }
    }

    /// <summary>
    /// The score kernels' one order, written out lane by lane: the Vector256 loops' two 8-lane accumulators (a over lanes 0-7 of
    /// each 16 values of each part and the 8-value remainder, b over lanes 8-15), Vector256.Sum(a + b), then the scalar tail. The
    /// Vector512 loops (parts of whole 16-lane vectors on AVX-512) must give these bits, as the Vector256 loops do elsewhere.
    /// </summary>
    private static float ScoreInVector256Order(float[] q, float[] k, float[] row, int L, int R, float scale)
    {
        var a = new float[8]; var b = new float[8];
        void Part(float[] query, int offset, int width, out int end)
        {
            int i = 0;
            for (; i + 16 <= width; i += 16)
                for (int l = 0; l < 8; l++)
                {
                    a[l] = MathF.FusedMultiplyAdd(query[i + l], row[offset + i + l], a[l]);
                    b[l] = MathF.FusedMultiplyAdd(query[i + 8 + l], row[offset + i + 8 + l], b[l]);
                }
            for (; i + 8 <= width; i += 8)
                for (int l = 0; l < 8; l++) a[l] = MathF.FusedMultiplyAdd(query[i + l], row[offset + i + l], a[l]);
            end = i;
        }
        Part(q, 0, L, out int iEnd);
        Part(k, L, R, out int kEnd);
        var sum = new float[8];
        for (int l = 0; l < 8; l++) sum[l] = a[l] + b[l];
        float tail = 0;
        for (int i = iEnd; i < L; i++) tail = MathF.FusedMultiplyAdd(q[i], row[i], tail);
        for (int j = kEnd; j < R; j++) tail = MathF.FusedMultiplyAdd(k[j], row[L + j], tail);
        return scale * (System.Runtime.Intrinsics.Vector256.Sum(System.Runtime.Intrinsics.Vector256.Create(sum)) + tail);
    }

    [TestMethod]
    [DataRow(64, 32)]
    [DataRow(512, 64)]
    [DataRow(48, 16)]
    [DataRow(24, 8)]
    [DataRow(20, 6)]
    public unsafe void ScoreAndValueKernels_EveryWidth_HaveTheBitsOfTheOneLaneByLaneOrder(int L, int R)
    {
        // Arrange: nine rows (four-row groups and a remainder), four query heads, values of very different sizes.
        const int Rows = 9, Heads = 4, Stride = 700;
        const float Scale = 0.37f;
        var random = new Random(L * 31 + R);
        float[] Values(int n) => Enumerable.Range(0, n).Select(i => (float)(random.NextDouble() * 2 - 1) * (i % 5 == 0 ? 40f : 1f)).ToArray();
        var cache = Values(Rows * Stride);
        var qLat = Values(Heads * L); var qRot = Values(Heads * R);
        var p = Values(Heads * Rows);
        var one = new float[Rows]; var four = new float[Heads * Rows];
        var value = new float[L]; var values4 = new float[Heads * L];
        int[] table = [0, 1, 2];                                           // blocks of four rows, in order

        // Act
        fixed (float* c = cache, ql = qLat, qr = qRot, o = one, f = four, pp = p, v = value, v4 = values4)
        fixed (int* t = table)
        {
            LatentAttentionKernels.Scores(ql, qr, c, Stride, Rows, L, R, Scale, o);
            LatentAttentionKernels.Scores4(ql, qr, L, R, c, Stride, Rows, L, R, Scale, f, Rows);
            LatentAttentionKernels.Values(pp, Rows, c, Stride, t, 4, L, v);
            LatentAttentionKernels.Values4(pp, Rows, Rows, c, Stride, t, 4, L, v4, L);
        }

        // Assert
        for (int j = 0; j < Rows; j++)
        {
            var row = cache.AsSpan(j * Stride, L + R).ToArray();
            float alone = ScoreInVector256Order(qLat, qRot, row, L, R, Scale);
            Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(one[j]), $"Scores, row {j}: {alone:R} expected, {one[j]:R}");
            for (int h = 0; h < Heads; h++)
            {
                float expected = ScoreInVector256Order(qLat[(h * L)..((h + 1) * L)], qRot[(h * R)..((h + 1) * R)], row, L, R, Scale);
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(four[h * Rows + j]), $"Scores4, head {h}, row {j}");
            }
        }
        for (int h = 0; h < Heads; h++)
            for (int l = 0; l < L; l++)
            {
                float expected = 0;
                for (int j = 0; j < Rows; j++) expected = MathF.FusedMultiplyAdd(cache[j * Stride + l], p[h * Rows + j], expected);
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(values4[h * L + l]), $"Values4, head {h}, lane {l}");
                if (h == 0) Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(value[l]), $"Values, lane {l}");
            }
    }

    [TestMethod]
    [DataRow(64, 32)]
    [DataRow(20, 6)]
    public void MlaAttention_FourHeadsTogether_AreBitIdenticalToEachHeadAlone(int latent, int rope)
    {
        // Arrange: four heads share a group kernel that reads each cached row once for all of them; a one-head shape takes the
        // one-query path. The cache is the same; each head's query is sliced out.
        const int H = 4;
        using var s = new Setup(threads: 2, heads: H, latent, rope, seed: 9);
        var random = new Random(8);
        (int Seq, int Pos)[] tokens = [(0, 17), (0, 18)];
        var qLat = TestWeight.Vector(2 * H * latent, random);
        var qRot = TestWeight.Vector(2 * H * rope, random);
        using var pos = UploadInts(s.B, [17, 18], 2);
        using var slots = UploadInts(s.B, new int[2], 2);
        using var seq = UploadInts(s.B, [0, 0], 2);
        var meta = new AttentionMetadata(pos, slots, seq, s.Tables, BlockSize);

        // Act
        var (together, _) = s.Run(qLat, qRot, tokens, 0.3f);

        // Assert
        var one = s.Shape with { Heads = 1 };
        for (int h = 0; h < H; h++)
        {
            var ql = new float[2 * latent]; var qr = new float[2 * rope];
            for (int t = 0; t < 2; t++)
            {
                Array.Copy(qLat, (t * H + h) * latent, ql, t * latent, latent);
                Array.Copy(qRot, (t * H + h) * rope, qr, t * rope, rope);
            }
            using var qlT = Upload(s.B, ql, 2, latent);
            using var qrT = Upload(s.B, qr, 2, rope);
            using var oLat = s.B.Allocate(DType.F32, 2, latent);
            s.B.MlaAttention(qlT, qrT, s.CacheT, one, 0.3f, meta, oLat);
            var alone = Download(s.B, oLat);
            for (int t = 0; t < 2; t++)
                CollectionAssert.AreEqual(alone[(t * latent)..((t + 1) * latent)], together[((t * H + h) * latent)..((t * H + h + 1) * latent)],
                    $"token {t}, head {h}");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void MlaAttentionValue_TokenVerifiedBesideDrafts_IsBitIdenticalToDecodingItAlone(int threads)
    {
        // Arrange: positions 13..15 of sequence 1 in one call (a verify step: the pending token and two drafts, across a block
        // boundary), against each token alone (plain decoding).
        using var s = new Setup(threads, heads: 4, latent: 64, rope: 32, seed: 5);
        var random = new Random(3);
        int H = 4, L = 64, R = 32, V = s.Shape.VDim;
        (int Seq, int Pos)[] verify = [(1, 13), (1, 14), (1, 15)];
        var qLat = TestWeight.Vector(3 * H * L, random);
        var qRot = TestWeight.Vector(3 * H * R, random);

        // Act
        var (oLatAll, oAll) = s.Run(qLat, qRot, verify, 0.25f);

        // Assert
        for (int t = 0; t < 3; t++)
        {
            var (oLat, o) = s.Run(qLat[(t * H * L)..((t + 1) * H * L)], qRot[(t * H * R)..((t + 1) * H * R)], [verify[t]], 0.25f);
            CollectionAssert.AreEqual(oLat, oLatAll[(t * H * L)..((t + 1) * H * L)], $"o_lat of token {t}");
            CollectionAssert.AreEqual(o, oAll[(t * H * V)..((t + 1) * H * V)], $"o of token {t}");
        }
    }
}
