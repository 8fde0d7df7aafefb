using System.Diagnostics;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// <c>lite-width [blocks [ngram-ratio]]</c> (issue 18): a random checkpoint with LongCat-Flash-Lite's real widths (hidden 3072,
/// 256 + 128 experts of 1024, 32 heads, q/kv LoRA 1536/512, vocabulary 131072, 4 × 3 N-gram tables) and only a few of its 14
/// blocks, loaded with q4-experts: the process's RSS after load and after 256 decoded tokens against the memory plan's
/// resident figure, the checkpoint's mapped pages (the N-gram tables and the embedding stay mapped and barely touched),
/// decode tokens/s, and the 14-block figure extrapolated from the plan's bytes per token and the same-run read bandwidth.
/// </summary>
internal static class LiteWidth
{
    public static void Run(int blocks, int ngramRatio)
    {
        string config = $$"""
            {"architectures": ["LongcatFlashNgramForCausalLM"], "model_type": "longcat_flash_ngram",
             "hidden_size": 3072, "num_layers": {{blocks}}, "num_attention_heads": 32, "num_key_value_heads": 32,
             "ffn_hidden_size": 6144, "expert_ffn_hidden_size": 1024, "n_routed_experts": 256, "zero_expert_num": 128,
             "zero_expert_type": "identity", "moe_topk": 12, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
             "qk_rope_head_dim": 64, "v_head_dim": 128, "head_dim": 64, "mla_scale_q_lora": true, "mla_scale_kv_lora": true,
             "attention_bias": false, "max_position_embeddings": 327680, "bos_token_id": 1, "eos_token_id": 2,
             "rms_norm_eps": 1e-05, "vocab_size": 131072, "ngram_vocab_size_ratio": {{ngramRatio}}, "emb_neighbor_num": 4, "emb_split_num": 4,
             "routed_scaling_factor": 6.0, "rope_theta": 5000000.0, "num_nextn_predict_layers": 0}
            """;
        string dir = Path.Combine(Path.GetTempPath(), "longcat-bench", $"lite-width-{blocks}-{ngramRatio}");
        if (!File.Exists(Path.Combine(dir, CheckpointIndex.IndexFileName)))
        {
            string tmp = dir + ".tmp", configFile = Path.Combine(Path.GetTempPath(), $"lite-width-{blocks}-{ngramRatio}.json");
            File.WriteAllText(configFile, config);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            var write = Stopwatch.StartNew();
            RandomCheckpoint.Write(configFile, tmp, seed: 7);
            Directory.Move(tmp, dir);
            Console.WriteLine($"wrote {dir} in {write.Elapsed.TotalSeconds:F0} s");
        }
        var plan = MemoryPlan.ForModel(dir, WeightQuantization.Q4Experts);
        var full = MemoryPlan.Create(LongCatConfig.Load(Path.Combine(dir, "config.json")) with { NumLayers = 14 }, WeightQuantization.Q4Experts);
        GC.Collect();
        var before = LoadMemory.Status();
        var clock = Stopwatch.StartNew();
        using var model = LongCatModel.Load(dir, new ModelOptions { Quantization = WeightQuantization.Q4Experts, KvCacheBlocks = 8, LoadMtp = false });
        double load = clock.Elapsed.TotalSeconds;
        GC.Collect();
        var loaded = LoadMemory.Status();
        Console.WriteLine($"plan: resident {plan.ResidentBytes / 1e9:F3} GB (+ runtime estimate {plan.RuntimeBytes / 1e9:F3} GB), mapped {plan.MappedBytes / 1e9:F3} GB, " +
                          $"{plan.BytesPerToken / 1e6:F1} MB per token; load {load:F0} s");
        Report("after load", before, loaded, plan, dir);

        using var session = model.CreateSession();
        var logits = session.Prefill(Enumerable.Range(100, 16).ToArray());
        for (int i = 0; i < 16; i++) logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));   // warm-up
        const int tokens = 240;
        clock.Restart();
        for (int i = 0; i < tokens; i++) logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
        double tps = tokens / clock.Elapsed.TotalSeconds;
        GC.Collect();
        Report("after 256 decoded tokens", before, LoadMemory.Status(), plan, dir);

        using var read = new ReadBandwidth(plan.BytesPerToken, 4L << 30);
        read.Run();
        var times = Enumerable.Range(0, 5).Select(_ => { var sw = Stopwatch.StartNew(); read.Run(); return sw.Elapsed.TotalSeconds; }).Order().ToArray();
        double bandwidth = plan.BytesPerToken / times[2];
        double fraction = tps * plan.BytesPerToken / bandwidth;
        Console.WriteLine($"decode {tps:F2} tok/s = {tps * plan.BytesPerToken / 1e9:F1} GB/s, {fraction:F2} of the same-run read ({bandwidth / 1e9:F1} GB/s); " +
                          $"14 blocks read {full.BytesPerToken / 1e9:F2} GB per token: ~{fraction * bandwidth / full.BytesPerToken:F1} tok/s at the same fraction " +
                          $"(resident {full.ResidentBytes / 1e9:F1} GB)");
    }

    private static void Report(string when, (long Rss, long Anon, long File) before, (long Rss, long Anon, long File) now, MemoryPlan plan, string dir)
    {
        long mappedRss = 0, mappedSize = 0;
        string? current = null;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-'))
                current = line.Contains(dir, StringComparison.Ordinal) ? line : null;
            else if (current is not null && line.StartsWith("Rss:", StringComparison.Ordinal)) mappedRss += LoadMemory.Kb(line);
            else if (current is not null && line.StartsWith("Size:", StringComparison.Ordinal)) mappedSize += LoadMemory.Kb(line);
        }
        long grown = now.Rss - before.Rss;
        Console.WriteLine($"{when}: RSS +{grown / 1e9:F3} GB (anonymous +{(now.Anon - before.Anon) / 1e9:F3}, file-backed +{(now.File - before.File) / 1e9:F3}) " +
                          $"= {(double)grown / plan.ResidentBytes:F3} of the plan's resident weights; the checkpoint's mappings: {mappedSize / 1e9:F2} GB mapped, " +
                          $"{mappedRss / 1e6:F1} MB of it resident");
    }
}
