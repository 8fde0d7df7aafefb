using System.Text.Json;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Tests.Planning;

/// <summary>
/// The memory plan of LongCat-Flash-Lite and LongCat-Flash from their configs (LONGCAT.md §1.1 and §1.2): parameter counts
/// checked against the spec's own parameter check, resident bytes at every preset computed independently here from those
/// counts and the formats' bytes per weight, and the 32 GB verdicts issue 18 asks for.
/// </summary>
[TestClass]
public sealed class MemoryPlanTests
{
    internal const string FlashLiteConfig = """
        {"architectures": ["LongcatFlashNgramForCausalLM"], "model_type": "longcat_flash_ngram",
         "hidden_size": 3072, "num_layers": 14, "num_attention_heads": 32, "num_key_value_heads": 32,
         "ffn_hidden_size": 6144, "expert_ffn_hidden_size": 1024, "n_routed_experts": 256, "zero_expert_num": 128,
         "zero_expert_type": "identity", "moe_topk": 12, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
         "qk_rope_head_dim": 64, "v_head_dim": 128, "head_dim": 64, "mla_scale_q_lora": true, "mla_scale_kv_lora": true,
         "attention_bias": false, "max_position_embeddings": 327680, "bos_token_id": 1, "eos_token_id": 2,
         "rms_norm_eps": 1e-05, "vocab_size": 131072, "ngram_vocab_size_ratio": 78, "emb_neighbor_num": 4, "emb_split_num": 4,
         "routed_scaling_factor": 6.0, "rope_theta": 5000000.0}
        """;

    internal const string FlashConfig = """
        {"architectures": ["LongcatFlashForCausalLM"], "attention_bias": false, "attention_method": "MLA",
         "bos_token_id": 1, "eos_token_id": 2, "expert_ffn_hidden_size": 2048, "ffn_hidden_size": 12288, "hidden_size": 6144,
         "kv_lora_rank": 512, "max_position_embeddings": 131072, "mla_scale_kv_lora": true, "mla_scale_q_lora": true,
         "model_type": "longcat_flash", "moe_topk": 12, "n_routed_experts": 512, "num_attention_heads": 64, "num_layers": 28,
         "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-05, "rope_theta": 10000000.0,
         "routed_scaling_factor": 6.0, "use_cache": true, "v_head_dim": 128, "vocab_size": 131072, "zero_expert_num": 256,
         "zero_expert_type": "identity"}
        """;

    private static LongCatConfig Config(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return LongCatConfig.Parse(doc.RootElement);
    }

    private static MemoryPlanGroup Group(MemoryPlan plan, string name) => plan.Groups.Single(g => g.Name == name);

    private const double Q8 = 1 + 2.0 / 32, Q4 = 0.5 + 2.0 / 32, Bf16 = 2;

    [TestMethod]
    public void FlashLite_Parameters_MatchTheSpecsParameterCheck()
    {
        var plan = MemoryPlan.Create(Config(FlashLiteConfig));

        // LONGCAT.md §1.2: experts 33.8B, dense MLPs 1.59B, attention 0.92B, embed + head 0.81B, n-gram tables 31.41B, ≈ 68.5B.
        Assert.AreEqual(14L * 256 * 3 * 3072 * 1024, Group(plan, "experts").Parameters);
        Assert.AreEqual(1.59e9, Group(plan, "dense-mlp").Parameters, 0.005e9);
        Assert.AreEqual(0.92e9, Group(plan, "attention").Parameters, 0.005e9);
        Assert.AreEqual(0.81e9, Group(plan, "embedding").Parameters + Group(plan, "lm-head").Parameters, 0.005e9);
        Assert.AreEqual(31.41e9, Group(plan, "ngram-tables").Parameters, 0.005e9);
        long total = plan.Groups.Where(g => g.Name != "mtp").Sum(g => g.Parameters);
        Assert.AreEqual(68.5e9, total, 0.1e9);
    }

    [TestMethod]
    public void Flash_Parameters_MatchTheSpecsParameterCheck()
    {
        var plan = MemoryPlan.Create(Config(FlashConfig));

        // LONGCAT.md §1.1: experts 541.0B, dense MLPs 12.7B, attention 5.07B, embed + head 1.61B, ≈ 560.4B; no N-gram tables.
        Assert.AreEqual(28L * 512 * 3 * 6144 * 2048, Group(plan, "experts").Parameters);
        Assert.AreEqual(541.0e9, Group(plan, "experts").Parameters, 0.5e9);
        Assert.AreEqual(12.7e9, Group(plan, "dense-mlp").Parameters, 0.05e9);
        Assert.AreEqual(5.07e9, Group(plan, "attention").Parameters, 0.005e9);
        Assert.AreEqual(1.61e9, Group(plan, "embedding").Parameters + Group(plan, "lm-head").Parameters, 0.005e9);
        Assert.IsFalse(plan.Groups.Any(g => g.Name.StartsWith("ngram", StringComparison.Ordinal)));
        // The spec sums its rounded figures (541.0 for 541.17); exact counts plus the router come to 560.7B.
        Assert.AreEqual(560.4e9, plan.Groups.Where(g => g.Name != "mtp").Sum(g => g.Parameters), 0.5e9);
    }

    public static IEnumerable<object[]> Presets =>
        from model in new[] { "lite", "flash" }
        from preset in new[] { WeightQuantization.None, WeightQuantization.Q8, WeightQuantization.Q4Experts, WeightQuantization.Q4 }
        select new object[] { model, preset };

    [TestMethod]
    [DynamicData(nameof(Presets))]
    public void ResidentBytes_AtEveryPreset_AreTheGroupsParametersTimesTheirFormatsBytes(string model, WeightQuantization preset)
    {
        var config = Config(model == "lite" ? FlashLiteConfig : FlashConfig);
        var plan = MemoryPlan.Create(config, preset);

        // Independently: the attention's kv_b (kv_lora · heads · (nope + v) per sublayer) stays BF16, the router and the N-gram
        // projections stay BF16, lm_head is Q8 under any preset, experts take the preset's expert format, the rest its linear one.
        double linear = preset switch { WeightQuantization.None => Bf16, WeightQuantization.Q4 => Q4, _ => Q8 };
        double expert = preset switch { WeightQuantization.None => Bf16, WeightQuantization.Q8 => Q8, _ => Q4 };
        double head = preset == WeightQuantization.None ? Bf16 : Q8;
        long kvB = 2L * config.NumLayers * config.KvLoraRank * config.NumAttentionHeads * (config.QkNopeHeadDim + config.VHeadDim);
        var expected = new Dictionary<string, double>
        {
            ["attention"] = (Group(plan, "attention").Parameters - kvB) * linear + kvB * Bf16,
            ["dense-mlp"] = Group(plan, "dense-mlp").Parameters * linear,
            ["experts"] = Group(plan, "experts").Parameters * expert,
            ["lm-head"] = Group(plan, "lm-head").Parameters * head,
            ["router"] = Group(plan, "router").Parameters * Bf16,
        };
        foreach (var (name, bytes) in expected)
            Assert.AreEqual(bytes, Group(plan, name).Bytes, bytes * 1e-9 + 1, $"{model} {preset}: {name}");
        Assert.AreEqual(MemoryPlacement.Mapped, Group(plan, "embedding").Placement);
        if (model == "lite") Assert.AreEqual(MemoryPlacement.Mapped, Group(plan, "ngram-tables").Placement);
        Assert.AreEqual(plan.Groups.Where(g => g.Placement == MemoryPlacement.Resident).Sum(g => g.Bytes), plan.ResidentBytes);
    }

    [TestMethod]
    public void FlashLite_Q4Experts_Fits32GBWithAtLeast32kKvTokens_AndBf16DoesNot()
    {
        const long budget = 32L << 30;
        var q4 = MemoryPlan.Create(Config(FlashLiteConfig), WeightQuantization.Q4Experts, budget);
        var bf16 = MemoryPlan.Create(Config(FlashLiteConfig), WeightQuantization.None, budget);

        Assert.AreEqual(true, q4.Fits);
        Assert.IsTrue(q4.ResidentBytes <= 26e9, $"resident {q4.ResidentBytes}");
        Assert.IsTrue(q4.KvTokens >= 32 * 1024, $"KV tokens {q4.KvTokens}");
        Assert.AreEqual(false, bf16.Fits);
        Assert.AreEqual(0, bf16.KvTokens);
        // 28 attention sublayers and the MTP layer's one × (512 + 64) F32 latents per token.
        Assert.AreEqual(29L * 576 * 4, q4.KvBytesPerToken);
    }

    [TestMethod]
    public void Flash_Q4_DoesNotFit32GB_AndFitsAMachineOfItsResidentSize()
    {
        var config = Config(FlashConfig);
        var small = MemoryPlan.Create(config, WeightQuantization.Q4, 32L << 30);
        Assert.AreEqual(false, small.Fits);
        long enough = small.ResidentBytes + small.RuntimeBytes + 64 * 1024 * small.KvBytesPerToken;
        var big = MemoryPlan.Create(config, WeightQuantization.Q4, enough);
        Assert.AreEqual(true, big.Fits);
        Assert.AreEqual(64 * 1024, big.KvTokens);
    }

    [TestMethod]
    public void BytesPerToken_CountTheExpectedRoutedExpertsOnly_AndTheSpeedFollowsTheBandwidth()
    {
        var plan = MemoryPlan.Create(Config(FlashLiteConfig), WeightQuantization.Q4Experts, bandwidth: 50e9);
        var experts = Group(plan, "experts");

        // Top-12 of 256 real + 128 identity experts: 8 real experts per block on average, of 256.
        Assert.AreEqual(experts.Bytes * 8 / 256, experts.BytesPerToken, experts.Bytes / 256 / 1000.0);
        Assert.AreEqual(0, Group(plan, "mtp").BytesPerToken);
        Assert.AreEqual(50e9 / plan.BytesPerToken, plan.DecodeTokensPerSecond!.Value, 1e-9);
        Assert.IsNull(plan.Fits);
        Assert.IsNull(plan.KvTokens);
    }

    [TestMethod]
    public void Create_BadArguments_ThrowNamingTheArgument()
    {
        var config = Config(FlashLiteConfig);
        Assert.AreEqual("memoryBudget", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MemoryPlan.Create(config, memoryBudget: 0)).ParamName);
        Assert.AreEqual("bandwidth", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MemoryPlan.Create(config, bandwidth: double.NaN)).ParamName);
        Assert.AreEqual("quantization", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MemoryPlan.Create(config, (WeightQuantization)99)).ParamName);
        Assert.ThrowsExactly<ArgumentNullException>(() => MemoryPlan.Create(null!));
    }

    [TestMethod]
    public void ForModel_AFolderWithoutConfig_IsAnInvalidConfigError()
    {
        string dir = Directory.CreateTempSubdirectory("plan").FullName;
        try
        {
            Assert.ThrowsExactly<InvalidConfigException>(() => MemoryPlan.ForModel(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
