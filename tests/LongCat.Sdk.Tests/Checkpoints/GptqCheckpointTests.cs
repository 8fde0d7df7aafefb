using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;
using LongCat.Sdk.Tests.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// GPTQ / AutoRound int4 checkpoints (tests/fixtures/tiny-a-autoround-int4, written by tools/gptq-fixture): quantization_config
/// is read with the packing's zero convention and per-layer overrides, and a corrupt packed linear is an
/// <see cref="InvalidCheckpointException"/> naming the tensor. Their goldens run in <see cref="Model.GoldenTests"/>.
/// </summary>
[TestClass]
public sealed class GptqCheckpointTests
{
    private const string Fixture = "tiny-a-autoround-int4";
    private const string Gate = "model.layers.0.mlps.0.gate_proj";     // [128, 64]: qweight I32 [8, 128], qzeros [2, 16], scales F16 [2, 128]
    private const string Down = "model.layers.0.mlps.0.down_proj";     // [64, 128]
    private static readonly ModelOptions Options = new() { Residency = WeightResidency.Mapped, KvCacheBlocks = 4 };

    private static GptqConfig Parse(string json) => GptqConfig.Parse(JsonDocument.Parse(json).RootElement);

    private static string ShardOf(TempDir dir, string tensor) =>
        dir.File(JsonNode.Parse(File.ReadAllText(dir.File(CheckpointIndex.IndexFileName)))!["weight_map"]![tensor]!.GetValue<string>());

    private static void EditQuantization(TempDir dir, Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        edit(config["quantization_config"]!.AsObject());
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
    }

    private static T AssertLoadThrows<T>(TempDir dir, params string[] named) where T : LongCatException
    {
        var ex = Assert.ThrowsExactly<T>(() => LongCatModel.Load(dir.Path, Options).Dispose());
        foreach (var part in named) StringAssert.Contains(ex.Message, part);
        return ex;
    }

    [TestMethod]
    public void Config_AutoRoundSym_ReadsV1ZerosAndGlobalScheme()
    {
        var c = LongCatConfig.Load(Path.Combine(Fixtures.Dir(Fixture), "config.json"));

        Assert.IsNull(c.Quantization, "not block FP8");
        Assert.IsNotNull(c.Gptq);
        Assert.AreEqual("auto_round:auto_gptq", c.Gptq.PackingFormat);
        Assert.IsTrue(c.Gptq.ZeroMinusOne);
        Assert.AreEqual(new GptqScheme(4, 32, true), c.Gptq.For(Gate, 64));
        Assert.IsFalse(c.Gptq.For("model.layers.0.mlp.router.classifier", 64).Quantized, "extra_config keeps the classifier in 16 bits");
    }

    [TestMethod]
    [DataRow("""{"quant_method":"auto-round","bits":4,"packing_format":"auto_round"}""", false)]
    [DataRow("""{"quant_method":"auto-round","bits":4,"packing_format":"auto_round:gptqmodel"}""", false)]
    [DataRow("""{"quant_method":"auto-round","bits":4,"packing_format":"auto_round:gptq"}""", true)]
    [DataRow("""{"quant_method":"auto-round","bits":4}""", true)]
    [DataRow("""{"quant_method":"intel/auto-round","bits":4,"backend":"auto_round:gptq:exllamav2"}""", true)]
    [DataRow("""{"quant_method":"gptq","bits":4,"desc_act":false}""", true)]
    [DataRow("""{"quant_method":"gptq","bits":4,"checkpoint_format":"gptq_v2"}""", false)]
    public void Config_PackingFormat_GivesZeroConvention(string json, bool minusOne) => Assert.AreEqual(minusOne, Parse(json).ZeroMinusOne);

    [TestMethod]
    public void Config_ExtraConfig_ExactKeyThenLongestRegexThenGlobal()
    {
        var c = Parse("""
            {"quant_method":"auto-round","bits":4,"group_size":128,"sym":true,"extra_config":{
              "model.layers.0.mlps.0.down_proj":{"group_size":64},
              ".*mlps.*":{"sym":false},
              ".*mlps\\.0.*":{"group_size":-1},
              "model.layers.1.self_attn.0.q_b_proj":{"bits":16,"data_type":"fp"}}}
            """);

        Assert.AreEqual(new GptqScheme(4, 64, true), c.For(Down, 128), "exact key wins over the patterns");
        Assert.AreEqual(new GptqScheme(4, 64, true), c.For(Gate, 64), "the longest matching pattern (group -1: whole row)");
        Assert.AreEqual(new GptqScheme(4, 128, false), c.For("model.layers.0.mlps.1.up_proj", 256));
        Assert.AreEqual(new GptqScheme(4, 128, true), c.For("model.layers.0.self_attn.0.q_a_proj", 256), "global");
        Assert.IsFalse(c.For("model.layers.1.self_attn.0.q_b_proj", 48).Quantized);
    }

    [TestMethod]
    [DataRow("bits", "8", "quantization_config.bits")]
    [DataRow("group_size", "48", "quantization_config.group_size")]
    [DataRow("packing_format", "\"auto_round:auto_awq\"", "quantization_config.packing_format")]
    [DataRow("data_type", "\"nv_fp\"", "quantization_config.data_type")]
    [DataRow("quant_method", "\"awq\"", "quantization_config.quant_method")]
    [DataRow("sym", "\"yes\"", "quantization_config.sym")]
    public void Load_UnsupportedQuantizationConfig_ThrowsInvalidConfigNamingTheField(string key, string value, string field)
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        EditQuantization(dir, q => q[key] = JsonNode.Parse(value));

        var ex = AssertLoadThrows<InvalidConfigException>(dir, field);
        Assert.AreEqual(field, ex.Field);
    }

    [TestMethod]
    public void Load_QWeightOfWrongPackedLength_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        CheckpointFiles.RewriteShard(ShardOf(dir, Gate + ".qweight"),
            t => t.Name == Gate + ".qweight" ? t with { Shape = [7, 128], Data = t.Data[..(7 * 128 * 4)] } : t);

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{Gate}.qweight'", "expected shape [8, 128], found [7, 128]");
    }

    [TestMethod]
    [DataRow(".scales")]
    [DataRow(".qzeros")]
    public void Load_MissingScalesOrZeros_ThrowsNamingTheTensor(string suffix)
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        string tensor = Gate + suffix;
        CheckpointFiles.RewriteShard(ShardOf(dir, tensor), t => t.Name == tensor ? null : t);
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index).Remove(tensor));

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{tensor}'", "missing");
    }

    [TestMethod]
    public void Load_ScalesNotF16_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        string tensor = Gate + ".scales";
        CheckpointFiles.RewriteShard(ShardOf(dir, tensor), t => t.Name == tensor ? t with { DType = DType.BF16 } : t);

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{tensor}'", "expected dtype F16, found BF16");
    }

    [TestMethod]
    public void Load_GroupSizeNotDividingTheRow_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        EditQuantization(dir, q => q["extra_config"]![Down] = new JsonObject { ["group_size"] = 96 });

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{Down}.qweight'", "group size 96 does not divide the row of 128 columns");
    }

    [TestMethod]
    public void Load_ActOrderGIdx_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        string tensor = Gate + ".g_idx", shard = ShardOf(dir, Gate + ".qweight");
        var gIdx = Enumerable.Range(0, 64).Select(c => c % 2).SelectMany(BitConverter.GetBytes).ToArray();
        CheckpointFiles.WriteTensors(shard, [.. CheckpointFiles.ReadTensors(shard), new RawTensor(tensor, DType.I32, [64], gIdx)]);
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[tensor] = Path.GetFileName(shard));

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{tensor}'", "act-order");
    }

    [TestMethod]
    public void Load_PackedLinearWithoutGptqConfig_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config.Remove("quantization_config");
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        AssertLoadThrows<InvalidCheckpointException>(dir, ".qweight'", "no GPTQ or AutoRound quantization_config");
    }

    [TestMethod]
    public void Load_PackedLinearThatConfigKeepsIn16Bits_ThrowsNamingTheTensor()
    {
        using var dir = TempDir.CopyOfFixture(Fixture);
        EditQuantization(dir, q => q["extra_config"]![Gate] = new JsonObject { ["bits"] = 16, ["data_type"] = "fp" });

        AssertLoadThrows<InvalidCheckpointException>(dir, $"'{Gate}.qweight'", "16 bits");
    }

    /// <summary>The repacked Q4 weights on the ILGPU backend (CPU accelerator): the same logits as the CPU backend's.</summary>
    [TestMethod]
    public void Load_OnIlgpuBackend_LogitsMatchCpuBackend()
    {
        int[] prompt = [5, 17, 33, 2, 100, 201, 7];
        float[] Logits(IComputeBackend backend)
        {
            using var model = LongCatModel.Load(Fixtures.Dir(Fixture), new ModelOptions { Backend = backend, KvCacheBlocks = 4 });
            using var session = model.CreateSession();
            return session.Prefill(prompt, allLogits: true);
        }
        using var gpu = IlgpuTestDevice.Create();
        using var cpu = new CpuBackend(WeightResidency.Mapped, threads: 2) { Int8Activations = false };   // the GPU keeps F32 activations
        Compare.Close(Logits(cpu), Logits(gpu), 2e-3f, $"{Fixture} on {gpu.Name}");
    }
}
