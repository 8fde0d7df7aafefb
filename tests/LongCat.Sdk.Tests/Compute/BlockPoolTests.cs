using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>The paged KV cache's bookkeeping: block ids, reference counts and per-sequence block tables.</summary>
[TestClass]
public sealed class BlockPoolTests
{
    [TestMethod]
    public void Allocate_UntilExhausted_HandsOutEachBlockOnceThenThrows()
    {
        // Arrange
        var pool = new BlockPool(blockCount: 5, blockSize: 4);
        var ids = new List<int>();

        // Act
        for (int i = 0; i < 5; i++) ids.Add(pool.Allocate());

        // Assert
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2, 3, 4 }, ids);
        Assert.AreEqual(0, pool.FreeCount);
        Assert.IsFalse(pool.CanAllocate(1));
        var ex = Assert.ThrowsExactly<KvCacheExhaustedException>(() => pool.Allocate());
        Assert.IsTrue(ex.Message.Contains("1 block(s) requested, 0 free", StringComparison.Ordinal), ex.Message);
    }

    [TestMethod]
    public void Release_ReturnsBlockForReuse()
    {
        var pool = new BlockPool(2, 4);
        int a = pool.Allocate();
        pool.Allocate();

        pool.Release(a);

        Assert.AreEqual(1, pool.FreeCount);
        Assert.AreEqual(0, pool.RefCount(a));
        Assert.AreEqual(a, pool.Allocate());
    }

    [TestMethod]
    public void Release_Twice_Throws()
    {
        var pool = new BlockPool(3, 4);
        int id = pool.Allocate();
        pool.Release(id);

        Assert.ThrowsExactly<InvalidOperationException>(() => pool.Release(id));
        Assert.AreEqual(3, pool.FreeCount, "the failed release must not push the block a second time");
    }

    [TestMethod]
    public void Release_NeverAllocatedBlock_Throws()
    {
        var pool = new BlockPool(3, 4);

        Assert.ThrowsExactly<InvalidOperationException>(() => pool.Release(2));
        Assert.AreEqual(3, pool.FreeCount);
    }

    [TestMethod]
    public void Retain_KeepsBlockUntilLastRelease()
    {
        var pool = new BlockPool(2, 4);
        int id = pool.Allocate();
        pool.Retain(id);

        pool.Release(id);
        Assert.AreEqual(1, pool.RefCount(id));
        Assert.AreEqual(1, pool.FreeCount);
        pool.Release(id);

        Assert.AreEqual(2, pool.FreeCount);
        Assert.ThrowsExactly<InvalidOperationException>(() => pool.Retain(id));
    }

    [TestMethod]
    public void Reserve_NotEnoughFree_ThrowsAndAllocatesNothing()
    {
        // Arrange: 4 blocks of 4; sequence A takes 3 for 12 tokens.
        var pool = new BlockPool(4, 4);
        var a = new BlockTable();
        a.Reserve(pool, 12);
        var b = new BlockTable();

        // Act: B needs 3 blocks for 9 tokens; 1 is free.
        var ex = Assert.ThrowsExactly<KvCacheExhaustedException>(() => b.Reserve(pool, 9));

        // Assert
        Assert.AreEqual(0, b.Blocks.Count);
        Assert.AreEqual(1, pool.FreeCount);
        Assert.IsTrue(ex.Message.Contains("3 block(s) requested, 1 free", StringComparison.Ordinal), ex.Message);
        b.Reserve(pool, 4);                         // what does fit still fits
        Assert.AreEqual(1, b.Blocks.Count);
    }

    [TestMethod]
    public void Reserve_GrowingSequence_AddsOnlyMissingBlocks()
    {
        var pool = new BlockPool(8, 4);
        var t = new BlockTable();

        t.Reserve(pool, 5);
        var first = t.Blocks.ToArray();
        t.Reserve(pool, 8);
        t.Reserve(pool, 9);

        Assert.AreEqual(3, t.Blocks.Count);
        CollectionAssert.AreEqual(first, t.Blocks.Take(2).ToArray());
        Assert.AreEqual(5, pool.FreeCount);
        Assert.AreEqual(t.Blocks[2] * 4 + 0, t.Slot(8, 4));
        Assert.AreEqual(t.Blocks[1] * 4 + 3, t.Slot(7, 4));
    }

    [TestMethod]
    public void Truncate_ReleasesTrailingBlocksOnly()
    {
        // Arrange: 16 tokens in 4 blocks.
        var pool = new BlockPool(6, 4);
        var t = new BlockTable();
        t.Reserve(pool, 16);
        t.Commit(16);
        var blocks = t.Blocks.ToArray();

        // Act: keep 5 tokens → 2 blocks.
        t.Truncate(pool, 5);

        // Assert
        CollectionAssert.AreEqual(blocks[..2], t.Blocks.ToArray());
        Assert.AreEqual(5, t.TokenCount);
        Assert.AreEqual(4, pool.FreeCount);
        Assert.AreEqual(0, pool.RefCount(blocks[2]));
        Assert.AreEqual(0, pool.RefCount(blocks[3]));
        Assert.AreEqual(1, pool.RefCount(blocks[1]));
    }

    [TestMethod]
    public void Release_Table_ReturnsEveryBlockAndIsIdempotent()
    {
        var pool = new BlockPool(4, 4);
        var t = new BlockTable();
        t.Reserve(pool, 13);
        t.Commit(13);

        t.Release(pool);
        t.Release(pool);

        Assert.AreEqual(4, pool.FreeCount);
        Assert.AreEqual(0, t.Blocks.Count);
        Assert.AreEqual(0, t.TokenCount);
    }

    [TestMethod]
    [DataRow(0, 4)]
    [DataRow(4, 0)]
    [DataRow(-1, 4)]
    public void Constructor_NonPositiveSizes_Throw(int blocks, int blockSize)
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BlockPool(blocks, blockSize));
    }
}
