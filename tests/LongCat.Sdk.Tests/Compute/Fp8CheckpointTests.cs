using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// Block-FP8 checkpoints end to end: tiny-a with layer 0's expert weights quantized to E4M3 with 128×128 <c>weight_scale_inv</c>
/// blocks gives the same logits as tiny-a with those weights stored as the dequantized F32 values.
/// </summary>
[TestClass]
public sealed class Fp8CheckpointTests
{
    private static readonly ModelOptions Options = new() { Residency = WeightResidency.Mapped, KvCacheBlocks = 4 };

    private static bool IsLayer0ExpertWeight(string name) =>
        name.StartsWith(WeightNames.Expert(0, 0)[..^1], StringComparison.Ordinal) && name.EndsWith("_proj.weight", StringComparison.Ordinal);

    /// <summary>E4M3 codes, F32 block scales [⌈out/128⌉, ⌈in/128⌉] (max|w|/448 per block) and the dequantized values.</summary>
    private static (byte[] Codes, float[] Scales, float[] Dequantized) Quantize(float[] w, int rows, int cols)
    {
        int bs = WeightFormats.Fp8BlockSize, br = (rows + bs - 1) / bs, bc = (cols + bs - 1) / bs;
        var scales = new float[br * bc];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                scales[r / bs * bc + c / bs] = Math.Max(scales[r / bs * bc + c / bs], Math.Abs(w[r * cols + c]));
        for (int i = 0; i < scales.Length; i++) scales[i] = scales[i] > 0 ? scales[i] / 448f : 1f;
        var codes = new byte[w.Length];
        var dequantized = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float s = scales[r / bs * bc + c / bs];
                int i = r * cols + c;
                codes[i] = WeightFormats.FloatToFp8E4M3(w[i] / s);
                dequantized[i] = WeightFormats.Fp8E4M3ToFloat(codes[i]) * s;
            }
        return (codes, scales, dequantized);
    }

    private static float[] Bf16Values(byte[] data)
    {
        var v = new float[data.Length / 2];
        for (int i = 0; i < v.Length; i++) v[i] = WeightFormats.Bf16ToFloat(BitConverter.ToUInt16(data, 2 * i));
        return v;
    }

    /// <summary>tiny-a as two single-file checkpoints: layer 0's expert weights in E4M3 with 128×128 scales in <paramref name="fp8Dir"/>,
    /// the same weights as their dequantized F32 values in <paramref name="f32Dir"/>; every other tensor as stored in both.</summary>
    internal static void WriteFp8AndDequantizedCopies(TempDir fp8Dir, TempDir f32Dir)
    {
        var fp8 = new SafetensorsWriter();
        var f32 = new SafetensorsWriter();
        int quantized = 0;
        foreach (var shard in new[] { CheckpointFiles.Shard1, CheckpointFiles.Shard2 })
            foreach (var t in CheckpointFiles.ReadTensors(Path.Combine(Fixtures.Dir("tiny-a"), shard)))
            {
                if (!IsLayer0ExpertWeight(t.Name))
                {
                    fp8.Add(t.Name, t.DType, t.Shape, t.Data);
                    f32.Add(t.Name, t.DType, t.Shape, t.Data);
                    continue;
                }
                Assert.AreEqual(DType.BF16, t.DType, t.Name);
                int rows = (int)t.Shape[0], cols = (int)t.Shape[1], bs = WeightFormats.Fp8BlockSize;
                var (codes, scales, dequantized) = Quantize(Bf16Values(t.Data), rows, cols);
                fp8.Add(t.Name, DType.F8E4M3, t.Shape, codes);
                fp8.AddFloats(t.Name + WeightNames.ScaleSuffix, DType.F32, [(rows + bs - 1) / bs, (cols + bs - 1) / bs], scales);
                f32.AddFloats(t.Name, DType.F32, t.Shape, dequantized);
                quantized++;
            }
        Assert.AreEqual(8 * 3, quantized, "gate, up and down of 8 experts");
        fp8.Write(fp8Dir.File("model.safetensors"));
        f32.Write(f32Dir.File("model.safetensors"));
        foreach (var dir in new[] { fp8Dir, f32Dir }) File.Copy(Path.Combine(Fixtures.Dir("tiny-a"), "config.json"), dir.File("config.json"));
    }

    [TestMethod]
    public void Fp8Experts_LogitsMatchDequantizedF32Checkpoint()
    {
        // Arrange: two single-file checkpoints built from both tiny-a shards.
        using var fp8Dir = new TempDir();
        using var f32Dir = new TempDir();
        WriteFp8AndDequantizedCopies(fp8Dir, f32Dir);
        using var golden = new Golden(Fixtures.Dir("tiny-a"));
        var prompt = golden.Ints("prompt_p0");

        // Act
        using var fp8Model = LongCatModel.Load(fp8Dir.Path, Options);
        using var f32Model = LongCatModel.Load(f32Dir.Path, Options);
        using var fp8Session = fp8Model.CreateSession();
        using var f32Session = f32Model.CreateSession();
        var fp8Logits = fp8Session.Prefill(prompt, allLogits: true);
        var f32Logits = f32Session.Prefill(prompt, allLogits: true);

        // Assert: the FP8 tensors (1 byte + one 4-byte scale each) were used, not widened copies; the logits agree.
        long expertElements = 8 * 3 * 32 * 64;
        Assert.AreEqual(expertElements * 4 - (expertElements + 24 * 4), f32Model.WeightBytes - fp8Model.WeightBytes, "bytes saved by FP8");
        Compare.Close(f32Logits, fp8Logits, 1e-3f, "FP8 vs dequantized F32 logits");
    }

    [TestMethod]
    public void Fp8Weight_WithWrongScaleShape_ThrowsNamingScaleTensor()
    {
        // Arrange: one expert weight in FP8 whose scale tensor is [2, 1] instead of [1, 1].
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string name = $"{WeightNames.Expert(0, 3)}.{WeightNames.Up}";
        CheckpointFiles.RewriteShard(dir.File(CheckpointFiles.Shard1), t => t.Name == name ? t with { DType = DType.F8E4M3, Data = new byte[32 * 64] } : t);
        var tensors = CheckpointFiles.ReadTensors(dir.File(CheckpointFiles.Shard1));
        tensors.Add(new RawTensor(name + WeightNames.ScaleSuffix, DType.F32, [2, 1], new byte[8]));
        CheckpointFiles.WriteTensors(dir.File(CheckpointFiles.Shard1), tensors);
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[name + WeightNames.ScaleSuffix] = CheckpointFiles.Shard1);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        Assert.IsTrue(ex.Message.Contains($"'{name}_scale_inv'", StringComparison.Ordinal) && ex.Message.Contains("expected shape [1, 1], found [2, 1]", StringComparison.Ordinal),
            ex.Message);
    }
}
