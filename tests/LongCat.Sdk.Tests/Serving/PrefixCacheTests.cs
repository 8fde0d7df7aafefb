using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Tests.Serving;

[TestClass]
public sealed class PrefixCacheTests
{
    private static async Task<List<int>> Run(LongCatEngine engine, int[] prompt, int maxTokens = 12)
    {
        var tokens = new List<int>();
        await foreach (var u in engine.GenerateAsync(prompt, new GenerationOptions { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true }))
            tokens.AddRange(u.TokenIds);
        return tokens;
    }

    [TestMethod]
    [DataRow("tiny-a")]
    [DataRow("tiny-lite-a")]
    public async Task SharedPrefix_IsServedFromCache_AndOutputIsUnchanged(string fixture)
    {
        using var golden = new Golden(Fixtures.Dir(fixture));
        var first = golden.Ints("prompt_p2");                                    // 64 tokens
        var second = first.Concat(golden.Ints("prompt_p1")).ToArray();          // the same 64, then 17 more
        var options = new LongCatOptions { KvBlockSize = 8 };
        await using var cached = await LongCatEngine.LoadAsync(Fixtures.Dir(fixture), options);
        await using var fresh = await LongCatEngine.LoadAsync(Fixtures.Dir(fixture), options with { PrefixCaching = false });

        await Run(cached, first);
        var hit = await Run(cached, second);
        var expected = await Run(fresh, second);

        CollectionAssert.AreEqual(expected, hit, "a cache hit changes nothing in the output");
        Assert.IsTrue(cached.Statistics.PrefixCacheHitTokens >= 64, $"hit tokens {cached.Statistics.PrefixCacheHitTokens}");
        Assert.AreEqual(0, fresh.Statistics.PrefixCacheHitTokens);
        Assert.AreEqual(cached.TotalKvBlocks, cached.FreeKvBlocks, "cached blocks are evictable, so they count as free");
    }

    [TestMethod]
    public async Task ManyDistinctPrompts_InASmallCache_EvictAndAllComplete()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4, KvCacheBlocks = 12 });
        var rng = new Random(3);
        for (int i = 0; i < 20; i++)
        {
            var prompt = Enumerable.Range(0, 20).Select(_ => rng.Next(4, 500)).ToArray();
            Assert.AreEqual(12, (await Run(engine, prompt)).Count, $"request {i}");
        }
        Assert.AreEqual(engine.TotalKvBlocks, engine.FreeKvBlocks);
    }

    [TestMethod]
    public void Match_ConfirmsTokens_AndTakesAReference()
    {
        var pool = new BlockPool(8, 2);
        var cache = new PrefixCache(pool);
        var table = new BlockTable();
        table.Reserve(pool, 5);                                   // 3 blocks
        int[] tokens = [1, 2, 3, 4, 5];
        cache.Register(tokens, table.Blocks, 5);                  // 2 full blocks registered
        Assert.AreEqual(2, cache.Count);
        table.Release(pool);
        Assert.AreEqual(6, pool.FreeCount, "the cache holds its two blocks");

        var hit = new List<int>();
        Assert.AreEqual(4, cache.Match([1, 2, 3, 4, 9], 4, hit));
        CollectionAssert.AreEqual(new[] { 2, 2 }, hit.Select(pool.RefCount).ToArray());
        var miss = new List<int>();
        Assert.AreEqual(2, cache.Match([1, 2, 9, 9], 4, miss), "the second block differs");
        Assert.AreEqual(0, cache.Match([7, 7, 7], 3, new List<int>()));
    }

    [TestMethod]
    public void Register_MoreCachedRowsThanTokens_ThrowsNamingTheCount()
    {
        var pool = new BlockPool(8, 2);
        var cache = new PrefixCache(pool);
        var table = new BlockTable();
        table.Reserve(pool, 4);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => cache.Register([1, 2, 3], table.Blocks, 4));

        Assert.AreEqual("cachedTokens", e.ParamName);
        Assert.AreEqual(0, cache.Count);
    }
}
