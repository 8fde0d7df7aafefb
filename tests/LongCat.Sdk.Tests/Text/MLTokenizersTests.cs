using System.Buffers;
using MLTokenizer = Microsoft.ML.Tokenizers.Tokenizer;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The tokenizer where code expects a <see cref="MLTokenizer"/> (issue 15): ids, counts, tokens with offsets,
/// truncation by token count and the span decoder agree with the tokenizer's own Encode and Decode.</summary>
[TestClass]
public sealed class MLTokenizersTests
{
    private const string Text = "Hello, world! Tokenizers in .NET: 你好，世界 🙂 and 12345 numbers.";

    private static MLTokenizer Qwen => TokenizerFixtures.Get("qwen3");

    [TestMethod]
    public void EncodeToIds_AndCountTokens_AreEncode()
    {
        var tokenizer = TokenizerFixtures.Get("qwen3");
        MLTokenizer ml = tokenizer;

        CollectionAssert.AreEqual(tokenizer.Encode(Text), ml.EncodeToIds(Text).ToArray());
        CollectionAssert.AreEqual(tokenizer.Encode(Text), ml.EncodeToIds(Text.AsSpan()).ToArray());
        Assert.AreEqual(tokenizer.Encode(Text).Length, ml.CountTokens(Text));
    }

    [TestMethod]
    public void EncodeToTokens_ValuesSpellTheTextAndOffsetsPointAtThem()
    {
        var tokens = Qwen.EncodeToTokens(Text, out string? normalized);

        Assert.IsNull(normalized, "the text decodes back to itself");
        Assert.AreEqual(Text, string.Concat(tokens.Select(t => t.Value)));
        foreach (var t in tokens) Assert.AreEqual(t.Value, Text[t.Offset], $"token {t.Id}");
    }

    [TestMethod]
    public void GetIndexByTokenCount_CutsAtATokenBoundary()
    {
        var ids = Qwen.EncodeToIds(Text);

        int index = Qwen.GetIndexByTokenCount(Text, 5, out _, out int count);

        Assert.AreEqual(5, count);
        CollectionAssert.AreEqual(ids.Take(5).ToArray(), Qwen.EncodeToIds(Text[..index]).ToArray());
        var head = Qwen.EncodeToIds(Text, 5, out _, out int consumed);
        CollectionAssert.AreEqual(ids.Take(5).ToArray(), head.ToArray());
        Assert.AreEqual(index, consumed);
    }

    [TestMethod]
    public void Decode_IntoASpan_ReportsWhatFitAndTooSmall()
    {
        var ids = Qwen.EncodeToIds(Text);
        var buffer = new char[Text.Length];

        Assert.AreEqual(OperationStatus.Done, Qwen.Decode(ids, buffer, out int all, out int written));
        Assert.AreEqual(ids.Count, all);
        Assert.AreEqual(Text, new string(buffer, 0, written));

        var small = new char[10];
        Assert.AreEqual(OperationStatus.DestinationTooSmall, Qwen.Decode(ids, small, out int some, out int partial));
        Assert.AreEqual(Qwen.Decode(ids.Take(some)), new string(small, 0, partial));
        Assert.AreEqual(OperationStatus.InvalidData, Qwen.Decode([1, int.MaxValue], buffer, out _, out _));
        Assert.AreEqual(Text, Qwen.Decode(ids));
    }
}
