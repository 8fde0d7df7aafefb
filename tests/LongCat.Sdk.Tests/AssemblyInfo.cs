// Test classes over the SDK's internals (weight formats, backends) are internal themselves: their data rows name internal types.
[assembly: DiscoverInternals]

namespace LongCat.Sdk.Tests
{
    /// <summary>What the whole test run shares.</summary>
    [TestClass]
    public static class TestRun
    {
        [AssemblyCleanup]
        public static Task CleanupAsync() => TestModels.DisposeSharedDemoAsync();
    }
}
