using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>Stop strings that span deltas: held back while they may match, never emitted once matched.</summary>
[TestClass]
public sealed class StopSequenceMatcherTests
{
    [TestMethod]
    public void Push_StopSplitAcrossThreeDeltas_IsNeverEmittedAndTextBeforeItIs()
    {
        var matcher = new StopSequenceMatcher(["</end>"]);

        var r1 = matcher.Push("Hello </");
        var r2 = matcher.Push("en");
        var r3 = matcher.Push("d> trailing text");

        Assert.AreEqual(new StopMatchResult("Hello ", false, null), r1);
        Assert.AreEqual(new StopMatchResult("", false, null), r2);
        Assert.AreEqual(new StopMatchResult("", true, "</end>"), r3);
        Assert.IsTrue(matcher.IsStopped);
        Assert.AreEqual("", matcher.Flush());
    }

    [TestMethod]
    public void Push_HeldPrefixThatStopsMatching_IsReleased()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);

        Assert.AreEqual("abc ", matcher.Push("abc ST").Text);
        Assert.AreEqual("START", matcher.Push("ART").Text);
        Assert.IsFalse(matcher.IsStopped);
    }

    [TestMethod]
    public void Push_StopInsideOneDelta_EmitsOnlyTheTextBeforeIt()
    {
        var matcher = new StopSequenceMatcher(["\n\nUser:", "STOP"]);

        var result = matcher.Push("answer STOP more \n\nUser:");

        Assert.AreEqual(new StopMatchResult("answer ", true, "STOP"), result);
    }

    [TestMethod]
    public void Push_AfterStop_ReturnsNoText()
    {
        var matcher = new StopSequenceMatcher(["x"]);
        matcher.Push("ax");

        Assert.AreEqual(new StopMatchResult("", true, "x"), matcher.Push("more"));
    }

    [TestMethod]
    public void Flush_HeldPrefixAtEndOfStream_IsReleased()
    {
        var matcher = new StopSequenceMatcher(["<|end|>"]);

        Assert.AreEqual("done ", matcher.Push("done <|en").Text);
        Assert.AreEqual("<|en", matcher.Flush());
    }

    [TestMethod]
    public void Push_OverlappingStops_FirstToCompleteWinsWhateverTheSplit()
    {
        string[] stops = ["bcd", "c", "abcx"];
        const string text = "zabcd";

        var whole = new StopSequenceMatcher(stops).Push(text);
        var byChar = new StopSequenceMatcher(stops);
        string emitted = "";
        StopMatchResult last = default;
        foreach (char c in text)
        {
            last = byChar.Push(c.ToString());
            emitted += last.Text;
            if (last.Stopped) break;
        }

        Assert.AreEqual(new StopMatchResult("zab", true, "c"), whole);
        Assert.AreEqual("zab", emitted);
        Assert.AreEqual("c", last.MatchedStop);
    }

    [TestMethod]
    public void Push_StopsEndingTogether_TheLongerOneWins()
    {
        var result = new StopSequenceMatcher(["b", "ab"]).Push("xab");

        Assert.AreEqual(new StopMatchResult("x", true, "ab"), result);
    }

    [TestMethod]
    public void Push_NoStops_PassesTextThrough()
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.AreEqual(new StopMatchResult("any <text", false, null), matcher.Push("any <text"));
    }

    [TestMethod]
    public void Constructor_EmptyStop_Throws()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new StopSequenceMatcher(["ok", ""]));

        Assert.AreEqual("stopSequences", ex.ParamName);
    }
}
