using System.Runtime.InteropServices;

namespace LongCat.Sdk.Structured;

/// <summary>
/// The subset construction of <see cref="GrammarBuilder"/>: NFA node sets become DFA states per rule, over byte classes (bytes
/// no edge tells apart share a class); calls stay edges, grouped by callee. Then the states that cannot reach acceptance are
/// pruned, first-byte sets computed, and left recursion refused.
/// </summary>
internal sealed class SubsetConstruction(Nfa nfa, int[] starts, int[] ends, List<string> names)
{
    private readonly Dictionary<int[], int> _ids = new(new SetComparer());
    private readonly List<int[]> _sets = [];
    private readonly List<int> _rule = [];
    private readonly byte[] _classOf = new byte[256];
    private readonly Dictionary<ByteSet, int[]> _classesOf = [];
    private int _classes;
    private int[] _stamp = [];
    private int _generation;
    private bool[] _important = [];                          // nodes with byte or call edges, and rule ends

    public CompiledGrammar Run()
    {
        ComputeClasses();
        _stamp = new int[nfa.Count];
        _important = new bool[nfa.Count];
        for (int n = 0; n < nfa.Count; n++) _important[n] = nfa[n].Bytes is not null || nfa[n].Calls is not null;
        foreach (int end in ends) _important[end] = true;
        int rules = starts.Length;
        var startState = new int[rules];
        for (int r = 0; r < rules; r++) startState[r] = Intern(Closure([starts[r]]), r);

        var next = new List<int[]>();
        var calls = new List<CompiledGrammar.CallEdge[]>();
        var perClass = new List<int>[_classes];
        for (int c = 0; c < _classes; c++) perClass[c] = [];
        var touched = new List<int>();
        var callTargets = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < _sets.Count; i++)
        {
            int rule = _rule[i];
            foreach (int n in _sets[i])
            {
                var node = nfa[n];
                if (node.Bytes is { } edges)
                    foreach (var (set, to) in edges)
                        foreach (int c in _classesOf[set])
                        {
                            if (perClass[c].Count == 0) touched.Add(c);
                            perClass[c].Add(to);
                        }
                if (node.Calls is { } callEdges)
                    foreach (var (callee, to) in callEdges)
                    {
                        if (!callTargets.TryGetValue(callee, out var list)) callTargets[callee] = list = [];
                        list.Add(to);
                    }
            }
            var row = new int[_classes];
            Array.Fill(row, -1);
            foreach (int c in touched)
            {
                row[c] = Intern(Closure(perClass[c]), rule);
                perClass[c].Clear();
            }
            touched.Clear();
            next.Add(row);
            calls.Add([.. callTargets.Select(kv => new CompiledGrammar.CallEdge(startState[kv.Key], Intern(Closure(kv.Value), rule)))]);
            callTargets.Clear();
        }

        int states = _sets.Count;
        var accepting = new bool[states];
        for (int s = 0; s < states; s++) accepting[s] = Array.BinarySearch(_sets[s], ends[_rule[s]]) >= 0;
        var productive = Prune(accepting, next, calls);
        var flat = new int[states * _classes];
        for (int s = 0; s < states; s++) next[s].CopyTo(flat, s * _classes);
        var first = FirstBytes(next, calls);
        CheckCalledRules(startState, accepting, calls);
        var afterReturn = AfterReturn(startState, accepting, calls, first);
        return new CompiledGrammar(_classes, _classOf, flat, accepting, [.. calls], first, afterReturn, startState[0], !productive[startState[0]]);
    }

    // Bytes that no edge tells apart share a class: refine the one-class partition by every edge's set.
    private void ComputeClasses()
    {
        var sets = new HashSet<ByteSet>();
        for (int n = 0; n < nfa.Count; n++)
            if (nfa[n].Bytes is { } edges)
                foreach (var (set, _) in edges) sets.Add(set);
        var cls = new int[256];
        int count = 1;
        var map = new int[512];
        foreach (var set in sets)
        {
            Array.Fill(map, -1, 0, count * 2);
            int fresh = 0;
            for (int b = 0; b < 256; b++)
            {
                int key = cls[b] * 2 + (set.Contains((byte)b) ? 1 : 0);
                if (map[key] < 0) map[key] = fresh++;
                cls[b] = map[key];
            }
            count = fresh;
        }
        _classes = count;
        for (int b = 0; b < 256; b++) _classOf[b] = (byte)cls[b];
        foreach (var set in sets) _classesOf[set] = [.. set.Bytes().Select(b => (int)_classOf[b]).Distinct()];
    }

    // The ε-closure, less the nodes with only ε-edges: they add nothing past their closure, and leaving them out makes the
    // states after equivalent alternatives (UTF-8 lead bytes of one length, escapes) one state instead of one per alternative.
    private int[] Closure(List<int> seeds)
    {
        _generation++;
        var result = new List<int>();
        var stack = new Stack<int>();
        foreach (int s in seeds)
            if (_stamp[s] != _generation) { _stamp[s] = _generation; stack.Push(s); }
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            if (_important[n]) result.Add(n);
            if (nfa[n].Epsilon is { } eps)
                foreach (int m in eps)
                    if (_stamp[m] != _generation) { _stamp[m] = _generation; stack.Push(m); }
        }
        result.Sort();
        return [.. result];
    }

    private int Intern(int[] set, int rule)
    {
        if (_ids.TryGetValue(set, out int id)) return id;
        if (_sets.Count >= GrammarBuilder.MaxStates)
            throw new JsonSchemaException($"The grammar has more than {GrammarBuilder.MaxStates} automaton states: simplify the schema (smaller maxLength or maxItems, fewer optional properties, simpler patterns).");
        _ids[set] = id = _sets.Count;
        _sets.Add(set);
        _rule.Add(rule);
        return id;
    }

    // Keeps only what can still reach acceptance; returns which states can.
    private static bool[] Prune(bool[] accepting, List<int[]> next, List<CompiledGrammar.CallEdge[]> calls)
    {
        int states = accepting.Length;
        var productive = (bool[])accepting.Clone();
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int s = 0; s < states; s++)
            {
                if (productive[s]) continue;
                if (next[s].Any(t => t >= 0 && productive[t]) || calls[s].Any(c => productive[c.Start] && productive[c.Return]))
                    productive[s] = changed = true;
            }
        }
        for (int s = 0; s < states; s++)
        {
            var row = next[s];
            for (int c = 0; c < row.Length; c++)
                if (row[c] >= 0 && !productive[row[c]]) row[c] = -1;
            if (calls[s].Any(c => !productive[c.Start] || !productive[c.Return]))
                calls[s] = [.. calls[s].Where(c => productive[c.Start] && productive[c.Return])];
        }
        return productive;
    }

    private ByteSet[] FirstBytes(List<int[]> next, List<CompiledGrammar.CallEdge[]> calls)
    {
        var classBytes = new ByteSet[_classes];
        for (int b = 0; b < 256; b++) classBytes[_classOf[b]] = classBytes[_classOf[b]].Union(ByteSet.Of((byte)b));
        var first = new ByteSet[next.Count];
        for (int s = 0; s < next.Count; s++)
            for (int c = 0; c < _classes; c++)
                if (next[s][c] >= 0) first[s] = first[s].Union(classBytes[c]);
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int s = 0; s < next.Count; s++)
                foreach (var call in calls[s])
                {
                    var merged = first[s].Union(first[call.Start]);
                    if (merged != first[s]) { first[s] = merged; changed = true; }
                }
        }
        return first;
    }

    // Per state, the bytes that may follow a return from its rule in some caller (none after the root): a token that leaves the
    // rule on any other byte is rejected without looking at the caller.
    private ByteSet[] AfterReturn(int[] startState, bool[] accepting, List<CompiledGrammar.CallEdge[]> calls, ByteSet[] first)
    {
        var ruleOfStart = new Dictionary<int, int>();
        for (int r = 0; r < startState.Length; r++) ruleOfStart.TryAdd(startState[r], r);
        var follow = new ByteSet[startState.Length];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int s = 0; s < calls.Count; s++)
                foreach (var call in calls[s])
                {
                    int callee = ruleOfStart[call.Start];
                    var after = first[call.Return];
                    if (accepting[call.Return]) after = after.Union(follow[_rule[s]]);
                    var merged = follow[callee].Union(after);
                    if (merged != follow[callee]) { follow[callee] = merged; changed = true; }
                }
        }
        var result = new ByteSet[calls.Count];
        for (int s = 0; s < result.Length; s++) result[s] = follow[_rule[s]];
        return result;
    }

    // A byte step recurses through the start states of called rules: a cycle there, or a called rule that matches the empty
    // string, would never end.
    private void CheckCalledRules(int[] startState, bool[] accepting, List<CompiledGrammar.CallEdge[]> calls)
    {
        var ruleOfStart = new Dictionary<int, int>();
        for (int r = 0; r < startState.Length; r++) ruleOfStart.TryAdd(startState[r], r);
        foreach (var call in calls.SelectMany(c => c))
            if (accepting[call.Start])
                throw new InvalidOperationException($"Grammar rule {names[ruleOfStart[call.Start]]} is called but matches the empty string.");
        var color = new byte[startState.Length];             // 0 unseen, 1 on the path, 2 done
        for (int r = 0; r < startState.Length; r++) Visit(r);

        void Visit(int r)
        {
            if (color[r] == 2) return;
            if (color[r] == 1)
                throw new JsonSchemaException(names[r], "$ref", "the reference reaches itself before any text is written (left recursion); put the recursion inside an object or array.");
            color[r] = 1;
            foreach (var call in calls[startState[r]]) Visit(ruleOfStart[call.Start]);
            color[r] = 2;
        }
    }

    private sealed class SetComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] set)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(set.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
