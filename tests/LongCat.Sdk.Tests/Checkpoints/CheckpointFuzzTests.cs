using System.Buffers.Binary;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// Seeded mutation fuzzing of whole model folders. Each iteration edits one file of a private copy of a complete folder (tiny-a
/// with its MTP head, or tiny-lite-a with its n-gram tables; each with the test tokenizer.json of
/// <see cref="TestModels.TinyWithTokenizer"/>, a generation_config.json and an mtp_draft_vocab.json) and loads the copy through
/// <see cref="LongCatEngine.LoadAsync"/> (a tenth of the time cancelled within 20 ms) and <see cref="LongCatModel.Load(string, ModelOptions?)"/>:
/// it loads, or throws a <see cref="LongCatException"/> (or, cancelled, OperationCanceledException); never another exception, a
/// hang or more than <see cref="GuardedLoad.MaxAllocatedBytes"/> allocated (<see cref="GuardedLoad"/>). A failure names the seed,
/// iteration and mutation; the mutations of one seed are always the same.
/// </summary>
/// <remarks>
/// Mutations: JSON files get one value replaced by an edge value, removed or its key renamed (<see cref="JsonMutations"/>), or
/// byte edits (<see cref="ByteMutations"/>); shards get header value edits, header byte edits, a length prefix that lies by 1 to
/// 16 bytes, a data section cut, extended or overwritten, or one tensor dropped (from the shard, or also from the index),
/// reshaped or retyped in a still valid file; any file may become a special file (<see cref="SpecialFile"/>: dangling,
/// looping or too long links, links to /dev/zero, /dev/urandom or a directory, a directory, a FIFO, an empty file) or be deleted.
/// </remarks>
[TestClass]
public sealed class CheckpointFuzzTests
{
    private const int Seed = 20260115;
    private const int Iterations = 1000;

    private static readonly string[] Files =
    [
        "config.json", GenerationConfig.FileName, "tokenizer.json", CheckpointIndex.IndexFileName, DraftVocabulary.FileName,
        CheckpointFiles.Shard1, CheckpointFiles.Shard2,
    ];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Load_MutatedModelFolders_LoadOrThrowLongCatExceptionOnly()
    {
        // Arrange
        using var flash = TempDir.CopyOfCompleteFolder("tiny-a");
        using var lite = TempDir.CopyOfCompleteFolder("tiny-lite-a");
        var random = new Random(Seed);
        var counts = Files.ToDictionary(f => f, _ => new int[2]);      // [loaded by both, rejected by either]
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);

        for (int i = 0; i < Iterations; i++)
        {
            bool isFlash = random.Next(2) == 0;
            string file = Files[random.Next(Files.Length)];
            using var dir = new TempDir();
            foreach (var f in Directory.GetFiles((isFlash ? flash : lite).Path)) File.Copy(f, dir.File(Path.GetFileName(f)));
            var (kind, what, fifo) = Mutate(dir.File(file), random);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            string name = $"seed {Seed}, iteration {i}, {(isFlash ? "tiny-a" : "tiny-lite-a")}/{file}: {what}";
            TimeSpan? cancelAfter = random.Next(10) == 0 ? TimeSpan.FromMilliseconds(random.Next(20)) : null;

            // Act + Assert: GuardedLoad fails the test on anything but a load or a LongCatException.
            var viaEngine = GuardedLoad.Engine(dir.Path, name + " (engine)", fifo, cancelAfter);
            var viaModel = GuardedLoad.Model(dir.Path, name + " (model)", fifo);
            counts[file][viaEngine is null && viaModel is null ? 0 : 1]++;
        }

        // Assert: every file's mutations were sometimes refused, and not every mutation was fatal.
        foreach (var (file, c) in counts) TestContext.WriteLine($"{file}: {c[0]} loaded, {c[1]} rejected");
        TestContext.WriteLine(string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}")));
        foreach (var (file, c) in counts) Assert.IsTrue(c[1] > 0, $"no mutation of {file} was rejected");
        Assert.IsTrue(counts.Values.Sum(c => c[0]) > Iterations / 10, "almost every mutated folder was rejected");
    }

    /// <summary>Edits the file at <paramref name="path"/>: (kind, description, the FIFO made in its place if any).</summary>
    private static (string Kind, string What, string? Fifo) Mutate(string path, Random random)
    {
        int roll = random.Next(20);
        if (roll == 0)
        {
            File.Delete(path);
            return ("delete", "deleted", null);
        }
        if (roll <= 3)
        {
            var kind = (SpecialFile)random.Next(Enum.GetValues<SpecialFile>().Length);
            CheckpointFiles.ReplaceWithSpecialFile(path, kind);
            return ("special", kind.ToString(), kind == SpecialFile.Fifo ? path : null);
        }
        if (!path.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            var (mutated, what) = roll < 12 ? JsonMutations.Mutate(bytes, random) : ByteMutations.Mutate(bytes, random);
            File.WriteAllBytes(path, mutated);
            return (roll < 12 ? "json-value" : "json-bytes", what, null);
        }
        var (header, data) = CheckpointFiles.Split(path);
        switch (roll)
        {
            case < 10:
            {
                var (mutated, what) = JsonMutations.Mutate(header, random);
                CheckpointFiles.WriteRaw(path, mutated, data);
                return ("header-value", what, null);
            }
            case < 12:
            {
                var (mutated, what) = ByteMutations.Mutate(header, random, digitsOnly: random.Next(2) == 0);
                CheckpointFiles.WriteRaw(path, mutated, data);
                return ("header-bytes", what, null);
            }
            case < 14:
            {
                var bytes = File.ReadAllBytes(path);
                int delta = random.Next(1, 17) * (random.Next(2) == 0 ? -1 : 1);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(header.Length + delta));
                File.WriteAllBytes(path, bytes);
                return ("length-prefix", $"header length {delta:+#;-#}", null);
            }
            case < 17:
                return ("tensor", EditTensor(path, random), null);
            default:
            {
                int at = random.Next(data.Length);
                string what;
                switch (random.Next(3))
                {
                    case 0: data = data[..at]; what = $"data cut at {at}"; break;
                    case 1: data = [.. data, .. new byte[1 + random.Next(64)]]; what = "data extended"; break;
                    default: random.NextBytes(data.AsSpan(at, Math.Min(64, data.Length - at))); what = $"data overwritten at {at}"; break;
                }
                CheckpointFiles.WriteRaw(path, header, data);
                return ("data", what, null);
            }
        }
    }

    /// <summary>Rewrites a shard as a valid file with one tensor dropped (and maybe its index entry), reshaped or retyped.</summary>
    private static string EditTensor(string path, Random random)
    {
        var tensors = CheckpointFiles.ReadTensors(path);
        var victim = tensors[random.Next(tensors.Count)];
        string what;
        switch (random.Next(3))
        {
            case 0:
                tensors.Remove(victim);
                what = $"'{victim.Name}' dropped";
                if (random.Next(2) == 0)
                {
                    CheckpointFiles.EditIndex(Path.GetDirectoryName(path)!, index => CheckpointFiles.WeightMap(index).Remove(victim.Name));
                    what += " (and from the index)";
                }
                break;
            case 1:
                tensors[tensors.IndexOf(victim)] = victim with { Shape = [.. victim.Shape.Reverse(), 1] };
                what = $"'{victim.Name}' reshaped";
                break;
            default:
                DType[] sameSize = victim.DType.SizeOf() switch { 2 => [DType.F16, DType.BF16, DType.I16], 4 => [DType.F32, DType.I32], _ => [DType.F8E4M3, DType.U8] };
                var dtype = sameSize[random.Next(sameSize.Length)];
                tensors[tensors.IndexOf(victim)] = victim with { DType = dtype };
                what = $"'{victim.Name}' as {dtype.SafetensorsName()}";
                break;
        }
        CheckpointFiles.WriteTensors(path, tensors);
        return what;
    }
}
