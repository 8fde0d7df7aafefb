using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>A model folder whose files are symbolic links (a Hugging Face cache snapshot links each file to a blob).</summary>
[TestClass]
public sealed class LinkedModelFolderTests
{
    [TestMethod]
    public void ModelFolderOfSymbolicLinks_LoadsAndGivesTheSameLogits()
    {
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(Fixtures.Dir("tiny-a")))
        {
            string link = Path.Combine(dir.Path, Path.GetFileName(file));
            try
            {
                File.CreateSymbolicLink(link, Path.GetFullPath(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AssertInconclusiveException($"this machine cannot create symbolic links: {e.Message}");
            }
        }
        var options = new ModelOptions { Residency = WeightResidency.Mapped, KvCacheBlocks = 4 };
        int[] prompt = [1, 5, 9, 200];

        using var linked = LongCatModel.Load(dir.Path, options);
        using var direct = LongCatModel.Load(Fixtures.Dir("tiny-a"), options);
        float[] a, b;
        using (var s = linked.CreateSession()) a = s.Prefill(prompt);
        using (var s = direct.CreateSession()) b = s.Prefill(prompt);

        CollectionAssert.AreEqual(b, a);
    }

    [TestMethod]
    public void ModelFolderThatLinksToACacheSnapshot_Loads()
    {
        // Arrange: the Hugging Face cache layout, reached through a link to the snapshot folder:
        //   model -> cache/snapshots/rev,  cache/snapshots/rev/<file> -> ../../blobs/<file>.
        // The files' relative targets must be read from the snapshot folder, not from 'model' (that would be <dir>/../blobs).
        using var dir = new TempDir();
        string blobs = Directory.CreateDirectory(dir.File("cache/blobs")).FullName;
        string snapshot = Directory.CreateDirectory(dir.File("cache/snapshots/rev")).FullName;
        foreach (var file in Directory.GetFiles(Fixtures.Dir("tiny-a")))
        {
            string name = Path.GetFileName(file);
            File.Copy(file, Path.Combine(blobs, name));
            File.CreateSymbolicLink(Path.Combine(snapshot, name), "../../blobs/" + name);
        }
        string model = dir.File("model");
        Directory.CreateSymbolicLink(model, snapshot);

        // Act
        using var linked = LongCatModel.Load(model, new ModelOptions { Residency = WeightResidency.Mapped, KvCacheBlocks = 4 });

        // Assert
        Assert.IsTrue(linked.WeightBytes > 0);
    }
}
