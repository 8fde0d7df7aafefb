using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary><see cref="TokenConstraint.Mask"/> sets exactly the logits whose bit is clear to −∞ (words all set, all clear and mixed).</summary>
[TestClass]
public sealed class TokenConstraintMaskTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(31)]
    [DataRow(32)]
    [DataRow(1000)]
    [DataRow(131_072)]
    public void Mask_RandomWords_MatchesBitByBit(int vocab)
    {
        var rng = new Random(vocab);
        var mask = new uint[TokenConstraint.BitmaskWords(vocab)];
        for (int w = 0; w < mask.Length; w++)
            mask[w] = rng.Next(3) switch { 0 => 0u, 1 => uint.MaxValue, _ => (uint)rng.NextInt64(0, 1L << 32) };
        var logits = Enumerable.Range(0, vocab).Select(_ => (float)rng.NextDouble()).ToArray();
        var expected = logits.Select((x, v) => (mask[v / 32] & (1u << (v % 32))) != 0 ? x : float.NegativeInfinity).ToArray();

        TokenConstraint.Mask(logits, mask);

        CollectionAssert.AreEqual(expected, logits);
    }
}
