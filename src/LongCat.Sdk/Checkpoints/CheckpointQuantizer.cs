using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// <c>longcat quantize</c>: writes a model folder whose linear weights are stored in the SDK's block formats under a preset, in the
/// official layout (config.json with a <c>quantization_config</c>, sharded safetensors and their index, the tokenizer and
/// generation files copied). Each quantized weight <c>X.weight</c> becomes I8 [out, in] (<see cref="DType.Q8"/>) or U8 [out, in/2]
/// (<see cref="DType.Q4"/>) values and an F16 <c>X.weight_scale</c> [out, in/32]; FP8 block scales of quantized weights are
/// dropped; every other tensor is copied byte for byte. The folder loads mapped with no re-quantization.
/// Tensors are streamed shard by shard: memory stays at a few row batches whatever the model's size.
/// </summary>
internal static class CheckpointQuantizer
{
    /// <summary>The <c>quant_method</c> written to config.json.</summary>
    public const string QuantMethod = "longcat-blockwise";

    /// <summary>Bytes per output shard before a new one starts (Hugging Face writes ~5 GB shards).</summary>
    public const long DefaultShardBytes = 4L << 30;

    /// <summary>Files copied beside the weights when the source folder has them.</summary>
    private static readonly string[] CopiedFiles =
    [
        "tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "special_tokens_map.json", GenerationConfig.FileName,
        DraftVocabulary.FileName, "chat_template.jinja", "chat_template.json",
    ];

    private sealed record Output(string Name, DType StoredType, long[] Shape, long Bytes, TensorInfo Source, DType? Format);

    /// <summary>Quantizes a model folder into another.</summary>
    /// <param name="source">The model folder read.</param>
    /// <param name="destination">The folder written (created; must be empty or absent).</param>
    /// <param name="preset">Which weights become 8-bit or 4-bit (<see cref="QuantizationPlan"/>).</param>
    /// <param name="progress">Bytes of source tensors done so far, and the total.</param>
    /// <param name="shardBytes">Bytes per shard before a new one starts.</param>
    /// <param name="cancellation">Checked between tensors.</param>
    public static void Run(string source, string destination, WeightQuantization preset, IProgress<(long Done, long Total)>? progress = null,
        long shardBytes = DefaultShardBytes, CancellationToken cancellation = default)
    {
        if (preset == WeightQuantization.None) throw new ArgumentOutOfRangeException(nameof(preset), preset, "choose a quantization preset");
        string configPath = Path.Combine(source, "config.json");
        LongCatConfig.Load(configPath);                                    // a folder that does not load is not quantized
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
            throw new IOException($"'{destination}' is not empty; quantize into a new folder.");
        if (Path.GetFullPath(source).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar))
            throw new IOException("The output folder is the input folder.");

        using var index = CheckpointIndex.Open(source);
        var outputs = Plan(index, preset);
        Directory.CreateDirectory(destination);

        // Shards of about shardBytes, tensors in the source's order.
        var shards = new List<List<Output>> { new() };
        long current = 0;
        foreach (var o in outputs)
        {
            // A weight's scales follow its values in the same shard (WriteTensor writes them together).
            if (current > 0 && current + o.Bytes > shardBytes && !IsScalesOfQuantized(o)) { shards.Add([]); current = 0; }
            shards[^1].Add(o);
            current += o.Bytes;
        }
        long total = outputs.Where(o => !IsScalesOfQuantized(o)).Sum(o => o.Source.Length), done = 0;
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            using (var stream = new FileStream(Path.Combine(destination, file), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteHeader(stream, shards[i]);
                foreach (var o in shards[i])
                {
                    cancellation.ThrowIfCancellationRequested();
                    WriteTensor(stream, index, o);
                    weightMap[o.Name] = file;
                    if (!IsScalesOfQuantized(o)) done += o.Source.Length;
                    progress?.Report((done, total));
                }
            }
        }
        SafetensorsWriter.WriteIndex(destination, weightMap, shards.Sum(s => s.Sum(o => o.Bytes)));
        WriteConfig(configPath, Path.Combine(destination, "config.json"), preset);
        foreach (var f in CopiedFiles)
            if (File.Exists(Path.Combine(source, f))) File.Copy(Path.Combine(source, f), Path.Combine(destination, f));
    }

    private static bool IsScalesOfQuantized(Output o) => o.Format is null && o.Name != o.Source.Name;

    /// <summary>Every output tensor: quantized weights as values + scales, FP8 scales of quantized weights dropped, the rest as is.</summary>
    private static List<Output> Plan(CheckpointIndex index, WeightQuantization preset)
    {
        var outputs = new List<Output>();
        var quantized = new HashSet<string>(StringComparer.Ordinal);
        var infos = index.TensorNames.Select(n => index.Get(n).Info).OrderBy(i => i.File, StringComparer.Ordinal).ThenBy(i => i.Offset).ToList();
        foreach (var info in infos)
        {
            DType? format = info.Shape.Length == 2 && info.DType is DType.F32 or DType.BF16 or DType.F16 or DType.F8E4M3
                ? QuantizationPlan.FormatFor(preset, info.Name, checked((int)info.Shape[1])) : null;
            if (format is not { } f)
            {
                outputs.Add(new Output(info.Name, info.DType, info.Shape, info.Length, info, null));
                continue;
            }
            long rows = info.Shape[0], cols = info.Shape[1];
            quantized.Add(info.Name);
            outputs.Add(new Output(info.Name, f == DType.Q8 ? DType.I8 : DType.U8, [rows, f == DType.Q8 ? cols : cols / 2], f.ByteCount(rows * cols), info, f));
            outputs.Add(new Output(info.Name + WeightLoader.BlockScaleSuffix, DType.F16, [rows, cols / BlockFormats.BlockSize],
                rows * (cols / BlockFormats.BlockSize) * 2, info, null));
        }
        // An FP8 weight's 128×128 scales go with it; its block-quantized copy has scales of its own.
        outputs.RemoveAll(o => o.Format is null && o.Name == o.Source.Name && o.Name.EndsWith(WeightNames.ScaleSuffix, StringComparison.Ordinal)
            && quantized.Contains(o.Name[..^WeightNames.ScaleSuffix.Length]));
        return outputs;
    }

    private static void WriteHeader(Stream stream, List<Output> tensors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.StoredType.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Bytes;
            }
            json.WriteEndObject();
        }
        // The header is padded with spaces to 8 bytes, as the reference writer does.
        int padded = (int)((buffer.Length + 7) & ~7L);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        for (long i = buffer.Length; i < padded; i++) stream.WriteByte((byte)' ');
    }

    private static unsafe void WriteTensor(Stream stream, CheckpointIndex index, Output o)
    {
        var (info, file) = index.Get(o.Source.Name);
        byte* src = file.Pointer(info);
        if (o.Format is null && o.Name == info.Name)
        {
            for (long off = 0; off < info.Length; off += 1 << 24)
                stream.Write(new ReadOnlySpan<byte>(src + off, (int)Math.Min(1 << 24, info.Length - off)));
            return;
        }
        if (o.Format is not { } format) return;                            // scales: written with their values
        // Values of every row, then scales of every row: the two tensors are adjacent in the shard, values first.
        var quantizer = new RowQuantizer(index, info, file, format);
        const int Batch = 256;
        int batch = Math.Min(Batch, quantizer.Rows);
        var values = new byte[batch * quantizer.RowBytes];
        var batchScales = new Half[batch * quantizer.Groups];
        var scales = new Half[(long)quantizer.Rows * quantizer.Groups];
        for (int r0 = 0; r0 < quantizer.Rows; r0 += batch)
        {
            int n = Math.Min(batch, quantizer.Rows - r0);
            quantizer.Quantize(r0, n, values, batchScales);
            stream.Write(values, 0, (int)(n * quantizer.RowBytes));
            batchScales.AsSpan(0, n * quantizer.Groups).CopyTo(scales.AsSpan(r0 * quantizer.Groups));
        }
        stream.Write(MemoryMarshal.AsBytes(scales.AsSpan()));
    }

    private static void WriteConfig(string source, string destination, WeightQuantization preset)
    {
        var root = JsonNode.Parse(File.ReadAllBytes(source))!.AsObject();
        // The source's own (an FP8 checkpoint's) is kept beside it: weights the preset leaves alone are still in that format.
        if (root["quantization_config"] is { } previous) root["source_quantization_config"] = previous.DeepClone();
        root["quantization_config"] = new JsonObject
        {
            ["quant_method"] = QuantMethod,
            ["preset"] = PresetName(preset),
            ["block_size"] = BlockFormats.BlockSize,
            ["scale_dtype"] = "float16",
            ["formats"] = new JsonObject { ["I8"] = "q8: w = scale * q", ["U8"] = "q4: w = scale * (q - 8), 32-value blocks of 16 bytes, low nibbles first" },
        };
        File.WriteAllText(destination, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
    }

    /// <summary>The CLI spelling of a preset: q8, q4-experts, q4.</summary>
    public static string PresetName(WeightQuantization preset) => preset switch
    {
        WeightQuantization.Q8 => "q8",
        WeightQuantization.Q4Experts => "q4-experts",
        WeightQuantization.Q4 => "q4",
        _ => "none",
    };
}
