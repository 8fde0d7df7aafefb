using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>The thinking budget and the answer's constraint after the reasoning, token by token, with rollbacks.</summary>
[TestClass]
public sealed class ReasoningConstraintTests
{
    private const int Open = 89, End = 90, Newline = 10;

    private static int[] Forced(TokenConstraint c) => [.. c.ForcedTokens()];

    // In the answer with nothing left to constrain: every token allowed but the think tags.
    private static void AssertAnswerFree(TokenConstraint c)
    {
        Assert.AreEqual(0, Forced(c).Length);
        var mask = new uint[4];
        Assert.IsTrue(c.FillNextTokenBitmask(mask));
        Assert.AreEqual(uint.MaxValue, mask[0]);
        Assert.AreEqual(~((1u << (Open % 32)) | (1u << (End % 32))), mask[Open / 32]);
    }

    [TestMethod]
    public void Budget_AfterThatManyTokens_TheClosingIsForced()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 3, answer: null);
        foreach (int t in new[] { 1, 2 }) { Assert.AreEqual(0, Forced(c).Length, "the model's tokens"); c.Accept(t); }

        CollectionAssert.AreEqual(new[] { Newline, End }, Forced(c));
        var mask = new uint[4];
        Assert.IsTrue(c.FillNextTokenBitmask(mask));
        Assert.AreEqual(1u << Newline, mask[0]);
        c.Accept(Newline);
        CollectionAssert.AreEqual(new[] { End }, Forced(c));
        c.Accept(End);
        AssertAnswerFree(c);
        Assert.AreEqual(3, c.ReasoningTokens, "the model's two and the forced line break");
    }

    /// <summary>An answer constraint that allows anything and needs <paramref name="need"/> more tokens to be complete.</summary>
    private sealed class NeedsTokens(int need) : TokenConstraint
    {
        public override bool IsComplete => false;
        public override IReadOnlyList<int> ForcedTokens() => [];
        public override bool FillNextTokenBitmask(Span<uint> bitmask) => false;
        public override int MinTokensToComplete => need;
        public override void Accept(int token) { }
        public override void Rollback(int tokens) { }
    }

    [TestMethod]
    public void MaxTokens_LeavesTheShortestAnswerRoom_TheClosingIsForcedInTime()
    {
        // An answer that needs 5 tokens (a required tool call) after the end tag: with 10 tokens left the model may reason
        // until 6 are left (the end tag and the 5), then the end tag is forced.
        var c = new ReasoningConstraint(Open, End, [Newline], budget: null, answer: new NeedsTokens(5));
        c.SetBudget(10);
        for (int left = 10; left > 6; left--)
        {
            Assert.AreEqual(0, Forced(c).Length, $"{left} tokens left: the model's token");
            c.Accept(1);
        }
        CollectionAssert.AreEqual(new[] { End }, Forced(c), "6 left: the end tag now, or the answer would not fit");

        // Rolled back (a rejected draft), the room is back and the model reasons again.
        c.Accept(End);
        c.Rollback(2);
        Assert.AreEqual(0, Forced(c).Length, "7 left after the rollback");
        c.Accept(1);
        CollectionAssert.AreEqual(new[] { End }, Forced(c));
    }

    [TestMethod]
    public void MaxTokens_WithAnAnswerThatNeedsNothing_LeavesTheReasoningFree()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: null, answer: new NeedsTokens(0));
        for (int left = 5; left > 0; left--)
        {
            c.SetBudget(left);
            Assert.AreEqual(0, Forced(c).Length, $"{left} tokens left");
            c.Accept(1);
        }
    }

    [TestMethod]
    public void Budget_TooSmallForTheLineBreak_OnlyTheEndTagIsForced()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 0, answer: null);
        CollectionAssert.AreEqual(new[] { End }, Forced(c));
        c.Accept(End);
        Assert.AreEqual(0, c.ReasoningTokens);
        AssertAnswerFree(c);
    }

    [TestMethod]
    public void NoBudget_TheModelClosesWhenItWants()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: null, answer: null);
        for (int i = 0; i < 1000; i++) c.Accept(5);
        Assert.AreEqual(0, Forced(c).Length);
        c.Accept(End);
        AssertAnswerFree(c);
    }

    [TestMethod]
    public void Budget_ModelClosesEarly_NothingForced()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 16, answer: null);
        c.Accept(1);
        c.Accept(End);
        AssertAnswerFree(c);
        Assert.AreEqual(0, Forced(c).Length);
    }

    [TestMethod]
    public void Answer_ConstraintSeesOnlyTheAnswersTokens()
    {
        var answer = new TokenTrieConstraint([[7, 8]]);
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 2, answer);
        Assert.IsFalse(c.FillNextTokenBitmask(new uint[4]), "reasoning is free");
        c.Accept(1);
        c.Accept(Newline);
        c.Accept(End);

        CollectionAssert.AreEqual(new[] { 7, 8 }, Forced(c), "the answer's forced opening follows the reasoning");
        c.Accept(7);
        c.Accept(8);
        AssertAnswerFree(c);
    }

    [TestMethod]
    public void Rollback_AcrossTheEndOfTheReasoning_RestoresEveryState()
    {
        var answer = new TokenTrieConstraint([[7, 8]]);
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 3, answer);
        foreach (int t in new[] { 1, 2, Newline, End, 7 }) c.Accept(t);

        c.Rollback(3);                                       // 7, End, Newline
        CollectionAssert.AreEqual(new[] { Newline, End }, Forced(c));
        Assert.AreEqual(2, c.ReasoningTokens);
        c.Rollback(1);                                       // 2
        Assert.AreEqual(0, Forced(c).Length, "under budget again");
        Assert.AreEqual(1, c.ReasoningTokens);
        foreach (int t in new[] { 3, Newline, End }) c.Accept(t);
        CollectionAssert.AreEqual(new[] { 7, 8 }, Forced(c), "the answer constraint was rolled back to its start");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.Rollback(100));
    }

    [TestMethod]
    public void Accept_AnotherTokenWhereTheClosingIsForced_Throws()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 1, answer: null);
        Assert.ThrowsExactly<InvalidOperationException>(() => c.Accept(5));
    }

    [TestMethod]
    public void Undecided_TheModelOpensTheBlock_TheBudgetCountsFromThere()
    {
        var c = new ReasoningConstraint(Open, End, [Newline], budget: 2, answer: null, startsInReasoning: false);
        Assert.AreEqual(0, Forced(c).Length);
        c.Accept(Open);
        c.Accept(5);
        CollectionAssert.AreEqual(new[] { Newline, End }, Forced(c));
        c.Rollback(2);
        Assert.AreEqual(0, Forced(c).Length, "undecided again");
        c.Accept(6);                                             // no open tag: the answer
        AssertAnswerFree(c);
    }

    [TestMethod]
    public void Undecided_AnswerConstraintMasksTheFirstTokenWithTheOpenTagAllowed()
    {
        var answer = new TokenTrieConstraint([[7, 8]]);
        var c = new ReasoningConstraint(Open, End, [Newline], budget: null, answer, startsInReasoning: false);
        var mask = new uint[4];

        Assert.AreEqual(0, Forced(c).Length, "the model may think first");
        Assert.IsTrue(c.FillNextTokenBitmask(mask));
        Assert.AreEqual(1u << 7, mask[0], "the answer's first token");
        Assert.AreEqual(1u << (Open % 32), mask[Open / 32], "and the open tag");
        c.Accept(7);
        CollectionAssert.AreEqual(new[] { 8 }, Forced(c), "the answer's constraint took the first token");
        c.Rollback(1);
        c.Accept(Open);
        c.Accept(End);
        CollectionAssert.AreEqual(new[] { 7, 8 }, Forced(c), "after the reasoning the answer's constraint starts afresh");
    }
}
