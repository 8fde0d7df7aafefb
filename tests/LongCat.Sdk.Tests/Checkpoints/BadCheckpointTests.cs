using System.Buffers.Binary;
using System.Text.Json.Nodes;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// Broken checkpoints are rejected with <see cref="InvalidCheckpointException"/> whose message names the file and the tensor
/// (or index entry) at fault. Each test corrupts a private copy of tiny-a or a file built with <see cref="SafetensorsWriter"/>.
/// </summary>
[TestClass]
internal sealed class BadCheckpointTests
{
    // Mapped weights and a tiny cache: a failed load must not need the huge-page arena.
    private static readonly ModelOptions Options = new() { Residency = WeightResidency.Mapped, KvCacheBlocks = 4 };

    private const string Embedding = "model.embed_tokens.weight";       // BF16 [512, 64], shard 1
    private const string LastTensorOfShard2 = "model.norm.weight";      // BF16 [64], the last bytes of shard 2
    private const string GateProj = "model.layers.0.mlps.0.gate_proj.weight";   // BF16 [128, 64], shard 1
    private const string InputNorm = "model.layers.0.input_layernorm.0.weight"; // BF16 [64], shard 1

    /// <summary>Two F32 tensors, a [4] at [0, 16) and b [2, 3] at [16, 40), and the 40-byte data section.</summary>
    private static readonly byte[] TwoTensorData = new byte[40];

    private static string TwoTensorHeader(string aOffsets = "[0,16]", string bOffsets = "[16,40]", string bShape = "[2,3]", string bDtype = "F32") =>
        $$$"""{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[4],"data_offsets":{{{aOffsets}}}},"b":{"dtype":"{{{bDtype}}}","shape":{{{bShape}}},"data_offsets":{{{bOffsets}}}}}""";

    private static void AssertNames(LongCatException ex, params string[] parts)
    {
        foreach (var part in parts)
            Assert.IsTrue(ex.Message.Contains(part, StringComparison.Ordinal), $"message should name '{part}': {ex.Message}");
    }

    private static InvalidCheckpointException OpenRaw(TempDir dir, string header, byte[] data, out string path)
    {
        path = dir.File("bad.safetensors");
        CheckpointFiles.WriteRaw(path, header, data);
        string p = path;
        return Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(p));
    }

    [TestMethod]
    public void TwoTensorFile_AsWritten_Opens()
    {
        // Arrange: the well-formed base the header tests below corrupt one field at a time.
        using var dir = new TempDir();
        string path = dir.File("good.safetensors");
        CheckpointFiles.WriteRaw(path, TwoTensorHeader(), TwoTensorData);

        // Act
        using var file = SafetensorsFile.Open(path);

        // Assert
        Assert.AreEqual(2, file.Tensors.Count);
        Assert.AreEqual(24L, file.Tensors["b"].Length);
        Assert.AreEqual("pt", file.Metadata["format"]);
    }

    [TestMethod]
    public void Open_TruncatedShard_ThrowsNamingFileAndTensor()
    {
        // Arrange
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard2);
        using (var fs = new FileStream(shard, FileMode.Open)) fs.SetLength(fs.Length - 10);

        // Act
        var direct = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(shard));
        var viaIndex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));
        var viaModel = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        foreach (var ex in new[] { direct, viaIndex, viaModel })
        {
            Assert.AreEqual(shard, ex.File);
            AssertNames(ex, CheckpointFiles.Shard2, $"'{LastTensorOfShard2}'", "truncated");
        }
    }

    [TestMethod]
    public void Open_ShardCutInsideHeader_ThrowsNamingFile()
    {
        // Arrange: only the length prefix and half of the header survive.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        using (var fs = new FileStream(shard, FileMode.Open)) fs.SetLength(3000);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        Assert.AreEqual(shard, ex.File);
        AssertNames(ex, CheckpointFiles.Shard1, "runs past the end");
    }

    [TestMethod]
    public void Open_FileShorterThanLengthPrefix_ThrowsNamingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(path));

        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "tiny.safetensors", "3 bytes");
    }

    [TestMethod]
    public void Open_MissingFile_ThrowsNamingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("absent.safetensors");

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(path));

        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "absent.safetensors", "not found");
    }

    [TestMethod]
    public void Header_WithOffsetsPastDataSection_ThrowsNamingTensor()
    {
        // Arrange: b keeps its 24-byte length but is shifted 8 bytes past the end of the data.
        using var dir = new TempDir();

        // Act
        var ex = OpenRaw(dir, TwoTensorHeader(bOffsets: "[24,48]"), TwoTensorData, out string path);

        // Assert
        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "bad.safetensors", "'b'", "[24, 48]", "40 bytes");
    }

    [TestMethod]
    public void Header_WithOffsetsEndingBeforeTheyBegin_ThrowsNamingTensor()
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, TwoTensorHeader(bOffsets: "[40,16]"), TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "'b'", "[40, 16]");
    }

    [TestMethod]
    [DataRow("[-8,16]")]
    [DataRow("[0.5,16]")]
    [DataRow("[\"0\",16]")]
    [DataRow("[0]")]
    [DataRow("[0,16,32]")]
    [DataRow("{\"begin\":0}")]
    [DataRow("[99999999999999999999,16]")]
    public void Header_WithMalformedOffsets_ThrowsNamingTensor(string offsets)
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, TwoTensorHeader(aOffsets: offsets), TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "'a'", "data_offsets");
    }

    [TestMethod]
    public void Header_WithOverlappingOffsets_ThrowsNamingBothTensors()
    {
        // Arrange: b starts 8 bytes into a (both lengths stay right, both inside the 40-byte data).
        using var dir = new TempDir();

        // Act
        var ex = OpenRaw(dir, TwoTensorHeader(bOffsets: "[8,32]"), TwoTensorData, out _);

        // Assert
        AssertNames(ex, "bad.safetensors", "'a'", "'b'", "overlap");
    }

    [TestMethod]
    public void Header_WithOverlappingOffsetsInFixtureShard_ThrowsNamingBothTensors()
    {
        // Arrange: the input norm is pointed at the first 128 bytes of the embedding table.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        long embeddingStart;
        using (var f = SafetensorsFile.Open(shard)) embeddingStart = f.Tensors[Embedding].Offset;
        CheckpointFiles.EditHeader(shard, h => h[InputNorm]!["data_offsets"] = new JsonArray(embeddingStart, embeddingStart + 128));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        Assert.AreEqual(shard, ex.File);
        AssertNames(ex, CheckpointFiles.Shard1, $"'{Embedding}'", $"'{InputNorm}'", "overlap");
    }

    [TestMethod]
    [DataRow(100UL * 1024 * 1024 + 1)]
    [DataRow(1UL << 40)]
    [DataRow(ulong.MaxValue)]
    public void Header_WithLengthOver100MiB_ThrowsNamingFile(ulong headerLength)
    {
        // Arrange: a small file whose u64 prefix claims an enormous header.
        using var dir = new TempDir();
        string path = dir.File("huge.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        File.WriteAllBytes(path, bytes);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(path));

        // Assert
        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "huge.safetensors", headerLength.ToString(System.Globalization.CultureInfo.InvariantCulture), "exceeds");
    }

    [TestMethod]
    public void Header_WithLengthPastEndOfFile_ThrowsNamingFile()
    {
        // Arrange: the prefix claims 1000 header bytes; the file holds 8 + 100.
        using var dir = new TempDir();
        string path = dir.File("short.safetensors");
        var bytes = new byte[108];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        "{}"u8.CopyTo(bytes.AsSpan(8));
        File.WriteAllBytes(path, bytes);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(path));

        // Assert
        AssertNames(ex, "short.safetensors", "1000", "108-byte file");
    }

    [TestMethod]
    public void Header_WithGapBetweenTensors_ThrowsNamingTensorAndBytes()
    {
        // Arrange: b keeps its 24 bytes but starts 8 bytes after a ends; the data section grows to hold it.
        using var dir = new TempDir();

        // Act
        var ex = OpenRaw(dir, TwoTensorHeader(bOffsets: "[24,48]"), new byte[48], out _);

        // Assert: the reference implementation refuses any byte of the data section that no tensor owns.
        AssertNames(ex, "bad.safetensors", "'b'", "[16, 24)");
    }

    [TestMethod]
    public void Header_WithBytesAfterLastTensor_ThrowsNamingFile()
    {
        // Arrange: both tensors as written, then 8 bytes that belong to none.
        using var dir = new TempDir();

        // Act
        var ex = OpenRaw(dir, TwoTensorHeader(), new byte[48], out string path);

        // Assert
        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "bad.safetensors", "'b'", "40", "48-byte data section");
    }

    [TestMethod]
    public void Header_WithEmptyTensorInsideAnother_ThrowsNamingBoth()
    {
        // Arrange: c holds no bytes but claims offset 8, inside a.
        using var dir = new TempDir();
        string header = TwoTensorHeader()[..^1] + ""","c":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}""";

        // Act
        var ex = OpenRaw(dir, header, TwoTensorData, out _);

        // Assert
        AssertNames(ex, "bad.safetensors", "'a'", "'c'");
    }

    [TestMethod]
    public void Header_WithEmptyTensorBetweenTwo_Opens()
    {
        // Arrange: a zero-byte tensor at the boundary of a and b owns no bytes and leaves no gap.
        using var dir = new TempDir();
        string path = dir.File("good.safetensors");
        CheckpointFiles.WriteRaw(path, TwoTensorHeader()[..^1] + ""","c":{"dtype":"F32","shape":[0,4],"data_offsets":[16,16]}}""", TwoTensorData);

        // Act
        using var file = SafetensorsFile.Open(path);

        // Assert
        Assert.AreEqual(0L, file.Tensors["c"].Length);
    }

    [TestMethod]
    public void Open_FixtureShardWithHeaderLengthOneByteShort_ThrowsInsteadOfReadingEveryTensorOneByteOff()
    {
        // Arrange: the header ends in padding spaces, so one byte less is still the same JSON; the data section then starts one
        // byte early and every tensor would be read shifted.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        var bytes = File.ReadAllBytes(shard);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual((byte)' ', bytes[8 + (int)length - 1], "the fixture's header is padded with spaces");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length - 1);
        File.WriteAllBytes(shard, bytes);

        // Act
        var direct = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(shard));
        var viaModel = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        foreach (var ex in new[] { direct, viaModel })
        {
            Assert.AreEqual(shard, ex.File);
            AssertNames(ex, CheckpointFiles.Shard1, "data section");
        }
    }

    [TestMethod]
    public void Header_WithByteLengthNotDtypeTimesShape_ThrowsNamingTensor()
    {
        // Arrange: b claims F32 [2, 3] (24 bytes) over a 20-byte span.
        using var dir = new TempDir();

        // Act
        var ex = OpenRaw(dir, TwoTensorHeader(bOffsets: "[16,36]"), TwoTensorData, out _);

        // Assert
        AssertNames(ex, "bad.safetensors", "'b'", "24 bytes", "span 20");
    }

    [TestMethod]
    public void Header_WithFixtureShapeEdited_ThrowsNamingTensor()
    {
        // Arrange: same dtype, one more column: the shape needs 1024 bytes more than the offsets give.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.EditHeader(shard, h => h[Embedding]!["shape"] = new JsonArray(512, 65));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(shard));

        // Assert
        AssertNames(ex, CheckpointFiles.Shard1, $"'{Embedding}'", "BF16 [512, 65]", "66560 bytes", "span 65536");
    }

    [TestMethod]
    public void Header_WithDtypeEdited_ThrowsNamingTensor()
    {
        // Arrange: BF16 → F32 doubles the bytes the shape needs.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.EditHeader(shard, h => h[Embedding]!["dtype"] = "F32");

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        AssertNames(ex, CheckpointFiles.Shard1, $"'{Embedding}'", "F32 [512, 64]", "131072 bytes");
    }

    [TestMethod]
    [DataRow("F4")]
    [DataRow("bf16")]
    [DataRow("")]
    public void Header_WithUnknownDtype_ThrowsNamingTensorAndDtype(string dtype)
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, TwoTensorHeader(bDtype: dtype), TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "'b'", $"unknown dtype '{dtype}'");
    }

    [TestMethod]
    [DataRow("[2,-3]")]
    [DataRow("[2,3.5]")]
    [DataRow("\"[2,3]\"")]
    [DataRow("[1,2,1,1,1,1,1,1,3]")]
    [DataRow("[4294967296,4294967296,4294967296]")]
    public void Header_WithMalformedShape_ThrowsNamingTensor(string shape)
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, TwoTensorHeader(bShape: shape), TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "'b'");
    }

    [TestMethod]
    [DataRow("this is not JSON")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}")]
    [DataRow("")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}} trailing")]
    public void Header_NotJson_ThrowsNamingFile(string header)
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, header, TwoTensorData, out string path);

        Assert.AreEqual(path, ex.File);
        AssertNames(ex, "bad.safetensors", "not valid JSON");
    }

    [TestMethod]
    [DataRow("[1,2,3]")]
    [DataRow("\"header\"")]
    [DataRow("null")]
    public void Header_JsonButNotObject_ThrowsNamingFile(string header)
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, header, TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "not a JSON object");
    }

    [TestMethod]
    public void Header_InvalidUtf8_ThrowsNamingFile()
    {
        // Arrange: a valid header whose tensor name contains a lone continuation byte.
        using var dir = new TempDir();
        string path = dir.File("bad.safetensors");
        string text = TwoTensorHeader();
        var header = System.Text.Encoding.UTF8.GetBytes(text);
        header[text.IndexOf("\"a\"", StringComparison.Ordinal) + 1] = 0x80;
        CheckpointFiles.WriteRaw(path, header, TwoTensorData);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => SafetensorsFile.Open(path));

        // Assert
        AssertNames(ex, "bad.safetensors", "UTF-8");
    }

    [TestMethod]
    [DataRow("\\ud800")]
    [DataRow("x\\udc00y")]
    public void Header_TensorNameWithLoneSurrogateEscape_ThrowsNamingFile(string escapedName)
    {
        // A JSON escape for half a UTF-16 surrogate pair is valid JSON syntax but names no string.
        using var dir = new TempDir();
        string header = "{\"" + escapedName + "\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";

        var ex = OpenRaw(dir, header, TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "surrogate");
    }

    [TestMethod]
    public void Header_DtypeWithLoneSurrogateEscape_ThrowsNamingFile()
    {
        using var dir = new TempDir();

        var ex = OpenRaw(dir, TwoTensorHeader(bDtype: "F3\\ud8002"), TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "'b'", "surrogate");
    }

    [TestMethod]
    public void Header_WithDuplicateTensorNames_ThrowsNamingTensor()
    {
        // Arrange: "b" twice, at disjoint offsets, so only the name clash is wrong.
        using var dir = new TempDir();
        string header = """{"b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}}""";

        // Act
        var ex = OpenRaw(dir, header, TwoTensorData, out _);

        // Assert
        AssertNames(ex, "bad.safetensors", "'b'", "twice");
    }

    [TestMethod]
    public void Header_WithDuplicateFixtureTensorName_ThrowsNamingTensor()
    {
        // Arrange: the raw header text of shard 1 gets a second key for the input norm, pointing at the same bytes.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        var (header, data) = CheckpointFiles.Split(shard);
        string text = System.Text.Encoding.UTF8.GetString(header).TrimEnd();
        var entry = JsonNode.Parse(text)![InputNorm]!.ToJsonString();
        text = text[..^1] + $",\"{InputNorm}\":{entry}}}";
        CheckpointFiles.WriteRaw(shard, text, data);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        AssertNames(ex, CheckpointFiles.Shard1, $"'{InputNorm}'", "twice");
    }

    [TestMethod]
    public void Header_WithMetadataNotStrings_ThrowsNamingFile()
    {
        using var dir = new TempDir();
        string header = """{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""";

        var ex = OpenRaw(dir, header, TwoTensorData, out _);

        AssertNames(ex, "bad.safetensors", "__metadata__", "'format'");
    }

    [TestMethod]
    public void Load_TensorWithWrongShape_ThrowsNamingTensorExpectedAndFound()
    {
        // Arrange: gate_proj [128, 64] rewritten as [64, 128]: same bytes, a valid file, the wrong tensor for the model.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.RewriteShard(shard, t => t.Name == GateProj ? t with { Shape = [64, 128] } : t);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        Assert.AreEqual(shard, ex.File);
        AssertNames(ex, CheckpointFiles.Shard1, $"'{GateProj}'", "expected shape [128, 64]", "found [64, 128]");
    }

    [TestMethod]
    public void Load_TensorWithWrongElementCount_ThrowsNamingTensorExpectedAndFound()
    {
        // Arrange: the final norm [64] rewritten as [63] (shard 2).
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard2);
        CheckpointFiles.RewriteShard(shard, t => t.Name == LastTensorOfShard2 ? t with { Shape = [63], Data = t.Data[..126] } : t);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        AssertNames(ex, CheckpointFiles.Shard2, $"'{LastTensorOfShard2}'", "expected shape [64]", "found [63]");
    }

    [TestMethod]
    [DataRow(DType.I32)]
    [DataRow(DType.F64)]
    [DataRow(DType.F8E4M3)]
    public void Load_NormWithWrongDtype_ThrowsNamingTensorExpectedAndFound(DType dtype)
    {
        // Arrange: the input norm [64] stored in a dtype norms cannot have.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.RewriteShard(shard, t => t.Name == InputNorm ? t with { DType = dtype, Data = new byte[64 * dtype.SizeOf()] } : t);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        AssertNames(ex, CheckpointFiles.Shard1, $"'{InputNorm}'", "expected dtype F32 or BF16 or F16", $"found {dtype.SafetensorsName()}");
    }

    [TestMethod]
    public void Load_Fp8WeightWithoutScales_ThrowsNamingScaleTensor()
    {
        // Arrange: gate_proj stored as FP8 with no gate_proj.weight_scale_inv beside it.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.RewriteShard(shard, t => t.Name == GateProj ? t with { DType = DType.F8E4M3, Data = new byte[128 * 64] } : t);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        AssertNames(ex, $"'{GateProj}_scale_inv'", "missing");
    }

    [TestMethod]
    public void Load_TensorMissingFromShardAndIndex_ThrowsNamingTensor()
    {
        // Arrange
        using var dir = TempDir.CopyOfFixture("tiny-a");
        CheckpointFiles.RewriteShard(dir.File(CheckpointFiles.Shard1), t => t.Name == GateProj ? null : t);
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index).Remove(GateProj));

        // Act: the checkpoint itself is consistent; the model misses the tensor.
        using (CheckpointIndex.Open(dir.Path)) { }
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        Assert.AreEqual(dir.File(CheckpointIndex.IndexFileName), ex.File);
        AssertNames(ex, $"'{GateProj}'", "missing");
    }

    /// <summary>A copy of tiny-a without the tensors <paramref name="drop"/> selects (from shard 2 and the index).</summary>
    private static TempDir WithoutShard2Tensors(Func<string, bool> drop)
    {
        var dir = TempDir.CopyOfFixture("tiny-a");
        CheckpointFiles.RewriteShard(dir.File(CheckpointFiles.Shard2), t => drop(t.Name) ? null : t);
        CheckpointFiles.EditIndex(dir.Path, index =>
        {
            var map = CheckpointFiles.WeightMap(index);
            foreach (var name in map.Select(p => p.Key).Where(drop).ToList()) map.Remove(name);
        });
        return dir;
    }

    [TestMethod]
    [DataRow("model.mtp.layers.0.eh_proj.weight")]
    [DataRow("model.mtp.layers.0.enorm.m.weight")]
    [DataRow("model.mtp.layers.0.self_attn.q_b_proj.weight")]
    [DataRow("model.mtp.layers.0.transformer_layer.mlp.down_proj.weight")]
    [DataRow("model.mtp.norm.weight")]
    public void Load_PartialMtpHead_ThrowsNamingTheMissingTensor(string missing)
    {
        // Arrange: every other MTP tensor is there. The head is all or nothing: a partial one is a broken checkpoint, not a
        // checkpoint without a head.
        using var dir = WithoutShard2Tensors(name => name == missing);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        AssertNames(ex, $"'{missing}'", "missing");
    }

    [TestMethod]
    public void Load_NoMtpTensors_LoadsWithoutTheHead()
    {
        using var dir = WithoutShard2Tensors(name => name.StartsWith("model.mtp.", StringComparison.Ordinal));

        using var model = LongCatModel.Load(dir.Path, Options);

        Assert.IsFalse(model.HasMtp);
    }

    [TestMethod]
    public void Load_TiedEmbeddingsWithAnLmHeadPresent_ThrowsNamingFieldAndTensor()
    {
        // Arrange: tie_word_embeddings would silently replace the checkpoint's own lm_head by the embedding.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["tie_word_embeddings"] = true;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        // Act
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        Assert.AreEqual("tie_word_embeddings", ex.Field);
        AssertNames(ex, "'lm_head.weight'", CheckpointFiles.Shard2);
    }

    [TestMethod]
    public void Load_TiedEmbeddingsWithoutLmHead_ProjectsWithTheEmbedding()
    {
        // Arrange
        using var dir = WithoutShard2Tensors(name => name == "lm_head.weight");
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        config["tie_word_embeddings"] = true;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());

        // Act
        using var model = LongCatModel.Load(dir.Path, Options);
        using var session = model.CreateSession();
        var logits = session.Prefill([1, 5, 9]);

        // Assert
        Assert.AreEqual(512, logits.Length);
    }

    [TestMethod]
    public void Open_TensorInIndexButMissingFromShard_ThrowsNamingShardAndTensor()
    {
        // Arrange
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string shard = dir.File(CheckpointFiles.Shard1);
        CheckpointFiles.RewriteShard(shard, t => t.Name == GateProj ? null : t);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        Assert.AreEqual(shard, ex.File);
        AssertNames(ex, CheckpointFiles.Shard1, $"'{GateProj}'", "missing");
    }

    [TestMethod]
    public void Open_IndexNamingMissingShard_ThrowsNamingIndexTensorAndShard()
    {
        // Arrange
        using var dir = TempDir.CopyOfFixture("tiny-a");
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[GateProj] = "model-00003-of-00002.safetensors");

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        Assert.AreEqual(dir.File(CheckpointIndex.IndexFileName), ex.File);
        AssertNames(ex, CheckpointIndex.IndexFileName, $"'{GateProj}'", "'model-00003-of-00002.safetensors'", "does not exist");
    }

    [TestMethod]
    public void Load_ShardFileDeleted_ThrowsNamingIndexAndShard()
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");
        File.Delete(dir.File(CheckpointFiles.Shard2));

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        AssertNames(ex, CheckpointIndex.IndexFileName, $"'{CheckpointFiles.Shard2}'", "does not exist");
    }

    [TestMethod]
    [DataRow("../tiny-a/model-00001-of-00002.safetensors")]
    [DataRow("/etc/hostname")]
    [DataRow("")]
    [DataRow("..")]
    public void Open_IndexNamingShardOutsideDirectory_ThrowsNamingIndex(string shard)
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[GateProj] = shard);

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        Assert.AreEqual(dir.File(CheckpointIndex.IndexFileName), ex.File);
        AssertNames(ex, $"'{GateProj}'", $"shard '{shard}'");
    }

    [TestMethod]
    public void Open_IndexInvalidJson_ThrowsNamingIndex()
    {
        // Arrange: the index cut in half.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string index = dir.File(CheckpointIndex.IndexFileName);
        var text = File.ReadAllText(index);
        File.WriteAllText(index, text[..(text.Length / 2)]);

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => LongCatModel.Load(dir.Path, Options));

        // Assert
        Assert.AreEqual(index, ex.File);
        AssertNames(ex, CheckpointIndex.IndexFileName, "not valid JSON");
    }

    [TestMethod]
    [DataRow("""{"metadata":{}}""")]
    [DataRow("""{"weight_map":["a"]}""")]
    [DataRow("""[1]""")]
    public void Open_IndexWithoutWeightMapObject_ThrowsNamingIndex(string json)
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");
        File.WriteAllText(dir.File(CheckpointIndex.IndexFileName), json);

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        AssertNames(ex, CheckpointIndex.IndexFileName, "weight_map");
    }

    [TestMethod]
    public void Open_IndexMappingTensorToNonString_ThrowsNamingIndexAndTensor()
    {
        using var dir = TempDir.CopyOfFixture("tiny-a");
        CheckpointFiles.EditIndex(dir.Path, index => CheckpointFiles.WeightMap(index)[GateProj] = 1);

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        AssertNames(ex, CheckpointIndex.IndexFileName, $"'{GateProj}'", "not a string");
    }

    [TestMethod]
    [DataRow("key")]
    [DataRow("value")]
    public void Open_IndexWithLoneSurrogateEscape_ThrowsNamingIndex(string where)
    {
        // Arrange: "\ud800" is valid JSON syntax but no string.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string index = dir.File(CheckpointIndex.IndexFileName);
        string entry = $"\"{GateProj}\": \"{CheckpointFiles.Shard1}\"";
        string broken = where == "key" ? $"\"{GateProj}\\ud800\": \"{CheckpointFiles.Shard1}\"" : $"\"{GateProj}\": \"\\ud800\"";
        File.WriteAllText(index, File.ReadAllText(index).Replace(entry, broken, StringComparison.Ordinal));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        Assert.AreEqual(index, ex.File);
        AssertNames(ex, CheckpointIndex.IndexFileName, "surrogate");
    }

    [TestMethod]
    public void Open_IndexNamingTensorTwice_ThrowsNamingIndexAndTensor()
    {
        // Arrange: a second, textual copy of one weight_map entry.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string index = dir.File(CheckpointIndex.IndexFileName);
        string text = File.ReadAllText(index);
        string entry = $"\"{GateProj}\": \"{CheckpointFiles.Shard1}\"";
        Assert.IsTrue(text.Contains(entry, StringComparison.Ordinal), "fixture index spells the entry as expected");
        File.WriteAllText(index, text.Replace(entry, entry + ",\n    " + entry, StringComparison.Ordinal));

        // Act
        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        // Assert
        AssertNames(ex, CheckpointIndex.IndexFileName, $"'{GateProj}'", "twice");
    }

    [TestMethod]
    public void Open_DirectoryWithoutIndexOrModelFile_ThrowsNamingDirectory()
    {
        using var dir = new TempDir();

        var ex = Assert.ThrowsExactly<InvalidCheckpointException>(() => CheckpointIndex.Open(dir.Path));

        AssertNames(ex, CheckpointIndex.IndexFileName, "model.safetensors", dir.Path);
    }
}
