using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Token bytes to text without ever emitting half a UTF-8 character.</summary>
[TestClass]
public sealed class StreamingDetokenizerTests
{
    private static StreamingDetokenizer Over(params byte[][] tokens) => new(id => tokens[id]);

    [TestMethod]
    public void Push_EuroSplitOverThreeTokens_EmitsItOnlyWhenComplete()
    {
        // "€" = E2 82 AC
        var detok = Over("a"u8.ToArray(), [0xE2], [0x82], [0xAC, (byte)'b']);

        CollectionAssert.AreEqual(new[] { "a", "", "", "€b" }, new[] { detok.Push(0), detok.Push(1), detok.Push(2), detok.Push(3) });
        Assert.AreEqual("", detok.Flush());
    }

    [TestMethod]
    public void Push_EmojiSplitOverTwoTokens_EmitsWholeSurrogatePair()
    {
        // U+1F600 = F0 9F 98 80
        var detok = Over([(byte)'x', 0xF0, 0x9F], [0x98, 0x80, (byte)'!']);

        Assert.AreEqual("x", detok.Push(0));
        Assert.AreEqual("\U0001F600!", detok.Push(1));
    }

    [TestMethod]
    public void Push_EmojiSplitOverThreeTokens_HoldsUntilTheLastByte()
    {
        var detok = Over([0xF0], [0x9F, 0x98], [0x80]);

        Assert.AreEqual("", detok.Push(0));
        Assert.AreEqual("", detok.Push(1));
        Assert.AreEqual("\U0001F600", detok.Push(2));
    }

    [TestMethod]
    public void Push_SequenceBrokenByAsciiByte_BecomesOneReplacementThenTheByte()
    {
        var detok = Over([0xE2, 0x82], "A"u8.ToArray());

        Assert.AreEqual("", detok.Push(0), "E2 82 could still complete");
        Assert.AreEqual("\uFFFDA", detok.Push(1));
    }

    [TestMethod]
    public void Push_StrayContinuationByte_IsReplacedAtOnce()
    {
        var detok = Over([0x80, (byte)'z']);

        Assert.AreEqual("\uFFFDz", detok.Push(0));
    }

    [TestMethod]
    public void Flush_IncompleteTail_BecomesOneReplacementAndResets()
    {
        var detok = Over([0xE2, 0x82], "ok"u8.ToArray());

        Assert.AreEqual("", detok.Push(0));
        Assert.AreEqual("\uFFFD", detok.Flush());
        Assert.AreEqual("ok", detok.Push(1));
    }

    [TestMethod]
    public void Push_ManyTokens_ConcatenationEqualsDecodingAllBytes()
    {
        byte[] all = System.Text.Encoding.UTF8.GetBytes("héllo wörld € 😀 中文 — done");
        var tokens = new List<byte[]>();
        var random = new Random(7);
        for (int pos = 0; pos < all.Length;)
        {
            int length = Math.Min(all.Length - pos, 1 + random.Next(3));
            tokens.Add(all[pos..(pos + length)]);
            pos += length;
        }
        var detok = Over([.. tokens]);

        string text = string.Concat(Enumerable.Range(0, tokens.Count).Select(detok.Push)) + detok.Flush();

        Assert.AreEqual("héllo wörld € 😀 中文 — done", text);
    }
}
