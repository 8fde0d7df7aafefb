using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Text;

/// <summary>Reasoning split from the answer, whole and streamed in every cut (LONGCAT-THINKING.md §4, §5).</summary>
[TestClass]
public sealed class ReasoningSplitterTests
{
    [TestMethod]
    [DataRow("I add them.\n</longcat_think>\nThe answer is 4.", true, "I add them.", "The answer is 4.")]
    [DataRow("<longcat_think>\nI add them.\n</longcat_think>\nFour.", false, "I add them.", "Four.")]
    [DataRow("  <longcat_think>x</longcat_think>y", false, "x", "y")]
    [DataRow("Just an answer.", false, "", "Just an answer.")]
    [DataRow("Still thinking about it\n", true, "Still thinking about it", "")]
    [DataRow("a </longcat_thin", true, "a </longcat_thin", "")]
    [DataRow("one\n\ntwo\n</longcat_think>\n\n<longcat_tool_call>f\n</longcat_tool_call>", true, "one\n\ntwo", "<longcat_tool_call>f\n</longcat_tool_call>")]
    [DataRow("The answer mentions </longcat_think> as text.", false, "", "The answer mentions </longcat_think> as text.")]
    [DataRow("r\n</longcat_think>\nA <longcat_think> later stays text.", true, "r", "A <longcat_think> later stays text.")]
    [DataRow("<longcat_th", false, "", "<longcat_th")]
    public void Split_WholeAndEveryTwoPieceStream_Agree(string output, bool startInReasoning, string reasoning, string answer)
    {
        Assert.AreEqual((reasoning, answer), ReasoningSplitter.Split(output, startInReasoning));
        for (int cut = 0; cut <= output.Length; cut++)
        {
            var s = new ReasoningSplitter(startInReasoning);
            var (r1, a1) = s.Push(output[..cut]);
            var (r2, a2) = s.Push(output[cut..]);
            var (r3, a3) = s.Flush();
            Assert.AreEqual(reasoning, r1 + r2 + r3, $"reasoning, cut at {cut}");
            Assert.AreEqual(answer, a1 + a2 + a3, $"answer, cut at {cut}");
        }
    }

    [TestMethod]
    public void Push_CharacterByCharacter_NeverShowsTagText()
    {
        const string output = "Let me think.\n</longcat_think>\nDone.";
        var s = new ReasoningSplitter(startInReasoning: true);
        var shown = new List<string>();
        foreach (char c in output)
        {
            var (r, a) = s.Push(c.ToString());
            shown.Add(r);
            shown.Add(a);
        }
        Assert.IsFalse(shown.Any(t => t.Contains('<')), "no piece of the tag is ever emitted");
        Assert.IsTrue(s.Flush() is ("", ""), "nothing left after the answer streamed");
    }

    [TestMethod]
    public void Push_ReasoningStreamsBeforeTheCloseTagArrives()
    {
        var s = new ReasoningSplitter(startInReasoning: true);

        var (reasoning, answer) = s.Push("First I read the question, ");

        Assert.AreEqual("First I read the question,", reasoning, "only the trailing space is held back");
        Assert.AreEqual("", answer);
        Assert.IsTrue(s.InReasoning);
    }
}
