using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Quantization;

/// <summary>The SDK's Q8 and Q4 formats: the quantizers' error bounds, the nibble layout, the dequantizing reads, the preset plan.</summary>
[TestClass]
internal sealed unsafe class BlockFormatsTests
{
    private static float[] RandomRow(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * scale * (i % 7 == 0 ? 4 : 1);
        return x;
    }

    [TestMethod]
    [DataRow(32, 1f)]
    [DataRow(256, 0.02f)]
    [DataRow(96, 300f)]
    public void QuantizeQ8Row_EveryValueWithinHalfAStepOfItsBlockScale(int n, float scale)
    {
        // Arrange
        var x = RandomRow(n, n, scale);
        var q = new sbyte[n];
        var scales = new Half[n / 32];

        // Act
        BlockFormats.QuantizeQ8Row(x, q, scales);

        // Assert: w = s·q is within s/2 (plus the scale's own F16 rounding, at most 127 × 2⁻¹¹ of it) of x, and |q| ≤ 127.
        for (int i = 0; i < n; i++)
        {
            float s = (float)scales[i / 32];
            Assert.IsTrue(Math.Abs(x[i] - s * q[i]) <= s * (0.5f + 127f / 2048f), $"x[{i}] = {x[i]}, s = {s}, q = {q[i]}");
            Assert.IsTrue(q[i] is >= -127 and <= 127);
        }
    }

    [TestMethod]
    public void QuantizeQ8Row_ZeroBlock_HasScaleZeroAndCodesZero()
    {
        var x = new float[64];
        x[40] = 1f;                                           // the second block is not zero
        var q = new sbyte[64];
        var scales = new Half[2];

        BlockFormats.QuantizeQ8Row(x, q, scales);

        Assert.AreEqual(0f, (float)scales[0]);
        Assert.IsTrue(q.AsSpan(0, 32).IndexOfAnyExcept((sbyte)0) < 0);
        Assert.AreEqual(127, q[40]);
    }

    [TestMethod]
    public void QuantizeQ4Row_NibbleLayout_LowNibblesColumns0To15HighNibbles16To31()
    {
        // Arrange: a block whose extreme is −8 steps of 1: column c holds (c % 16) − 8 for c < 16 and (c % 16) − 8 for the rest too,
        // but negated in the second half, so the two halves have different codes.
        var x = new float[32];
        for (int c = 0; c < 16; c++) { x[c] = c - 8; x[16 + c] = 7 - c; }
        var packed = new byte[16];
        var scales = new Half[1];

        // Act
        BlockFormats.QuantizeQ4Row(x, packed, scales);

        // Assert: scale 1, code = value + 8; byte j = code(j) | code(16 + j) << 4.
        Assert.AreEqual(1f, (float)scales[0]);
        for (int j = 0; j < 16; j++)
        {
            Assert.AreEqual(j, packed[j] & 0xF, $"low nibble of byte {j}");
            Assert.AreEqual(15 - j, packed[j] >> 4, $"high nibble of byte {j}");
        }
    }

    [TestMethod]
    public void Q4Error_VectorForm_MatchesTheScalarTwinBitForBit()
    {
        // Arrange: random blocks, blocks spanning many binades, zeros, values on rounding ties, and scales of both signs,
        // tiny (codes clamped) and from the quantizer's own candidates.
        var random = new Random(5);
        var blocks = new List<float[]>();
        for (int k = 0; k < 200; k++)
            blocks.Add(Enumerable.Range(0, 32).Select(_ => (float)(random.NextDouble() - 0.5) * MathF.Pow(10, random.Next(-6, 4))).ToArray());
        blocks.Add(new float[32]);
        blocks.Add(Enumerable.Range(0, 32).Select(i => (i - 16) * 0.5f).ToArray());
        blocks.Add(Enumerable.Range(0, 32).Select(i => i % 2 == 0 ? -1e-30f : 3e5f).ToArray());
        int compared = 0;
        foreach (var block in blocks)
        {
            float max = block.MaxBy(MathF.Abs);
            var scales = new[] { max / -8f, max / 7f, 1e-3f, -0.25f, 0.5f, 1e-20f }.Where(s => s != 0 && float.IsFinite(s));
            foreach (float scale in scales)
            {
                // Act
                double e = BlockFormats.Q4Error(block, scale, out double xq, out double qq);
                double es = BlockFormats.Q4ErrorScalar(block, scale, out double xqs, out double qqs);

                // Assert
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(es), BitConverter.DoubleToInt64Bits(e), $"error, scale {scale}");
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(xqs), BitConverter.DoubleToInt64Bits(xq), $"Σ x·c, scale {scale}");
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(qqs), BitConverter.DoubleToInt64Bits(qq), $"Σ c², scale {scale}");
                compared++;
            }
        }
        Assert.IsTrue(compared > 1000, $"{compared} comparisons");
    }

    [TestMethod]
    public void Q4Error_IsTheSquaredErrorOfTheRoundedCodes()
    {
        // Arrange: x = 0.3·(i − 16) with scale 0.25: codes round(1.2·(i − 16)) clamped to −8..7.
        var block = Enumerable.Range(0, 32).Select(i => 0.3f * (i - 16)).ToArray();
        double expected = 0, expectedXq = 0, expectedQq = 0;
        foreach (float x in block)
        {
            double c = Math.Clamp(Math.Round((double)(x * 4f), MidpointRounding.AwayFromZero), -8, 7);
            expected += Math.Pow(x - 0.25 * c, 2);
            expectedXq += x * c;
            expectedQq += c * c;
        }

        // Act
        double err = BlockFormats.Q4Error(block, 0.25f, out double xq, out double qq);

        // Assert
        Assert.AreEqual(expected, err, 1e-12);
        Assert.AreEqual(expectedXq, xq, 1e-12);
        Assert.AreEqual(expectedQq, qq);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void QuantizeQ4Row_ErrorNoWorseThanTheExtremeMappedToMinus8(int seed)
    {
        // Arrange
        var x = RandomRow(32 * 64, seed);
        var packed = new byte[x.Length / 2];
        var scales = new Half[x.Length / 32];

        // Act
        BlockFormats.QuantizeQ4Row(x, packed, scales);

        // Assert: per block, the chosen scale's squared error ≤ that of llama.cpp's Q4_0 rule (max / −8), and over the row it is
        // strictly smaller (the search pays).
        double total = 0, plainTotal = 0;
        fixed (byte* p = packed)
            for (int b = 0; b < scales.Length; b++)
            {
                float max = 0;
                for (int i = 0; i < 32; i++) if (Math.Abs(x[b * 32 + i]) > Math.Abs(max)) max = x[b * 32 + i];
                float plain = (float)(Half)(max / -8f);
                double err = 0, plainErr = 0;
                for (int i = 0; i < 32; i++)
                {
                    int c = b * 32 + i;
                    err += Math.Pow(x[c] - (float)scales[b] * (BlockFormats.Q4Code(p, c) - 8), 2);
                    int plainCode = Math.Clamp((int)MathF.Round(x[c] / plain, MidpointRounding.AwayFromZero), -8, 7);
                    plainErr += Math.Pow(x[c] - plain * plainCode, 2);
                }
                Assert.IsTrue(err <= plainErr * (1 + 1e-9), $"block {b}: {err} > {plainErr}");
                total += err;
                plainTotal += plainErr;
            }
        Assert.IsTrue(total < plainTotal, $"search error {total} vs plain {plainTotal}");
    }

    [TestMethod]
    [DataRow(DType.Q8, 32, false)]
    [DataRow(DType.Q4, 32, false)]
    [DataRow(DType.Q4, 64, true)]
    [DataRow(DType.Q4, 128, true)]
    public void ReadRow_QuantizedWeight_DequantizesEachValue(DType format, int group, bool zeros)
    {
        // Arrange: a [3, 128] weight with random codes, scales and zero points.
        const int rows = 3, cols = 128;
        var random = new Random(7);
        var values = new byte[format.ByteCount(rows * cols)];
        random.NextBytes(values);
        if (format == DType.Q8) for (int i = 0; i < values.Length; i++) if (values[i] == 0x80) values[i] = 0;
        var scaleValues = Enumerable.Range(0, rows * cols / group).Select(_ => (Half)(random.NextDouble() * 0.1)).ToArray();
        var zeroValues = Enumerable.Range(0, rows * cols / group).Select(_ => (byte)random.Next(16)).ToArray();
        using var backend = new CpuBackend(WeightResidency.Mapped, threads: 1);
        var scales = backend.AllocateWeight(DType.F16, [rows, cols / group], "w_scale");
        backend.Upload<Half>(scales, scaleValues);
        DeviceTensor? zeroTensor = null;
        if (zeros)
        {
            zeroTensor = backend.AllocateWeight(DType.U8, [rows, cols / group], "w_zero");
            backend.Upload<byte>(zeroTensor, zeroValues);
        }
        var w = (CpuTensor)backend.AllocateWeight(format, [rows, cols], "w", scales, zeroTensor, group);
        backend.Upload<byte>(w, values);
        var row = new float[cols];

        for (int r = 0; r < rows; r++)
        {
            // Act
            fixed (float* dst = row) SimdKernels.ReadRow(w, r, 0, cols, dst);

            // Assert
            for (int c = 0; c < cols; c++)
            {
                int g = r * (cols / group) + c / group;
                float expected = format == DType.Q8
                    ? (float)scaleValues[g] * (sbyte)values[r * cols + c]
                    : (float)scaleValues[g] * (Q4Code(values, r * cols / 2, c) - (zeros ? zeroValues[g] : 8));
                Assert.AreEqual(expected, row[c], $"[{r}, {c}]");
            }
        }
    }

    private static int Q4Code(byte[] values, int rowStart, int c)
    {
        byte b = values[rowStart + c / 32 * 16 + c % 16];
        return c % 32 < 16 ? b & 0xF : b >> 4;
    }

    [TestMethod]
    [DataRow("model.layers.0.self_attn.1.q_a_proj.weight", DType.Q8, DType.Q8, DType.Q4)]
    [DataRow("model.layers.0.self_attn.1.o_proj.weight", DType.Q8, DType.Q8, DType.Q4)]
    [DataRow("model.layers.0.mlps.0.down_proj.weight", DType.Q8, DType.Q8, DType.Q4)]
    [DataRow("model.layers.3.mlp.experts.7.gate_proj.weight", DType.Q8, DType.Q4, DType.Q4)]
    [DataRow("model.mtp.layers.0.eh_proj.weight", DType.Q8, DType.Q8, DType.Q4)]
    [DataRow("lm_head.weight", DType.Q8, DType.Q8, DType.Q8)]
    public void QuantizationPlan_QuantizedWeights_TakeEachPresetsFormat(string name, DType q8, DType q4Experts, DType q4)
    {
        Assert.IsNull(QuantizationPlan.FormatFor(WeightQuantization.None, name, 256));
        Assert.AreEqual(q8, QuantizationPlan.FormatFor(WeightQuantization.Q8, name, 256));
        Assert.AreEqual(q4Experts, QuantizationPlan.FormatFor(WeightQuantization.Q4Experts, name, 256));
        Assert.AreEqual(q4, QuantizationPlan.FormatFor(WeightQuantization.Q4, name, 256));
        Assert.IsNull(QuantizationPlan.FormatFor(WeightQuantization.Q4, name, 250), "rows that are not a multiple of 32 stay as stored");
    }

    [TestMethod]
    [DataRow("model.layers.0.mlp.router.classifier.weight")]
    [DataRow("model.layers.0.self_attn.0.kv_b_proj.weight")]
    [DataRow("model.embed_tokens.weight")]
    [DataRow("model.ngram_embeddings.post_projs.0.weight")]
    [DataRow("model.ngram_embeddings.embedders.0.weight")]
    [DataRow("model.layers.0.input_layernorm.0.weight")]
    public void QuantizationPlan_KeptWeights_StayAsStoredInEveryPreset(string name)
    {
        foreach (var preset in Enum.GetValues<WeightQuantization>())
            Assert.IsNull(QuantizationPlan.FormatFor(preset, name, 256), $"{name} under {preset}");
    }
}
