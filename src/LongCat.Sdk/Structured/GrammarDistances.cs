namespace LongCat.Sdk.Structured;

/// <summary>
/// How far a <see cref="CompiledGrammar"/>'s output is from its end: per state, the fewest bytes that reach an accepting state
/// of its rule, a call costing the callee's shortest match (so a rule's start state holds the rule's shortest length); per
/// thread, that plus the distance of every return state on its stack (<see cref="ToEnd"/>). Immutable; one per grammar
/// (<see cref="CompiledGrammar.Distances"/>).
/// </summary>
/// <remarks>
/// Knuth's generalization of Dijkstra to grammars: a state is final when popped, and a call edge is relaxed once both its
/// callee's start and its return state are final (its cost, their sum, is never below either). Cost: O((states × classes +
/// calls) log states), plus one byte step per (state, first byte) for <see cref="MaxRise"/>.
/// </remarks>
internal sealed class GrammarDistances
{
    /// <summary>The distance of a state that cannot reach acceptance (the builder prunes those: a guard, never summed past).</summary>
    public const int Unreachable = int.MaxValue / 4;

    private readonly int[] _distance;

    public GrammarDistances(CompiledGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        _distance = Shortest(grammar);
        MaxRise = Rise(grammar);
    }

    /// <summary>The fewest bytes from <paramref name="state"/> to the end of its rule.</summary>
    public int this[int state] => _distance[state];

    /// <summary>
    /// The most one byte can raise a thread's <see cref="ToEnd"/> (entering a structure where a shorter way out existed, an
    /// escape in a string); at least 0. A token of k bytes raises it by at most k × this along any of its threads.
    /// </summary>
    public int MaxRise { get; }

    /// <summary>The fewest bytes that finish the whole value from <paramref name="t"/>: its state's rule, then each caller's.</summary>
    /// <remarks>Walks the stack: O(depth).</remarks>
    public int ToEnd(GrammarThread t, GrammarStacks stacks)
    {
        long sum = _distance[t.State];
        for (int stack = t.Stack; stack != 0 && sum < Unreachable; stack = stacks.Parent(stack)) sum += _distance[stacks.Return(stack)];
        return (int)Math.Min(sum, Unreachable);
    }

    private static int[] Shortest(CompiledGrammar g)
    {
        int n = g.StateCount;
        var byteFrom = new List<int>?[n];                    // state -> the states one byte before it
        var byStart = new List<(int Caller, int Other)>?[n]; // callee start -> (caller, return state)
        var byReturn = new List<(int Caller, int Other)>?[n]; // return state -> (caller, callee start)
        for (int s = 0; s < n; s++)
        {
            for (int c = 0; c < g.ClassCount; c++)
            {
                int next = g.Next[s * g.ClassCount + c];
                if (next < 0) continue;
                var list = byteFrom[next] ??= [];
                if (list.Count == 0 || list[^1] != s) list.Add(s);
            }
            foreach (var call in g.Calls[s])
            {
                (byStart[call.Start] ??= []).Add((s, call.Return));
                (byReturn[call.Return] ??= []).Add((s, call.Start));
            }
        }

        var d = new int[n];
        var final = new bool[n];
        var queue = new PriorityQueue<int, int>();
        Array.Fill(d, Unreachable);
        for (int s = 0; s < n; s++)
            if (g.Accepting[s])
            {
                d[s] = 0;
                queue.Enqueue(s, 0);
            }
        while (queue.TryDequeue(out int s, out int ds))
        {
            if (final[s] || ds != d[s]) continue;
            final[s] = true;
            foreach (int p in byteFrom[s] ?? []) Relax(p, ds + 1);
            foreach (var (p, ret) in byStart[s] ?? []) if (final[ret]) Relax(p, ds + d[ret]);
            foreach (var (p, start) in byReturn[s] ?? []) if (final[start]) Relax(p, d[start] + ds);
        }
        return d;

        void Relax(int state, int distance)
        {
            if (final[state] || distance >= d[state]) return;
            d[state] = distance;
            queue.Enqueue(state, distance);
        }
    }

    // Every thread one byte from (state, empty stack) takes, within the state's rule and its callees: its distance less the state's.
    // A return takes the byte in the caller's state, whose own row covers it.
    private int Rise(CompiledGrammar g)
    {
        var stacks = new GrammarStacks();
        var matcher = new GrammarMatcher(g, stacks);
        var after = new ThreadBuffer();
        int rise = 0;
        for (int s = 0; s < g.StateCount; s++)
        {
            if (_distance[s] >= Unreachable) continue;
            GrammarThread[] from = [new GrammarThread(s, 0)];
            foreach (byte b in g.First[s].Bytes())
            {
                int mark = stacks.Mark;
                after.Count = 0;
                matcher.Step(from, b, after);
                for (int i = 0; i < after.Count; i++)
                    if (ToEnd(after.Items[i], stacks) is var d and < Unreachable) rise = Math.Max(rise, d - _distance[s]);
                stacks.Release(mark);
            }
        }
        return rise;
    }
}
