namespace LongCat.Sdk.Tests;

/// <summary>The SDK's exceptions follow .NET's conventions and carry what they report as properties.</summary>
[TestClass]
public sealed class ExceptionTests
{
    public static IEnumerable<object[]> ExceptionTypes => typeof(LongCatException).Assembly.GetExportedTypes()
        .Where(t => typeof(Exception).IsAssignableFrom(t)).Select(t => new object[] { t });

    [TestMethod]
    [DynamicData(nameof(ExceptionTypes))]
    public void Exception_HasTheStandardConstructors(Type type)
    {
        Assert.IsNotNull(type.GetConstructor(Type.EmptyTypes), $"{type.Name}()");
        Assert.IsNotNull(type.GetConstructor([typeof(string)]), $"{type.Name}(string)");
        Assert.IsNotNull(type.GetConstructor([typeof(string), typeof(Exception)]), $"{type.Name}(string, Exception)");
        var inner = new InvalidOperationException("cause");
        var e = (Exception)Activator.CreateInstance(type, "message", inner)!;
        Assert.AreEqual("message", e.Message);
        Assert.AreSame(inner, e.InnerException);
    }

    [TestMethod]
    public async Task PromptLargerThanTheCache_SaysTheCacheTotal_NotFreeBlocks_AndCarriesTheCounts()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { KvBlockSize = 4, KvCacheBlocks = 3 });

        var e = Assert.ThrowsExactly<KvCacheExhaustedException>(() => engine.GenerateAsync(Enumerable.Range(4, 20).ToArray()));

        Assert.AreEqual(6, e.RequestedBlocks);
        Assert.AreEqual(3, e.TotalBlocks);
        Assert.AreEqual(3, e.FreeBlocks);
        StringAssert.Contains(e.Message, "has 3 in all");
    }

    [TestMethod]
    public async Task PromptLongerThanTheContext_CarriesTokensAndLimit()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"));
        int limit = engine.Config.MaxPositionEmbeddings;

        var e = Assert.ThrowsExactly<ContextOverflowException>(() => engine.GenerateAsync(Enumerable.Repeat(5, limit).ToArray()));

        Assert.AreEqual(limit + 1, e.Tokens);
        Assert.AreEqual(limit, e.Limit);
    }
}
