using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>A fresh temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("longcat-tests-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A copy of a fixture checkpoint (config, index, shards; not the golden outputs).</summary>
    public static TempDir CopyOfFixture(string fixture)
    {
        var dir = new TempDir();
        foreach (var f in Directory.GetFiles(Fixtures.Dir(fixture)))
        {
            string name = System.IO.Path.GetFileName(f);
            if (name.StartsWith("golden", StringComparison.Ordinal)) continue;
            System.IO.File.Copy(f, dir.File(name));
        }
        return dir;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>One tensor held in memory: what <see cref="SafetensorsWriter.Add"/> takes.</summary>
internal sealed record RawTensor(string Name, DType DType, long[] Shape, byte[] Data);

/// <summary>Reads, edits and rewrites safetensors files and shard indexes at the byte level, to build broken checkpoints.</summary>
internal static class CheckpointFiles
{
    public const string Shard1 = "model-00001-of-00002.safetensors";
    public const string Shard2 = "model-00002-of-00002.safetensors";

    /// <summary>Every tensor of a file, in data-offset order, copied out of the mapping.</summary>
    public static List<RawTensor> ReadTensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Tensors.Values.OrderBy(t => t.Offset)
            .Select(t => new RawTensor(t.Name, t.DType, (long[])t.Shape.Clone(), file.GetBytes(t).ToArray()))
            .ToList();
    }

    /// <summary>Writes tensors in order with <see cref="SafetensorsWriter"/> (the file is replaced).</summary>
    public static void WriteTensors(string path, IEnumerable<RawTensor> tensors)
    {
        var writer = new SafetensorsWriter();
        foreach (var t in tensors) writer.Add(t.Name, t.DType, t.Shape, t.Data);
        writer.Write(path);
    }

    /// <summary>Rewrites a shard, replacing each tensor by what <paramref name="edit"/> returns (null drops it).</summary>
    public static void RewriteShard(string path, Func<RawTensor, RawTensor?> edit)
    {
        var tensors = ReadTensors(path).Select(edit).Where(t => t is not null).Select(t => t!).ToList();
        WriteTensors(path, tensors);
    }

    /// <summary>The header JSON bytes and the data section of a file.</summary>
    public static (byte[] Header, byte[] Data) Split(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        return (bytes[8..(8 + n)], bytes[(8 + n)..]);
    }

    /// <summary>Writes u64 header length, the header bytes and the data section, as they are.</summary>
    public static void WriteRaw(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        using var fs = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        fs.Write(len);
        fs.Write(header);
        fs.Write(data);
    }

    public static void WriteRaw(string path, string header, ReadOnlySpan<byte> data) => WriteRaw(path, Encoding.UTF8.GetBytes(header), data);

    /// <summary>Edits a file's header as JSON and writes it back in front of the unchanged data section.</summary>
    public static void EditHeader(string path, Action<JsonObject> edit)
    {
        var (header, data) = Split(path);
        var json = JsonNode.Parse(header)!.AsObject();
        edit(json);
        WriteRaw(path, json.ToJsonString(), data);
    }

    /// <summary>Edits model.safetensors.index.json.</summary>
    public static void EditIndex(string directory, Action<JsonObject> edit)
    {
        string path = Path.Combine(directory, CheckpointIndex.IndexFileName);
        var json = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The weight_map object of an index.</summary>
    public static JsonObject WeightMap(JsonObject index) => index["weight_map"]!.AsObject();
}
