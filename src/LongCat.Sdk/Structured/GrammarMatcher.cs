namespace LongCat.Sdk.Structured;

/// <summary>
/// Steps sets of <see cref="GrammarThread"/>s of one <see cref="CompiledGrammar"/> over bytes: a thread takes the byte by its
/// state's transition, by entering a called rule whose first bytes hold it, or by returning from an accepting state and
/// taking it in the caller. Several threads are alive where the grammar is ambiguous (anyOf branches with a common prefix).
/// </summary>
internal sealed class GrammarMatcher(CompiledGrammar grammar, GrammarStacks stacks)
{
    public CompiledGrammar Grammar => grammar;
    public GrammarStacks Stacks => stacks;

    /// <summary>
    /// Appends to <paramref name="to"/> (distinct from its <see cref="ThreadBuffer.Count"/> on) the threads after <paramref name="b"/>.
    /// Returns whether a thread would have to return past the bottom of its stack to take it while some caller of its rule
    /// could take it: with stacks relative to an unknown context (a cached mask's walk) the byte is then possible.
    /// </summary>
    public bool Step(ReadOnlySpan<GrammarThread> from, byte b, ThreadBuffer to)
    {
        int start = to.Count;
        bool pastBottom = false;
        foreach (var t in from) StepThread(t.State, t.Stack, b, to, start, ref pastBottom);
        return pastBottom;
    }

    private void StepThread(int state, int stack, byte b, ThreadBuffer to, int start, ref bool pastBottom)
    {
        var g = grammar;
        int next = g.Next[state * g.ClassCount + g.ClassOf[b]];
        if (next >= 0) to.AddDistinct(new GrammarThread(next, stack), start);
        foreach (var call in g.Calls[state])
            if (g.First[call.Start].Contains(b)) StepThread(call.Start, stacks.Push(stack, call.Return), b, to, start, ref pastBottom);
        if (!g.Accepting[state]) return;
        if (stack != 0) StepThread(stacks.Return(stack), stacks.Parent(stack), b, to, start, ref pastBottom);
        else if (g.AfterReturn[state].Contains(b)) pastBottom = true;
    }

    /// <summary>
    /// Appends to <paramref name="to"/> the threads after all of <paramref name="bytes"/> from <paramref name="from"/> and returns
    /// where they start in it (none: the bytes are rejected). The buffer is reused from index 0.
    /// </summary>
    public int StepAll(ReadOnlySpan<GrammarThread> from, ReadOnlySpan<byte> bytes, ThreadBuffer to)
    {
        to.Count = 0;
        foreach (var t in from) to.AddDistinct(t, 0);
        int start = 0;
        foreach (byte b in bytes)
        {
            int end = to.Count;
            Step(to.Slice(start, end), b, to);
            start = end;
            if (to.Count == start) break;
        }
        return start;
    }

    /// <summary>Whether <paramref name="text"/> is a whole output of <paramref name="grammar"/> (a literal checked at compile time).</summary>
    public static bool Matches(CompiledGrammar grammar, ReadOnlySpan<byte> text)
    {
        var matcher = new GrammarMatcher(grammar, new GrammarStacks());
        var buffer = new ThreadBuffer();
        int start = matcher.StepAll([new GrammarThread(grammar.Start, 0)], text, buffer);
        for (int i = start; i < buffer.Count; i++)
            if (matcher.CanFinish(buffer.Items[i])) return true;
        return false;
    }

    /// <summary>Whether the output may end here: the thread's rule and every rule on its stack can return.</summary>
    public bool CanFinish(GrammarThread t)
    {
        int state = t.State, stack = t.Stack;
        while (grammar.Accepting[state])
        {
            if (stack == 0) return true;
            state = stacks.Return(stack);
            stack = stacks.Parent(stack);
        }
        return false;
    }
}
