using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Writes a LongCat checkpoint of any shape with seeded random weights in the official format (config.json, sharded
/// safetensors, model.safetensors.index.json): for benchmarks and tests, where real weights cannot be downloaded.
/// </summary>
/// <remarks>
/// Linear weights are N(0, 1/in) so activations keep their scale through the layers; norms are 1; the router bias is small
/// noise; the MTP head is written when the config asks for one.
/// </remarks>
internal static class RandomCheckpoint
{
    /// <summary>Writes a checkpoint for <paramref name="configPath"/>'s config into <paramref name="directory"/>.</summary>
    /// <param name="configPath">A config.json (validated; copied into the output).</param>
    /// <param name="directory">Output directory (created).</param>
    /// <param name="seed">Random seed: the same seed writes the same bytes.</param>
    /// <param name="dtype">Storage of linear weights and embeddings: BF16 (default), F16 or F32.</param>
    /// <param name="shardBytes">Approximate shard size.</param>
    public static void Write(string configPath, string directory, int seed = 1, DType dtype = DType.BF16, long shardBytes = 512L << 20)
    {
        var config = LongCatConfig.Load(configPath);
        Directory.CreateDirectory(directory);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!;
        File.WriteAllText(Path.Combine(directory, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var w = new SafetensorsWriter();
        var rng = new Random(seed);
        foreach (var (name, shape, kind) in Tensors(config))
        {
            long n = 1;
            foreach (var d in shape) n *= d;
            var values = new float[n];
            switch (kind)
            {
                case Kind.Norm: Array.Fill(values, 1f); break;
                case Kind.Bias: for (long i = 0; i < n; i++) values[i] = (float)(rng.NextDouble() - 0.5) * 1e-3f; break;
                case Kind.Embedding: Fill(rng, values, 1f); break;
                default: Fill(rng, values, 1f / MathF.Sqrt(shape[^1])); break;
            }
            // Router classifier and bias in F32, as in the released checkpoints; everything else in the requested format.
            var storage = kind == Kind.Bias || name.EndsWith("router.classifier.weight", StringComparison.Ordinal) ? DType.F32 : dtype;
            w.AddFloats(name, storage, shape, values);
        }
        w.WriteSharded(directory, shardBytes);
    }

    private enum Kind { Linear, Norm, Bias, Embedding }

    private static void Fill(Random rng, float[] values, float std)
    {
        // Box-Muller, two values per pair of uniforms.
        for (long i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1)) * std;
            values[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    /// <summary>Every tensor of LONGCAT.md §7 for this config, with its shape.</summary>
    private static IEnumerable<(string Name, long[] Shape, Kind Kind)> Tensors(LongCatConfig c)
    {
        long h = c.HiddenSize, heads = c.NumAttentionHeads;
        yield return (WeightNames.Embedding, [c.VocabSize, h], Kind.Embedding);
        if (c.Architecture == LongCatArchitecture.FlashNgram)
        {
            int count = c.NgramEmbedderCount;
            long dim = h / count;
            for (int idx = 0; idx < count; idx++)
            {
                yield return (WeightNames.NgramEmbedder(idx), [(long)c.NgramVocabSizeRatio * c.VocabSize + 2 * idx + 1, dim], Kind.Embedding);
                yield return (WeightNames.NgramPostProj(idx), [h, dim], Kind.Linear);
            }
        }
        for (int l = 0; l < c.NumLayers; l++)
        {
            for (int i = 0; i < 2; i++)
            {
                yield return (WeightNames.InputNorm(l, i), [h], Kind.Norm);
                yield return (WeightNames.PostAttentionNorm(l, i), [h], Kind.Norm);
                foreach (var t in Attention(WeightNames.Attention(l, i), c)) yield return t;
                foreach (var t in Mlp(WeightNames.DenseMlp(l, i), h, c.FfnHiddenSize)) yield return t;
            }
            yield return (WeightNames.RouterClassifier(l), [c.TotalExperts, h], Kind.Linear);
            yield return (WeightNames.RouterBias(l), [c.TotalExperts], Kind.Bias);
            for (int e = 0; e < c.NRoutedExperts; e++)
                foreach (var t in Mlp(WeightNames.Expert(l, e), h, c.ExpertFfnHiddenSize)) yield return t;
        }
        yield return (WeightNames.FinalNorm, [h], Kind.Norm);
        if (!c.TieWordEmbeddings) yield return (WeightNames.LmHead, [c.VocabSize, h], Kind.Linear);
        if (c.HasMtp)
        {
            yield return (WeightNames.MtpEmbedding, [c.VocabSize, h], Kind.Embedding);
            yield return (WeightNames.MtpENorm, [h], Kind.Norm);
            yield return (WeightNames.MtpHNorm, [h], Kind.Norm);
            yield return (WeightNames.MtpEhProj, [h, 2 * h], Kind.Linear);
            yield return (WeightNames.MtpInputNorm, [h], Kind.Norm);
            foreach (var t in Attention(WeightNames.MtpAttention, c)) yield return t;
            yield return (WeightNames.MtpPostAttentionNorm, [h], Kind.Norm);
            foreach (var t in Mlp(WeightNames.MtpMlp, h, c.FfnHiddenSize)) yield return t;
            yield return (WeightNames.MtpNorm, [h], Kind.Norm);
        }
    }

    private static IEnumerable<(string, long[], Kind)> Attention(string p, LongCatConfig c)
    {
        long h = c.HiddenSize, heads = c.NumAttentionHeads;
        yield return ($"{p}.{WeightNames.QA}", [c.QLoraRank, h], Kind.Linear);
        yield return ($"{p}.{WeightNames.QANorm}", [c.QLoraRank], Kind.Norm);
        yield return ($"{p}.{WeightNames.QB}", [heads * c.QkHeadDim, c.QLoraRank], Kind.Linear);
        yield return ($"{p}.{WeightNames.KvA}", [c.KvCacheWidth, h], Kind.Linear);
        yield return ($"{p}.{WeightNames.KvANorm}", [c.KvLoraRank], Kind.Norm);
        yield return ($"{p}.{WeightNames.KvB}", [heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank], Kind.Linear);
        yield return ($"{p}.{WeightNames.O}", [h, heads * c.VHeadDim], Kind.Linear);
    }

    private static IEnumerable<(string, long[], Kind)> Mlp(string p, long h, long ffn)
    {
        yield return ($"{p}.{WeightNames.Gate}", [ffn, h], Kind.Linear);
        yield return ($"{p}.{WeightNames.Up}", [ffn, h], Kind.Linear);
        yield return ($"{p}.{WeightNames.Down}", [h, ffn], Kind.Linear);
    }
}
