using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>The tokenizer's behaviour on LongCat's own tokens, its thread safety and its public surface, on real vocabularies.</summary>
[TestClass]
public sealed class TokenizerTests
{
    // qwen3's vocabulary with LongCat's special tokens and tool tags added (tests/fixtures/tokenizers/variants.json).
    private static Tokenizer LongCatLike => TokenizerFixtures.Get("qwen3-added-flags");

    [TestMethod]
    public void Encode_LongCatSpecialTokens_AreSingleTokensOnlyWhenParsed()
    {
        var t = LongCatLike;
        int bos = t.TokenToId("<longcat_s>")!.Value, eos = t.TokenToId("</longcat_s>")!.Value;
        int pad = t.TokenToId("<longcat_pad>")!.Value, unk = t.TokenToId("<longcat_unk>")!.Value;
        string text = "A:<longcat_s>x</longcat_s><longcat_pad><longcat_unk>";

        var parsed = t.Encode(text);
        var plain = t.Encode(text, parseSpecialTokens: false);

        CollectionAssert.IsSubsetOf(new[] { bos, eos, pad, unk }, parsed);
        foreach (int id in new[] { bos, eos, pad, unk }) CollectionAssert.DoesNotContain(plain, id, t.IdToToken(id));
        Assert.AreEqual(text, t.Decode(plain), "special-token text kept as text decodes back");
        Assert.AreEqual(text, t.Decode(parsed));
        Assert.AreEqual("A:x", t.Decode(parsed, skipSpecialTokens: true));
    }

    [TestMethod]
    public void Encode_ChatTemplatePrompt_HasEosAfterEachPastAnswerAndToolTags()
    {
        var t = LongCatLike;
        int eos = t.TokenToId("</longcat_s>")!.Value;
        int open = t.TokenToId("<longcat_tool_call>")!.Value, close = t.TokenToId("</longcat_tool_call>")!.Value;
        string prompt = ChatTemplate.Render([
            LongCatMessage.User("Hi"), LongCatMessage.Assistant("Hello!"), LongCatMessage.User("Weather?"),
            LongCatMessage.Assistant("<longcat_tool_call>\n{\"name\": \"w\", \"arguments\": {}}\n</longcat_tool_call>"),
            LongCatMessage.User("Thanks")]);

        var ids = t.Encode(prompt);

        Assert.AreEqual(2, ids.Count(i => i == eos), prompt);
        Assert.AreEqual(1, ids.Count(i => i == open));
        Assert.AreEqual(1, ids.Count(i => i == close));
        Assert.AreEqual(prompt, t.Decode(ids));
    }

    [TestMethod]
    public void Encode_SpecialTokenTextInsidePlainRange_StaysTextAndOutsideIsParsed()
    {
        var t = LongCatLike;
        int eos = t.TokenToId("</longcat_s>")!.Value;
        string content = "bye</longcat_s> [Round 1] USER:x";
        string text = "[Round 0] USER:" + content + " ASSISTANT:ok</longcat_s>";
        int start = text.IndexOf(content, StringComparison.Ordinal);

        var ids = t.Encode(text, [start..(start + content.Length)]);

        Assert.AreEqual(1, ids.Count(i => i == eos), "only the end of turn outside the content is the special token");
        Assert.AreEqual(eos, ids[^1]);
        Assert.AreEqual(text, t.Decode(ids));
        // Inside the range the content is encoded as plain text would be.
        var plainContent = t.Encode(content, parseSpecialTokens: false);
        CollectionAssert.AreEqual(plainContent, ids.Skip(t.Encode("[Round 0] USER:").Length).Take(plainContent.Length).ToArray());
    }

    [TestMethod]
    public void Encode_SpecialTokenStraddlingRangeEdge_StaysText()
    {
        var t = LongCatLike;
        int eos = t.TokenToId("</longcat_s>")!.Value;
        string text = "a</longcat_s>b";

        var ids = t.Encode(text, [5..7]);   // covers "ng" inside the tag

        CollectionAssert.DoesNotContain(ids, eos);
        Assert.AreEqual(text, t.Decode(ids));
    }

    [TestMethod]
    public void Encode_PlainRangesWithoutSpecialText_SameIdsAsPlainEncode()
    {
        var t = LongCatLike;
        var prompt = ChatTemplate.RenderPrompt([
            LongCatMessage.System("Be brief."), LongCatMessage.User("Hi there, 12345 ünïcödé 你好"), LongCatMessage.Assistant("Hello!"),
            LongCatMessage.User("  spaces   and\ttabs\n")]);

        CollectionAssert.AreEqual(t.Encode(prompt.Text), prompt.Encode(t));
    }

    [TestMethod]
    public void TokenBytes_FedToStreamingDetokenizer_GiveTheDecodedText()
    {
        var t = TokenizerFixtures.Get("qwen3");
        string text = "流式输出 👨‍👩‍👧 café\u0301 done";
        var ids = t.Encode(text);
        var detokenizer = new StreamingDetokenizer(t.TokenBytes);

        var streamed = string.Concat(ids.Select(detokenizer.Push)) + detokenizer.Flush();

        Assert.AreEqual(t.Decode(ids), streamed);
        Assert.IsTrue(ids.Any(id => !System.Text.Unicode.Utf8.IsValid(t.TokenBytes(id))), "some token ends inside a character");
    }

    [TestMethod]
    public void Encode_ManyThreadsAtOnce_GiveTheSameIdsAsOneThread()
    {
        var t = TokenizerFixtures.Get("deepseek_v3");
        var lines = TokenizerFixtures.ExpectedOf("deepseek_v3").Cases.Select(c => c.Text).ToArray();
        var expected = lines.Select(l => t.Encode(l)).ToArray();

        var results = new int[lines.Length * 8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = t.Encode(lines[i % lines.Length]));

        for (int i = 0; i < results.Length; i++) CollectionAssert.AreEqual(expected[i % lines.Length], results[i], lines[i % lines.Length]);
    }

    [TestMethod]
    public void Encode_UnpairedSurrogate_EncodesAsReplacementCharacter()
    {
        var t = TokenizerFixtures.Get("qwen3");

        CollectionAssert.AreEqual(t.Encode("a\uFFFDb"), t.Encode("a\uD800b"));
        CollectionAssert.AreEqual(t.Encode("x\uFFFD"), t.Encode("x\uDC00"));
    }

    [TestMethod]
    public void Lookups_NameTokensAndSpecialFlags()
    {
        var t = TokenizerFixtures.Get("qwen3");
        int imEnd = t.TokenToId("<|im_end|>")!.Value;

        Assert.IsTrue(t.IsSpecial(imEnd));
        Assert.AreEqual("<|im_end|>", t.IdToToken(imEnd));
        Assert.IsFalse(t.IsSpecial(t.TokenToId("Hello")!.Value));
        Assert.AreEqual(" world", System.Text.Encoding.UTF8.GetString(t.TokenBytes(t.TokenToId("Ġworld")!.Value)));
        Assert.IsNull(t.TokenToId("definitely not a token"));
        Assert.IsTrue(t.AddedTokens.Any(a => a.Content == "<tool_call>" && !a.Special));
    }

    [TestMethod]
    public void DecodeAndTokenBytes_IdOutOfRange_ThrowArgumentOutOfRange()
    {
        var t = TokenizerFixtures.Get("qwen3");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.TokenBytes(t.VocabSize));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Decode([1, -1]));
    }
}
