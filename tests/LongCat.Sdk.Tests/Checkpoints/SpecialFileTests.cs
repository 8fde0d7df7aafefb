using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// Every file of a model folder replaced by something that is not a regular file (a dangling, looping or too long chain of
/// links, a link to a device or a directory, a directory, a FIFO, an empty file): loading fails at once with a
/// <see cref="LongCatException"/> naming the file; it never blocks on the FIFO, reads a device without end, or escapes as
/// FileNotFoundException or OutOfMemoryException.
/// </summary>
[TestClass]
public sealed class SpecialFileTests
{
    /// <summary>Files the model reads (the engine reads them too).</summary>
    private static readonly string[] ModelFiles = ["config.json", CheckpointIndex.IndexFileName, CheckpointFiles.Shard1, DraftVocabulary.FileName];

    /// <summary>Files only the engine reads.</summary>
    private static readonly string[] EngineFiles = ["tokenizer.json", "generation_config.json"];

    public static IEnumerable<object[]> Cases() =>
        from file in ModelFiles.Concat(EngineFiles)
        from kind in Enum.GetValues<SpecialFile>()
        select new object[] { file, kind };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Load_FileReplacedBySpecialFile_ThrowsTypedErrorNamingIt(string file, SpecialFile kind)
    {
        // Arrange
        using var dir = TempDir.CopyOfCompleteFolder();
        string path = dir.File(file);
        CheckpointFiles.ReplaceWithSpecialFile(path, kind);
        string what = $"{file} as {kind}";
        string? fifo = kind == SpecialFile.Fifo ? path : null;

        // Act
        var viaEngine = GuardedLoad.Engine(dir.Path, what, fifo);
        var viaModel = ModelFiles.Contains(file) ? GuardedLoad.Model(dir.Path, what, fifo) : null;

        // Assert
        Assert.IsNotNull(viaEngine, $"{what}: the engine loaded");
        StringAssert.Contains(viaEngine.Message, file, what);
        if (!ModelFiles.Contains(file)) return;
        Assert.IsNotNull(viaModel, $"{what}: the model loaded");
        StringAssert.Contains(viaModel.Message, file, what);
    }

    [TestMethod]
    [DataRow(SpecialFile.DanglingLink)]
    [DataRow(SpecialFile.LoopingLink)]
    [DataRow(SpecialFile.LinkToDevZero)]
    [DataRow(SpecialFile.Fifo)]
    public void Load_SingleModelSafetensorsAsSpecialFile_ThrowsInvalidCheckpointNamingIt(SpecialFile kind)
    {
        // Arrange: a one-file checkpoint (no index) whose model.safetensors is not a regular file.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        File.Delete(dir.File(CheckpointIndex.IndexFileName));
        string single = dir.File("model.safetensors");
        CheckpointFiles.ReplaceWithSpecialFile(single, kind);
        string what = $"model.safetensors as {kind}";

        // Act
        var ex = GuardedLoad.Model(dir.Path, what, kind == SpecialFile.Fifo ? single : null);

        // Assert
        Assert.IsInstanceOfType<InvalidCheckpointException>(ex, what);
        StringAssert.Contains(ex.Message, "model.safetensors", what);
    }

    [TestMethod]
    public void Load_ConfigOverItsSizeCap_ThrowsBeforeReadingIt()
    {
        // Arrange: a valid config.json padded past the 4 MiB a config may have.
        using var dir = TempDir.CopyOfFixture("tiny-a");
        string config = dir.File("config.json");
        File.WriteAllText(config, new string(' ', 5 << 20) + File.ReadAllText(config));

        // Act
        var ex = Assert.ThrowsExactly<InvalidConfigException>(() => LongCatModel.Load(dir.Path, GuardedLoad.ModelOptions));

        // Assert
        Assert.AreEqual("(file)", ex.Field);
        StringAssert.Contains(ex.Message, "config.json");
        StringAssert.Contains(ex.Message, "more than the 4 MiB");
    }

    [TestMethod]
    public void Load_FolderOfShortLinkChains_Loads()
    {
        // Arrange: every file reached through three links (a cache snapshot links once; the bound leaves room for more).
        using var dir = TempDir.CopyOfCompleteFolder();
        foreach (var file in Directory.GetFiles(dir.Path))
        {
            string name = Path.GetFileName(file);
            File.Move(file, dir.File("blob-" + name));
            File.CreateSymbolicLink(dir.File("b-" + name), "blob-" + name);
            File.CreateSymbolicLink(dir.File("a-" + name), "b-" + name);
            File.CreateSymbolicLink(file, "a-" + name);
        }

        // Act
        var error = GuardedLoad.Engine(dir.Path, "three links per file");

        // Assert
        Assert.IsNull(error, error?.Message);
    }
}
