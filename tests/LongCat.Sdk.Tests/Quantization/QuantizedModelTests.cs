using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Checkpoints;
using LongCat.Sdk.Tests.Compute;
using LongCat.Sdk.Tests.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Quantization;

/// <summary>
/// Models loaded with quantized weights: quantized as they load (from BF16 and from FP8) or from a folder written by
/// <see cref="CheckpointQuantizer"/> (loaded as stored); what stays resident; what a corrupt quantized tensor does.
/// </summary>
[TestClass]
internal sealed class QuantizedModelTests
{
    private static readonly int[] Prompt = [5, 17, 33, 2, 100, 201, 7, 64, 300, 12, 9, 450];

    private static float[] Logits(string dir, ModelOptions options)
    {
        using var model = LongCatModel.Load(dir, options with { KvCacheBlocks = 4 });
        using var session = model.CreateSession();
        return session.Prefill(Prompt, allLogits: true);
    }

    [TestMethod]
    [DataRow(WeightQuantization.Q8, WeightResidency.Copied)]
    [DataRow(WeightQuantization.Q4Experts, WeightResidency.Copied)]
    [DataRow(WeightQuantization.Q4, WeightResidency.Mapped)]
    public void Load_QuantizedAtLoad_KeepsOnlyTheQuantizedCopy(WeightQuantization preset, WeightResidency residency)
    {
        // Arrange
        string dir = Fixtures.Dir("tiny-a");
        using var backend = new CpuBackend(residency, threads: 1);
        using var index = CheckpointIndex.Open(dir);
        long quantizedBytes = 0, stored = 0;
        foreach (var name in index.TensorNames)
        {
            var info = index.Get(name).Info;
            long loaded = QuantizationPlan.LoadedBytes(preset, index, name);
            if (loaded != info.Length) quantizedBytes += loaded;
            stored += info.Length;
        }

        // Act
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = backend, Quantization = preset, KvCacheBlocks = 4 });

        // Assert: the backend's weight memory holds the quantized weights (plus, copied, every other weight as stored) and nothing
        // else: no BF16 copy of a quantized weight is kept; the estimate agrees with what loaded.
        Assert.IsTrue(quantizedBytes > 0, "the preset quantized nothing");
        // Tables read by rows stay mapped whatever the residency (IComputeBackend.LoadTable).
        long copiedOthers = residency == WeightResidency.Copied ? model.WeightBytes - quantizedBytes - model.RowTableBytes : 0;
        Assert.IsTrue(model.RowTableBytes > 0, "the token embedding is a table read by rows");
        Assert.AreEqual(quantizedBytes + copiedOthers, backend.WeightMemoryBytes, $"{preset} {residency}");
        Assert.IsTrue(model.WeightBytes < stored, "quantized weights take fewer bytes than stored ones");
        Assert.AreEqual(model.WeightBytes, LongCatEngine.EstimateMemory(dir, new LongCatOptions { Quantization = preset }).WeightBytes);
    }

    [TestMethod]
    [DataRow(WeightQuantization.Q8)]
    [DataRow(WeightQuantization.Q4Experts)]
    [DataRow(WeightQuantization.Q4)]
    public void QuantizeCommand_Folder_LoadsMappedWithoutRequantizingAndGivesTheSameLogits(WeightQuantization preset)
    {
        // Arrange
        using var output = new TempDir();
        string quantized = Path.Combine(output.Path, "q");
        CheckpointQuantizer.Run(Fixtures.Dir("tiny-a"), quantized, preset, shardBytes: 64 << 10);
        using var backend = new CpuBackend(WeightResidency.Mapped, threads: 1);

        // Act
        var atLoad = Logits(Fixtures.Dir("tiny-a"), new ModelOptions { Quantization = preset });
        float[] fromFolder;
        using (var model = LongCatModel.Load(quantized, new ModelOptions { Backend = backend, Residency = WeightResidency.Mapped, KvCacheBlocks = 4 }))
        using (var session = model.CreateSession())
            fromFolder = session.Prefill(Prompt, allLogits: true);

        // Assert: several shards; nothing was quantized or copied at load (mapped, no arena); bit-identical logits.
        Assert.IsTrue(Directory.GetFiles(quantized, "*.safetensors").Length > 1, "a small shard size gives several shards");
        Assert.AreEqual(0, backend.WeightMemoryBytes, "a quantized folder loads mapped, with no re-quantization");
        CollectionAssert.AreEqual(atLoad, fromFolder);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(quantized, "config.json")))!;
        Assert.AreEqual(CheckpointQuantizer.QuantMethod, (string?)config["quantization_config"]!["quant_method"]);
    }

    [TestMethod]
    public void QuantizeAtLoad_Fp8Source_EqualsItsDequantizedF32Source()
    {
        // Arrange: tiny-a with layer 0's expert weights in FP8 (128×128 scales), and the same weights as dequantized F32.
        using var fp8Dir = new TempDir();
        using var f32Dir = new TempDir();
        Fp8CheckpointTests.WriteFp8AndDequantizedCopies(fp8Dir, f32Dir);

        // Act: both quantized to 4 bits as they load.
        var fromFp8 = Logits(fp8Dir.Path, new ModelOptions { Quantization = WeightQuantization.Q4 });
        var fromF32 = Logits(f32Dir.Path, new ModelOptions { Quantization = WeightQuantization.Q4 });

        // Assert: the FP8 path dequantizes exactly what the F32 copy holds, so the 4-bit weights and the logits are identical.
        CollectionAssert.AreEqual(fromF32, fromFp8);
    }

    [TestMethod]
    public void Load_QuantizedWithoutItsScales_ThrowsNamingTheTensor()
    {
        // Arrange: a q8 folder with one weight's scales removed from its shard and the index.
        using var output = new TempDir();
        string dir = Path.Combine(output.Path, "q");
        CheckpointQuantizer.Run(Fixtures.Dir("tiny-a"), dir, WeightQuantization.Q8);
        string name = $"{WeightNames.Expert(1, 2)}.{WeightNames.Down}";
        string shard = Directory.GetFiles(dir, "*.safetensors").Single();
        CheckpointFiles.RewriteShard(shard, t => t.Name == name + "_scale" ? null : t);
        CheckpointFiles.EditIndex(dir, index => CheckpointFiles.WeightMap(index).Remove(name + "_scale"));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir, new ModelOptions { KvCacheBlocks = 4 }));

        // Assert
        StringAssert.Contains(ex.Message, $"'{name}_scale' are missing");
    }

    [TestMethod]
    [DataRow(DType.I8, "expected shape [64, 32], found [64, 31]")]
    [DataRow(DType.U8, "expected shape [64, 16], found [64, 15]")]
    public void Load_QuantizedValuesOfTheWrongPackedLength_ThrowsNamingTheTensor(DType stored, string expected)
    {
        // Arrange: tiny-a's expert 0 down_proj [64, 32] stored as I8 or U8 with one column short, beside F16 scales.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string name = $"{WeightNames.Expert(0, 0)}.{WeightNames.Down}";
        string shard = dir.File(CheckpointFiles.Shard1);
        if (!CheckpointFiles.ReadTensors(shard).Any(t => t.Name == name)) shard = dir.File(CheckpointFiles.Shard2);
        long cols = stored == DType.I8 ? 31 : 15;
        CheckpointFiles.RewriteShard(shard, t => t.Name == name ? new RawTensor(name, stored, [64, cols], new byte[64 * cols]) : t);
        var tensors = CheckpointFiles.ReadTensors(shard);
        tensors.Add(new RawTensor(name + "_scale", DType.F16, [64, 1], new byte[128]));
        CheckpointFiles.WriteTensors(shard, tensors);
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[name + "_scale"] = Path.GetFileName(shard));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, new ModelOptions { KvCacheBlocks = 4 }));

        // Assert
        StringAssert.Contains(ex.Message, $"'{name}'");
        StringAssert.Contains(ex.Message, expected);
    }
}
