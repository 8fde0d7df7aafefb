using LongCat.Sdk.Evaluation;

namespace LongCat.Sdk.Tests.Evaluation;

/// <summary>The perplexity tool's windows: every token but the first scored once, with at least half a window of context after the first.</summary>
[TestClass]
public sealed class PerplexityWindowsTests
{
    [TestMethod]
    public void Windows_TenTokensContextFour_StrideTwo()
    {
        var windows = PerplexityEvaluator.Windows(10, 4).ToArray();

        CollectionAssert.AreEqual(new[] { (0, 4, 1), (2, 6, 4), (4, 8, 6), (6, 10, 8) }, windows);
    }

    [TestMethod]
    [DataRow(2, 2)]
    [DataRow(5, 512)]
    [DataRow(513, 512)]
    [DataRow(1000, 7)]
    [DataRow(8405, 512)]
    [DataRow(100, 3)]
    public void Windows_ScoreEveryTargetOnce_WithHalfAWindowOfContextAfterTheFirst(int tokens, int context)
    {
        var scored = new int[tokens];

        var windows = PerplexityEvaluator.Windows(tokens, context).ToArray();

        for (int w = 0; w < windows.Length; w++)
        {
            var (start, end, first) = windows[w];
            Assert.IsTrue(start >= 0 && end <= tokens && end - start <= context && first > start, $"window {w}: {windows[w]}");
            if (w > 0) Assert.IsTrue(first - start >= context - context / 2, $"window {w} {windows[w]}: context before its first target");
            for (int t = first; t < end; t++) scored[t]++;
        }
        Assert.AreEqual(0, scored[0], "the first token has no prediction");
        Assert.IsTrue(scored.Skip(1).All(n => n == 1), "every other token scored once");
    }
}
