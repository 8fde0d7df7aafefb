using System.Text;
using System.Text.Json;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Writes safetensors files (and sharded checkpoints with their index) in the official layout.
/// Used by the random-checkpoint generator, the benchmarks and the tests.
/// </summary>
internal sealed class SafetensorsWriter
{
    private readonly List<(string Name, DType DType, long[] Shape, byte[] Data)> _tensors = [];

    /// <summary>Tensors added so far, in order.</summary>
    public int Count => _tensors.Count;

    /// <summary>Total bytes of tensor data added so far.</summary>
    public long DataBytes => _tensors.Sum(t => (long)t.Data.Length);

    /// <summary>Adds a tensor with raw bytes already in <paramref name="dtype"/>'s layout.</summary>
    public SafetensorsWriter Add(string name, DType dtype, long[] shape, byte[] data)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n * dtype.SizeOf() != data.Length)
            throw new ArgumentException($"Tensor '{name}': {data.Length} bytes do not match {dtype} {TensorInfo.FormatShape(shape)}.", nameof(data));
        _tensors.Add((name, dtype, shape, data));
        return this;
    }

    /// <summary>Adds float values stored as <paramref name="dtype"/> (F32, BF16 or F16).</summary>
    public SafetensorsWriter AddFloats(string name, DType dtype, long[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * dtype.SizeOf()];
        switch (dtype)
        {
            case DType.F32: System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes); break;
            case DType.BF16:
                for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), WeightFormats.FloatToBf16(values[i]));
                break;
            case DType.F16:
                for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
            default: throw new ArgumentException($"AddFloats cannot store {dtype}; use Add with raw bytes.", nameof(dtype));
        }
        return Add(name, dtype, shape, bytes);
    }

    /// <summary>Adds int32 values as an I32 tensor.</summary>
    public SafetensorsWriter AddInts(string name, long[] shape, ReadOnlySpan<int> values) =>
        Add(name, DType.I32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Writes all tensors to one file.</summary>
    public void Write(string path) => WriteFile(path, _tensors);

    /// <summary>
    /// Writes a sharded checkpoint: <c>model-0000i-of-0000n.safetensors</c> files of about <paramref name="shardBytes"/>
    /// each and <c>model.safetensors.index.json</c>, into <paramref name="directory"/>.
    /// </summary>
    public void WriteSharded(string directory, long shardBytes)
    {
        Directory.CreateDirectory(directory);
        var shards = new List<List<(string, DType, long[], byte[])>> { new() };
        long current = 0;
        foreach (var t in _tensors)
        {
            if (current > 0 && current + t.Data.Length > shardBytes) { shards.Add([]); current = 0; }
            shards[^1].Add(t);
            current += t.Data.Length;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteFile(Path.Combine(directory, file), shards[i]);
            foreach (var t in shards[i]) weightMap[t.Item1] = file;
        }
        WriteIndex(directory, weightMap, DataBytes);
    }

    /// <summary>Writes <c>model.safetensors.index.json</c>: the total data size and which shard holds each tensor.</summary>
    public static void WriteIndex(string directory, IEnumerable<KeyValuePair<string, string>> weightMap, long totalSize)
    {
        using var stream = File.Create(Path.Combine(directory, CheckpointIndex.IndexFileName));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", totalSize);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap) json.WriteString(name, file);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteFile(string path, List<(string Name, DType DType, long[] Shape, byte[] Data)> tensors)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (i > 0) header.Append(',');
            header.Append('"').Append(JsonEncodedText.Encode(t.Name).ToString()).Append('"').Append(":{\"dtype\":\"").Append(t.DType.SafetensorsName())
                .Append("\",\"shape\":[").Append(string.Join(",", t.Shape)).Append("],\"data_offsets\":[")
                .Append(offset).Append(',').Append(offset + t.Data.Length).Append("]}");
            offset += t.Data.Length;
        }
        header.Append('}');
        // Pad the header with spaces to an 8-byte multiple so the data section stays aligned.
        while ((header.Length + 8) % 8 != 0) header.Append(' ');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
        fs.Write(len);
        fs.Write(headerBytes);
        foreach (var t in tensors) fs.Write(t.Data);
    }
}
