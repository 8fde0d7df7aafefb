using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// config.json parsing: the fixtures' values and derived sizes, the documented defaults, and errors that name the field
/// (<see cref="InvalidConfigException.Field"/>) for missing, mistyped, inconsistent and unsupported values.
/// </summary>
[TestClass]
public sealed class ConfigTests
{
    private static JsonObject FixtureJson(string fixture) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir(fixture), "config.json")))!.AsObject();

    private static LongCatConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return LongCatConfig.Parse(doc.RootElement);
    }

    private static LongCatConfig Parse(JsonObject config) => Parse(config.ToJsonString());

    /// <summary>tiny-a's (or tiny-lite-a's) config with <paramref name="key"/> set to the JSON <paramref name="value"/>.</summary>
    private static JsonObject With(string key, string value, string fixture = "tiny-a")
    {
        var o = FixtureJson(fixture);
        o[key] = JsonNode.Parse(value);
        return o;
    }

    private static InvalidConfigException AssertRejects(JsonObject config, string field)
    {
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => Parse(config));
        Assert.AreEqual(field, ex.Field, ex.Message);
        Assert.IsTrue(ex.Message.Contains($"'{field}'", StringComparison.Ordinal), $"message should name '{field}': {ex.Message}");
        return ex;
    }

    [TestMethod]
    public void Load_FlashFixture_ReadsFieldsAndDerivedValues()
    {
        // Act
        var c = LongCatConfig.Load(Path.Combine(Fixtures.Dir("tiny-a"), "config.json"));

        // Assert
        Assert.AreEqual(LongCatArchitecture.Flash, c.Architecture);
        Assert.AreEqual("longcat_flash", c.ModelType);
        Assert.AreEqual(512, c.VocabSize);
        Assert.AreEqual(64, c.HiddenSize);
        Assert.AreEqual(128, c.FfnHiddenSize);
        Assert.AreEqual(32, c.ExpertFfnHiddenSize);
        Assert.AreEqual(2, c.NumLayers);
        Assert.AreEqual(4, c.NumAttentionHeads);
        Assert.AreEqual(48, c.QLoraRank);
        Assert.AreEqual(32, c.KvLoraRank);
        Assert.AreEqual(12, c.VHeadDim);
        Assert.AreEqual(3, c.MoeTopK);
        Assert.AreEqual(2.5f, c.RoutedScalingFactor);
        Assert.AreEqual(1e-5f, c.RmsNormEps);
        Assert.AreEqual(10000.0, c.RopeTheta);
        Assert.IsNull(c.RopeScaling);
        Assert.IsNull(c.Quantization);
        Assert.AreEqual(4096, c.MaxPositionEmbeddings);
        Assert.AreEqual("bfloat16", c.TorchDtype);
        // derived
        Assert.AreEqual(8 + 4, c.TotalExperts);
        Assert.AreEqual(16 + 8, c.QkHeadDim);
        Assert.AreEqual(2 * 2, c.NumAttentionSublayers);
        Assert.AreEqual(32 + 8, c.KvCacheWidth);
        Assert.AreEqual(0, c.NgramEmbedderCount);
        Assert.IsTrue(c.HasMtp);
    }

    [TestMethod]
    public void Load_NgramFixture_ReadsFieldsAndDerivedValues()
    {
        // Act
        var c = LongCatConfig.Load(Path.Combine(Fixtures.Dir("tiny-lite-a"), "config.json"));

        // Assert
        Assert.AreEqual(LongCatArchitecture.FlashNgram, c.Architecture);
        Assert.AreEqual("longcat_flash_ngram", c.ModelType);
        Assert.AreEqual(6.0f, c.RoutedScalingFactor);
        Assert.AreEqual(5_000_000.0, c.RopeTheta);
        Assert.AreEqual(3, c.NgramVocabSizeRatio);
        Assert.AreEqual(3, c.EmbNeighborNum);
        Assert.AreEqual(2, c.EmbSplitNum);
        Assert.AreEqual(0, c.NumNextnPredictLayers);
        // derived
        Assert.AreEqual(2 * (3 - 1), c.NgramEmbedderCount);
        Assert.IsFalse(c.HasMtp);
        Assert.AreEqual(12, c.TotalExperts);
        Assert.AreEqual(40, c.KvCacheWidth);
    }

    [TestMethod]
    [DataRow("kv_lora_rank")]
    [DataRow("vocab_size")]
    [DataRow("hidden_size")]
    [DataRow("ffn_hidden_size")]
    [DataRow("expert_ffn_hidden_size")]
    [DataRow("num_layers")]
    [DataRow("num_attention_heads")]
    [DataRow("q_lora_rank")]
    [DataRow("qk_nope_head_dim")]
    [DataRow("qk_rope_head_dim")]
    [DataRow("v_head_dim")]
    [DataRow("n_routed_experts")]
    [DataRow("moe_topk")]
    [DataRow("routed_scaling_factor")]
    [DataRow("rope_theta")]
    [DataRow("max_position_embeddings")]
    [DataRow("architectures")]
    public void Parse_RequiredFieldMissing_ThrowsNamingField(string field)
    {
        // Arrange
        var config = FixtureJson("tiny-a");
        Assert.IsTrue(config.Remove(field), $"fixture has '{field}'");

        // Act + Assert
        var ex = AssertRejects(config, field);
        Assert.IsTrue(ex.Message.Contains("missing", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    [DataRow("kv_lora_rank")]
    [DataRow("rope_theta")]
    public void Parse_RequiredFieldNull_ThrowsAsMissing(string field)
    {
        var ex = AssertRejects(With(field, "null"), field);

        Assert.IsTrue(ex.Message.Contains("missing", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    [DataRow("ngram_vocab_size_ratio")]
    [DataRow("emb_neighbor_num")]
    [DataRow("emb_split_num")]
    public void Parse_NgramFieldMissingFromNgramModel_ThrowsNamingField(string field)
    {
        var config = FixtureJson("tiny-lite-a");
        Assert.IsTrue(config.Remove(field), $"fixture has '{field}'");

        AssertRejects(config, field);
    }

    [TestMethod]
    public void Parse_NgramFieldsMissingFromFlashModel_AreZero()
    {
        var c = Parse(FixtureJson("tiny-a"));

        Assert.AreEqual(0, c.NgramVocabSizeRatio);
        Assert.AreEqual(0, c.EmbNeighborNum);
        Assert.AreEqual(0, c.EmbSplitNum);
    }

    [TestMethod]
    [DataRow("moe_topk", "13", DisplayName = "moe_topk > n_routed_experts + zero_expert_num")]
    [DataRow("head_dim", "16", DisplayName = "head_dim != qk_rope_head_dim")]
    [DataRow("num_key_value_heads", "2", DisplayName = "num_key_value_heads != num_attention_heads")]
    [DataRow("num_hidden_layers", "3", DisplayName = "num_hidden_layers neither num_layers nor twice it")]
    [DataRow("zero_expert_num", "-1")]
    [DataRow("vocab_size", "0")]
    [DataRow("kv_lora_rank", "-32")]
    [DataRow("routed_scaling_factor", "0")]
    [DataRow("rms_norm_eps", "0")]
    [DataRow("rope_theta", "1")]
    [DataRow("eos_token_id", "512", DisplayName = "eos_token_id outside the vocabulary")]
    [DataRow("num_nextn_predict_layers", "2")]
    public void Parse_InconsistentValue_ThrowsNamingField(string field, string value)
    {
        AssertRejects(With(field, value), field);
    }

    [TestMethod]
    [DataRow("vocab_size", "16777217")]
    [DataRow("hidden_size", "65537")]
    [DataRow("ffn_hidden_size", "262145")]
    [DataRow("expert_ffn_hidden_size", "262145")]
    [DataRow("num_layers", "1025")]
    [DataRow("num_attention_heads", "1025")]
    [DataRow("q_lora_rank", "65537")]
    [DataRow("kv_lora_rank", "65537")]
    [DataRow("qk_nope_head_dim", "4097")]
    [DataRow("v_head_dim", "4097")]
    [DataRow("n_routed_experts", "65537")]
    [DataRow("zero_expert_num", "65537")]
    [DataRow("max_position_embeddings", "16777217")]
    [DataRow("max_position_embeddings", "2147483647")]
    [DataRow("rope_theta", "1e13")]
    [DataRow("rms_norm_eps", "1")]
    [DataRow("rms_norm_eps", "1e300")]
    public void Parse_SizeAboveItsBound_ThrowsNamingField(string field, string value)
    {
        var ex = AssertRejects(With(field, value), field);

        Assert.IsTrue(ex.Message.Contains(" must be ", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    [DataRow("2147483646")]
    [DataRow("4098")]
    public void Parse_RopeHeadDimAboveItsBound_ThrowsNamingField(string dim)
    {
        // head_dim equals it, as the checkpoint had: head_dim is checked against it, not against a bound.
        var config = With("qk_rope_head_dim", dim);
        config["head_dim"] = JsonNode.Parse(dim);

        AssertRejects(config, "qk_rope_head_dim");
    }

    [TestMethod]
    public void LoadModel_RopeHeadDimNearIntMax_ThrowsInvalidConfigBeforeAllocatingTheRotaryTable()
    {
        // Arrange: the rotary table (dim/2 doubles) was allocated before any weight's shape was checked: 8 GiB here.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        var config = FixtureJson("tiny-a");
        config["qk_rope_head_dim"] = 2147483646;
        config["head_dim"] = 2147483646;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        // Act
        var ex = GuardedLoad.Model(dir.Path, "qk_rope_head_dim = head_dim = 2147483646");

        // Assert
        Assert.IsInstanceOfType<InvalidConfigException>(ex);
        Assert.AreEqual("qk_rope_head_dim", ((InvalidConfigException)ex).Field);
    }

    [TestMethod]
    [DataRow("ngram_vocab_size_ratio", "1025")]
    [DataRow("ngram_vocab_size_ratio", "1024", DisplayName = "ratio × vocab over an int with vocab_size 2^22")]
    [DataRow("emb_neighbor_num", "17")]
    [DataRow("emb_split_num", "65")]
    public void Parse_NgramSizeAboveItsBound_ThrowsNamingField(string field, string value)
    {
        var config = With(field, value, "tiny-lite-a");
        config["vocab_size"] = 1 << 22;

        AssertRejects(config, field);
    }

    [TestMethod]
    [DataRow("""{"type":"yarn","factor":1e308,"original_max_position_embeddings":32768}""", "rope_scaling.factor")]
    [DataRow("""{"type":"yarn","factor":1025,"original_max_position_embeddings":32768}""", "rope_scaling.factor")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":1e300}""", "rope_scaling.original_max_position_embeddings")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"beta_fast":1e300}""", "rope_scaling.beta_fast")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"beta_fast":0}""", "rope_scaling.beta_fast")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"beta_slow":-1}""", "rope_scaling.beta_slow")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"mscale":-1}""", "rope_scaling.mscale")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"mscale_all_dim":1e300}""", "rope_scaling.mscale_all_dim")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"attention_factor":0}""", "rope_scaling.attention_factor")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"attention_factor":1e300}""", "rope_scaling.attention_factor")]
    public void Parse_RopeScalingOutOfItsRange_ThrowsNamingNestedField(string ropeScaling, string field)
    {
        var ex = AssertRejects(With("rope_scaling", ropeScaling), field);

        Assert.IsTrue(ex.Message.Contains(" must be ", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void Parse_OddRopeHeadDim_ThrowsNamingField()
    {
        // Arrange: head_dim would be checked first, so it goes along.
        var config = With("qk_rope_head_dim", "7");
        config.Remove("head_dim");

        // Act + Assert
        AssertRejects(config, "qk_rope_head_dim");
    }

    [TestMethod]
    public void Parse_TopKEqualToAllExperts_IsAccepted()
    {
        var c = Parse(With("moe_topk", "12"));

        Assert.AreEqual(12, c.MoeTopK);
    }

    [TestMethod]
    [DataRow("num_hidden_layers", "2")]
    [DataRow("num_hidden_layers", "4")]
    [DataRow("head_dim", "8")]
    public void Parse_ConsistentRedundantField_IsAccepted(string field, string value)
    {
        var c = Parse(With(field, value));

        Assert.AreEqual(2, c.NumLayers);
    }

    [TestMethod]
    [DataRow("emb_split_num", "3", DisplayName = "hidden 64 not divisible by 3 × 2")]
    [DataRow("hidden_size", "66", DisplayName = "hidden 66 not divisible by 2 × 2")]
    [DataRow("emb_neighbor_num", "6", DisplayName = "hidden 64 not divisible by 2 × 5")]
    public void Parse_NgramHiddenNotDivisible_ThrowsNamingEmbSplitNum(string field, string value)
    {
        var ex = AssertRejects(With(field, value, "tiny-lite-a"), "emb_split_num");

        Assert.IsTrue(ex.Message.Contains("not divisible", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    [DataRow("emb_neighbor_num", "1")]
    [DataRow("emb_split_num", "0")]
    [DataRow("ngram_vocab_size_ratio", "0")]
    public void Parse_NgramValueOutOfRange_ThrowsNamingField(string field, string value)
    {
        AssertRejects(With(field, value, "tiny-lite-a"), field);
    }

    [TestMethod]
    [DataRow("architectures", "[\"LlamaForCausalLM\"]")]
    [DataRow("attention_method", "\"MHA\"")]
    [DataRow("hidden_act", "\"gelu\"")]
    [DataRow("zero_expert_type", "\"copy\"")]
    [DataRow("attention_bias", "true")]
    [DataRow("router_dtype", "\"bfloat16\"")]
    [DataRow("norm_topk_prob", "true")]
    [DataRow("router_bias", "true")]
    [DataRow("nextn_use_scmoe", "true")]
    public void Parse_UnsupportedValue_ThrowsNamingField(string field, string value)
    {
        AssertRejects(With(field, value), field);
    }

    [TestMethod]
    [DataRow("kv_lora_rank", "\"32\"", "an integer")]
    [DataRow("kv_lora_rank", "32.5", "an integer")]
    [DataRow("kv_lora_rank", "true", "an integer")]
    [DataRow("kv_lora_rank", "1e10", "an integer")]
    [DataRow("kv_lora_rank", "[32]", "an integer")]
    [DataRow("num_key_value_heads", "\"4\"", "an integer")]
    [DataRow("rope_theta", "\"1e4\"", "a number")]
    [DataRow("routed_scaling_factor", "{}", "a number")]
    [DataRow("tie_word_embeddings", "\"false\"", "true or false")]
    [DataRow("tie_word_embeddings", "0", "true or false")]
    [DataRow("model_type", "5", "a string")]
    [DataRow("architectures", "\"LongcatFlashForCausalLM\"", "a non-empty array of strings")]
    [DataRow("architectures", "[]", "a non-empty array of strings")]
    [DataRow("architectures", "[1]", "a non-empty array of strings")]
    [DataRow("rope_scaling", "\"yarn\"", "an object")]
    [DataRow("quantization_config", "[]", "an object")]
    [DataRow("disable_quant_module", "[\"a\", 1]", "an array of strings")]
    [DataRow("disable_quant_module", "\"a\"", "an array of strings")]
    public void Parse_FieldOfWrongType_ThrowsNamingFieldAndExpectedType(string field, string value, string expected)
    {
        var ex = AssertRejects(With(field, value), field);

        Assert.IsTrue(ex.Message.Contains($"expected {expected}", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void Parse_IntegerWrittenAsFloat_IsAccepted()
    {
        var c = Parse(With("kv_lora_rank", "32.0"));

        Assert.AreEqual(32, c.KvLoraRank);
    }

    [TestMethod]
    public void Parse_OptionalFieldsAbsent_AppliesDefaults()
    {
        // Arrange: 8 heads so the num_key_value_heads default is visibly "the head count", not the fixture's 4.
        var config = FixtureJson("tiny-a");
        config["num_attention_heads"] = 8;
        foreach (var key in new[]
                 {
                     "tie_word_embeddings", "num_key_value_heads", "rope_scaling", "norm_topk_prob", "router_bias", "mla_scale_q_lora",
                     "mla_scale_kv_lora", "bos_token_id", "eos_token_id", "pad_token_id", "num_nextn_predict_layers", "nextn_use_scmoe",
                     "rms_norm_eps", "zero_expert_num", "model_type", "torch_dtype", "quantization_config", "disable_quant_module",
                 })
            config.Remove(key);

        // Act
        var c = Parse(config);

        // Assert
        Assert.IsFalse(c.TieWordEmbeddings);
        Assert.AreEqual(8, c.NumKeyValueHeads);
        Assert.IsNull(c.RopeScaling);
        Assert.IsFalse(c.NormTopKProb);
        Assert.IsFalse(c.RouterBias);
        Assert.IsTrue(c.MlaScaleQLora);
        Assert.IsTrue(c.MlaScaleKvLora);
        Assert.AreEqual(1, c.BosTokenId);
        Assert.AreEqual(2, c.EosTokenId);
        Assert.AreEqual(3, c.PadTokenId);
        Assert.AreEqual(1, c.NumNextnPredictLayers);
        Assert.IsFalse(c.NextnUseScmoe);
        Assert.AreEqual(1e-5f, c.RmsNormEps);
        Assert.AreEqual(0, c.ZeroExpertNum);
        Assert.AreEqual(8, c.TotalExperts);
        Assert.IsNull(c.ModelType);
        Assert.IsNull(c.TorchDtype);
        Assert.IsNull(c.Quantization);
        Assert.AreEqual(0, c.DisableQuantModule.Count);
    }

    [TestMethod]
    public void Parse_OptionalFieldsPresent_AreRead()
    {
        // Arrange: non-default values, and the alternative spellings num_nextn_layers and dtype.
        var config = FixtureJson("tiny-a");
        config["tie_word_embeddings"] = true;
        config["mla_scale_q_lora"] = false;
        config["bos_token_id"] = 10;
        config["eos_token_id"] = 11;
        config["pad_token_id"] = 12;
        config["rms_norm_eps"] = 1e-6;
        config.Remove("num_nextn_predict_layers");
        config["num_nextn_layers"] = 0;
        config.Remove("torch_dtype");
        config["dtype"] = "float32";
        config["disable_quant_module"] = new JsonArray("mlps", "self_attn");

        // Act
        var c = Parse(config);

        // Assert
        Assert.IsTrue(c.TieWordEmbeddings);
        Assert.IsFalse(c.MlaScaleQLora);
        Assert.AreEqual(10, c.BosTokenId);
        Assert.AreEqual(11, c.EosTokenId);
        Assert.AreEqual(12, c.PadTokenId);
        Assert.AreEqual(1e-6f, c.RmsNormEps);
        Assert.AreEqual(0, c.NumNextnPredictLayers);
        Assert.IsFalse(c.HasMtp);
        Assert.AreEqual("float32", c.TorchDtype);
        CollectionAssert.AreEqual(new[] { "mlps", "self_attn" }, c.DisableQuantModule.ToArray());
    }

    [TestMethod]
    public void Parse_RopeScalingNull_IsPlainRope()
    {
        var c = Parse(With("rope_scaling", "null"));

        Assert.IsNull(c.RopeScaling);
    }

    [TestMethod]
    public void Parse_YarnRopeScaling_ReadsValuesAndBetaDefaults()
    {
        // Arrange: Flash-Lite's block without beta_fast/beta_slow, spelled with "type".
        var config = With("rope_scaling", """{"type":"yarn","factor":10.0,"original_max_position_embeddings":32768,"mscale":1,"mscale_all_dim":1}""");

        // Act
        var c = Parse(config);

        // Assert
        Assert.AreEqual(new RopeScaling(10.0, 32768, 32.0, 1.0, 1.0, 1.0, null), c.RopeScaling);
    }

    [TestMethod]
    public void Parse_YarnRopeScalingWithEveryField_ReadsThem()
    {
        var config = With("rope_scaling",
            """{"rope_type":"yarn","factor":4,"original_max_position_embeddings":8192,"beta_fast":16,"beta_slow":2,"mscale":0.5,"mscale_all_dim":0.7,"attention_factor":1.1}""");

        var c = Parse(config);

        Assert.AreEqual(new RopeScaling(4, 8192, 16, 2, 0.5, 0.7, 1.1), c.RopeScaling);
    }

    [TestMethod]
    [DataRow("""{"rope_type":"linear","factor":2}""", "rope_scaling.rope_type")]
    [DataRow("""{"type":"dynamic","factor":2}""", "rope_scaling.rope_type")]
    [DataRow("""{"type":"yarn","original_max_position_embeddings":32768}""", "rope_scaling.factor")]
    [DataRow("""{"type":"yarn","factor":"10","original_max_position_embeddings":32768}""", "rope_scaling.factor")]
    [DataRow("""{"type":"yarn","factor":0.5,"original_max_position_embeddings":32768}""", "rope_scaling.factor")]
    [DataRow("""{"type":"yarn","factor":10}""", "rope_scaling.original_max_position_embeddings")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":0}""", "rope_scaling.original_max_position_embeddings")]
    [DataRow("""{"type":"yarn","factor":10,"original_max_position_embeddings":32768,"beta_fast":"32"}""", "rope_scaling.beta_fast")]
    public void Parse_BadRopeScaling_ThrowsNamingNestedField(string ropeScaling, string field)
    {
        AssertRejects(With("rope_scaling", ropeScaling), field);
    }

    [TestMethod]
    public void Parse_Fp8QuantizationConfig_IsRead()
    {
        var config = With("quantization_config",
            """{"quant_method":"fp8","fmt":"e4m3","activation_scheme":"dynamic","weight_block_size":[128,128],"ignored_layers":["lm_head"]}""");

        var c = Parse(config);

        Assert.IsNotNull(c.Quantization);
        Assert.AreEqual("e4m3", c.Quantization.Format);
        Assert.AreEqual(128, c.Quantization.BlockRows);
        Assert.AreEqual(128, c.Quantization.BlockCols);
        CollectionAssert.AreEqual(new[] { "lm_head" }, c.Quantization.IgnoredLayers.ToArray());
    }

    [TestMethod]
    [DataRow("""{"fmt":"e5m2"}""", "quantization_config.fmt")]
    [DataRow("""{"weight_block_size":[64,64]}""", "quantization_config.weight_block_size")]
    [DataRow("""{"weight_block_size":[128]}""", "quantization_config.weight_block_size")]
    [DataRow("""{"weight_block_size":"128"}""", "quantization_config.weight_block_size")]
    public void Parse_UnsupportedQuantization_ThrowsNamingNestedField(string quantization, string field)
    {
        AssertRejects(With("quantization_config", quantization), field);
    }

    [TestMethod]
    public void Parse_RootNotObject_ThrowsNamingRoot()
    {
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => Parse("[1, 2]"));

        Assert.AreEqual("(root)", ex.Field);
    }

    [TestMethod]
    public void Parse_StringWithLoneSurrogateEscape_ThrowsNamingField()
    {
        // Arrange: "\ud800" is valid JSON syntax but no valid string.
        var config = With("model_type", "\"PLACEHOLDER\"");
        string text = config.ToJsonString().Replace("\"PLACEHOLDER\"", "\"\\ud800\"", StringComparison.Ordinal);

        // Act
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => Parse(text));

        // Assert
        Assert.AreEqual("model_type", ex.Field);
        Assert.IsTrue(ex.Message.Contains("surrogate", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void Load_MissingFile_ThrowsNamingPath()
    {
        using var dir = new TempDir();
        string path = dir.File("config.json");

        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => LongCatConfig.Load(path));

        Assert.AreEqual("(file)", ex.Field);
        Assert.IsTrue(ex.Message.Contains(path, StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void Load_InvalidJson_ThrowsNamingPath()
    {
        // Arrange: the fixture config cut in half.
        using var dir = new TempDir();
        string path = dir.File("config.json");
        string text = File.ReadAllText(Path.Combine(Fixtures.Dir("tiny-a"), "config.json"));
        File.WriteAllText(path, text[..(text.Length / 2)]);

        // Act
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => LongCatConfig.Load(path));

        // Assert
        Assert.AreEqual("(file)", ex.Field);
        Assert.IsTrue(ex.Message.Contains(path, StringComparison.Ordinal) && ex.Message.Contains("not valid JSON", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void LoadModel_ConfigMissingField_ThrowsNamingField()
    {
        // Arrange: a copy of tiny-a whose config lost kv_lora_rank.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        var config = FixtureJson("tiny-a");
        config.Remove("kv_lora_rank");
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        // Act
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => LongCat.Sdk.Model.LongCatModel.Load(dir.Path));

        // Assert
        Assert.AreEqual("kv_lora_rank", ex.Field);
    }
}
