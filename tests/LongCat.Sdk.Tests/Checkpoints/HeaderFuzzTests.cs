using System.Buffers.Binary;
using System.Text;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// Seeded mutation fuzzing of a real safetensors header (tiny-a's first shard): whatever the bytes, parsing either succeeds
/// with entries that respect every documented invariant, or throws <see cref="InvalidCheckpointException"/> naming the file.
/// Any other exception type fails the test with the seed, iteration and mutation that produced it.
/// </summary>
[TestClass]
public sealed class HeaderFuzzTests
{
    private const int Seed = 20250917;
    private const int HeaderIterations = 5000;
    private const int FileIterations = 200;
    private const string FuzzName = "fuzz.safetensors";

    public TestContext TestContext { get; set; } = null!;

    private static (byte[] Header, byte[] Data) RealShard() =>
        CheckpointFiles.Split(Path.Combine(Fixtures.Dir("tiny-a"), CheckpointFiles.Shard1));

    [TestMethod]
    public void Parse_RealHeader_IsAccepted()
    {
        // Arrange
        var (header, data) = RealShard();

        // Act
        var (tensors, _) = SafetensorsHeader.Parse(header, data.Length, FuzzName);

        // Assert: the unmutated header is the fuzzer's starting point and must parse.
        Assert.AreEqual(62, tensors.Count);   // 63 header keys, one of them __metadata__
        AssertInvariants(tensors, data.Length, "unmutated");
    }

    [TestMethod]
    public void Parse_MutatedHeaders_AcceptOrThrowInvalidCheckpointOnly()
    {
        // Arrange
        var (header, data) = RealShard();
        var random = new Random(Seed);
        int accepted = 0, rejected = 0;

        for (int i = 0; i < HeaderIterations; i++)
        {
            var (mutated, what) = ByteMutations.Mutate(header, random);
            // Also vary the data length around the real one so offset checks meet both sides of the boundary.
            long dataLength = random.Next(4) switch { 0 => data.Length - random.Next(1, 512), 1 => data.Length + random.Next(1, 64), _ => data.Length };

            // Act
            Dictionary<string, TensorInfo>? tensors = null;
            InvalidCheckpointException? error = null;
            try
            {
                tensors = SafetensorsHeader.Parse(mutated, dataLength, FuzzName).Tensors;
            }
            catch (InvalidCheckpointException e)
            {
                error = e;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed}, iteration {i}, mutation {what}: {e.GetType().FullName} escaped: {e.Message}\n{Preview(mutated)}");
            }

            // Assert
            if (error is not null)
            {
                rejected++;
                Assert.AreEqual(FuzzName, error.File, $"seed {Seed}, iteration {i}");
                Assert.IsTrue(error.Message.StartsWith(FuzzName + ": ", StringComparison.Ordinal), $"seed {Seed}, iteration {i}: {error.Message}");
            }
            else
            {
                accepted++;
                AssertInvariants(tensors!, dataLength, $"seed {Seed}, iteration {i}, mutation {what}");
            }
        }

        // Both outcomes must occur, or the mutations are not exercising the validator.
        TestContext.WriteLine($"{accepted} accepted, {rejected} rejected");
        Assert.IsTrue(accepted > 50, $"only {accepted} of {HeaderIterations} mutated headers parsed");
        Assert.IsTrue(rejected > HeaderIterations / 2, $"only {rejected} of {HeaderIterations} mutated headers were rejected");
    }

    [TestMethod]
    public void Open_MutatedFiles_OpenWithReadableTensorsOrThrowInvalidCheckpointOnly()
    {
        // Arrange
        var (header, data) = RealShard();
        var random = new Random(Seed + 1);
        using var dir = new TempDir();
        int accepted = 0, rejected = 0;

        for (int i = 0; i < FileIterations; i++)
        {
            string path = dir.File($"fuzz-{i:D3}.safetensors");
            // Half the files get digit edits only: still JSON, so offsets, shapes and names change and many files open.
            var (mutated, what) = ByteMutations.Mutate(header, random, digitsOnly: random.Next(2) == 0);
            var bytes = new byte[8 + mutated.Length + data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)mutated.Length);
            mutated.CopyTo(bytes, 8);
            data.CopyTo(bytes, 8 + mutated.Length);
            switch (random.Next(6))
            {
                case 0: // the length prefix lies
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(mutated.Length + random.Next(-16, 17)));
                    what += " +length";
                    break;
                case 1: // a random byte of the prefix
                    bytes[random.Next(8)] = (byte)random.Next(256);
                    what += " +prefix-byte";
                    break;
                case 2: // the file is cut
                    Array.Resize(ref bytes, random.Next(bytes.Length));
                    what += $" +cut@{bytes.Length}";
                    break;
            }
            File.WriteAllBytes(path, bytes);

            // Act
            SafetensorsFile? file = null;
            InvalidCheckpointException? error = null;
            try
            {
                file = SafetensorsFile.Open(path);
            }
            catch (InvalidCheckpointException e)
            {
                error = e;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed + 1}, file {i}, mutation {what}: {e.GetType().FullName} escaped: {e.Message}");
            }

            // Assert
            if (error is not null)
            {
                rejected++;
                Assert.AreEqual(path, error.File, $"seed {Seed + 1}, file {i}");
                continue;
            }
            using (file)
            {
                accepted++;
                long dataLength = bytes.Length - 8 - (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                AssertInvariants(file!.Tensors, dataLength, $"seed {Seed + 1}, file {i}, mutation {what}");
                // Every accepted tensor's bytes are inside the mapping: read them all.
                foreach (var t in file.Tensors.Values)
                {
                    var span = file.GetBytes(t);
                    Assert.AreEqual(t.Length, (long)span.Length);
                    if (span.Length > 0) _ = span[0] ^ span[^1];
                }
            }
        }

        TestContext.WriteLine($"{accepted} opened, {rejected} rejected");
        Assert.IsTrue(accepted > 0, "no mutated file opened");
        Assert.IsTrue(rejected > 0, "no mutated file was rejected");
    }

    /// <summary>What a successful parse promises: each entry's bytes are dtype × shape, and together they tile the data section.</summary>
    private static void AssertInvariants(IReadOnlyDictionary<string, TensorInfo> tensors, long dataLength, string context)
    {
        foreach (var (name, t) in tensors)
        {
            Assert.AreEqual(name, t.Name, context);
            Assert.IsTrue(t.Offset >= 0 && t.Length >= 0 && t.Offset + t.Length <= dataLength,
                $"{context}: '{name}' [{t.Offset}, {t.Offset + t.Length}) outside the {dataLength}-byte data section");
            Assert.AreEqual(t.ElementCount * t.DType.SizeOf(), t.Length, $"{context}: '{name}' byte length");
            Assert.IsTrue(t.Shape.All(d => d >= 0), $"{context}: '{name}' negative dimension");
        }
        // The tensors tile the data section: each begins where the one before ends, the last ends with the data.
        long end = 0;
        foreach (var t in tensors.Values.OrderBy(t => t.Offset).ThenBy(t => t.Length))
        {
            Assert.AreEqual(end, t.Offset, $"{context}: '{t.Name}' does not begin where the tensor before it ends");
            end = t.Offset + t.Length;
        }
        Assert.AreEqual(dataLength, end, $"{context}: the tensors do not end at the end of the data section");
    }

    private static string Preview(byte[] bytes) =>
        bytes.Length <= 600 ? Encoding.UTF8.GetString(bytes) : Encoding.UTF8.GetString(bytes, 0, 600) + "…";
}
