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

    /// <summary>
    /// A copy of a fixture with every file a model folder may have: tiny-a (or <paramref name="fixture"/>) plus the test
    /// tokenizer.json of <see cref="TestModels.ByteLevelBpeJson"/>, a generation_config.json and an mtp_draft_vocab.json.
    /// </summary>
    public static TempDir CopyOfCompleteFolder(string fixture = "tiny-a")
    {
        var dir = CopyOfFixture(fixture);
        System.IO.File.WriteAllText(dir.File("tokenizer.json"), TestModels.ByteLevelBpeJson(512));
        System.IO.File.WriteAllText(dir.File("generation_config.json"), """{"bos_token_id": 1, "eos_token_id": [2], "pad_token_id": 3}""");
        System.IO.File.WriteAllText(dir.File(LongCat.Sdk.Model.DraftVocabulary.FileName),
            JsonSerializer.Serialize(new { size = 32, tokens = Enumerable.Range(0, 64).Select(i => (i * 37 + 5) % 512).ToArray() }));
        return dir;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>What a model folder's file can be replaced by that is not a regular file of bounded size.</summary>
public enum SpecialFile
{
    /// <summary>A symbolic link to a path that does not exist.</summary>
    DanglingLink,
    /// <summary>Two symbolic links naming each other.</summary>
    LoopingLink,
    /// <summary>A chain of more links than the loader follows (each one valid, the last naming the real file).</summary>
    LongLinkChain,
    /// <summary>A symbolic link to /dev/zero: endless zeros, size 0.</summary>
    LinkToDevZero,
    /// <summary>A symbolic link to /dev/urandom: endless random bytes, size 0.</summary>
    LinkToDevUrandom,
    /// <summary>A symbolic link to a directory.</summary>
    LinkToDirectory,
    /// <summary>A directory of that name.</summary>
    Directory,
    /// <summary>A named pipe (mkfifo) with no writer: opening it for reading blocks.</summary>
    Fifo,
    /// <summary>A regular file of 0 bytes.</summary>
    Empty,
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

    /// <summary>Replaces the file at <paramref name="path"/> by <paramref name="kind"/> (the original moves aside, for the link
    /// chain to end at).</summary>
    /// <exception cref="AssertInconclusiveException">This machine cannot make links or FIFOs (not Linux or macOS).</exception>
    public static void ReplaceWithSpecialFile(string path, SpecialFile kind)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) throw new AssertInconclusiveException("special files need Linux or macOS");
        string dir = Path.GetDirectoryName(path)!, name = Path.GetFileName(path);
        string aside = Path.Combine(dir, "aside-" + name);
        if (File.Exists(path)) File.Move(path, aside);
        switch (kind)
        {
            case SpecialFile.DanglingLink: File.CreateSymbolicLink(path, "does-not-exist-" + name); break;
            case SpecialFile.LoopingLink:
                File.CreateSymbolicLink(path, "loop-" + name);
                File.CreateSymbolicLink(Path.Combine(dir, "loop-" + name), name);
                break;
            case SpecialFile.LongLinkChain:
                const int links = 40;
                for (int i = 0; i < links; i++)
                    File.CreateSymbolicLink(i == 0 ? path : Path.Combine(dir, $"chain{i}-{name}"), i == links - 1 ? "aside-" + name : $"chain{i + 1}-{name}");
                break;
            case SpecialFile.LinkToDevZero: File.CreateSymbolicLink(path, "/dev/zero"); break;
            case SpecialFile.LinkToDevUrandom: File.CreateSymbolicLink(path, "/dev/urandom"); break;
            case SpecialFile.LinkToDirectory: File.CreateSymbolicLink(path, dir); break;
            case SpecialFile.Directory: Directory.CreateDirectory(path); break;
            case SpecialFile.Fifo: MakeFifo(path); break;
            case SpecialFile.Empty: File.WriteAllBytes(path, []); break;
        }
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.AreEqual(0, mkfifo.ExitCode, $"mkfifo {path}");
    }
}
