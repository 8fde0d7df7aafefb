namespace LongCat.Sdk.Structured;

/// <summary>
/// A Thompson automaton over bytes with ε-edges and rule calls, built from <see cref="GrammarExpr"/>s: the input of the subset
/// construction. Each use of a shared sub-expression is a fresh copy (nodes belong to exactly one rule).
/// </summary>
internal sealed class Nfa
{
    /// <summary>Nodes past this are a schema too large to compile (repeats are expanded, so maxLength 10⁶ would get here).</summary>
    public const int MaxNodes = 1_000_000;

    private readonly List<Node> _nodes = [];

    internal sealed class Node
    {
        public List<int>? Epsilon;
        public List<(ByteSet Set, int To)>? Bytes;
        public List<(int Rule, int To)>? Calls;
    }

    public int Count => _nodes.Count;
    public Node this[int node] => _nodes[node];

    public int NewNode()
    {
        if (_nodes.Count >= MaxNodes)
            throw new JsonSchemaException($"The grammar needs more than {MaxNodes} automaton nodes: simplify the schema (smaller maxLength, maxItems or repeat counts, fewer optional properties).");
        _nodes.Add(new Node());
        return _nodes.Count - 1;
    }

    public void Epsilon(int from, int to) => (_nodes[from].Epsilon ??= []).Add(to);

    /// <summary>Adds a copy of <paramref name="e"/> starting at node <paramref name="from"/>; returns its end node.</summary>
    public int Emit(GrammarExpr e, int from)
    {
        switch (e)
        {
            case GrammarExpr.ByteClass c:
            {
                int to = NewNode();
                if (!c.Set.IsEmpty) (_nodes[from].Bytes ??= []).Add((c.Set, to));
                return to;
            }
            case GrammarExpr.Seq s:
                foreach (var item in s.Items) from = Emit(item, from);
                return from;
            case GrammarExpr.Alt a:
            {
                int end = NewNode();
                foreach (var item in a.Items)
                {
                    int entry = NewNode();                   // its own entry: a loop in one branch must not reach another
                    Epsilon(from, entry);
                    Epsilon(Emit(item, entry), end);
                }
                return end;
            }
            case GrammarExpr.Rep r:
            {
                for (int i = 0; i < r.Min; i++) from = Emit(r.Item, from);
                if (r.Max < 0)
                {
                    int loop = NewNode();
                    Epsilon(from, loop);
                    int body = NewNode();
                    Epsilon(loop, body);
                    Epsilon(Emit(r.Item, body), loop);
                    return loop;
                }
                int end = NewNode();
                for (int i = r.Min; i < r.Max; i++)
                {
                    Epsilon(from, end);
                    from = Emit(r.Item, from);
                }
                Epsilon(from, end);
                return end;
            }
            case GrammarExpr.RuleCall call:
            {
                int to = NewNode();
                (_nodes[from].Calls ??= []).Add((call.Rule, to));
                return to;
            }
            case GrammarExpr.Members m:
                return EmitMembers(m, from);
            case GrammarExpr.Both both:
                return EmitIntersection(both, from);
            default:
                throw new InvalidOperationException($"Unknown grammar expression {e.GetType().Name}.");
        }
    }

    // Two chains of nodes: before item i with nothing written yet (head) and after something (tail); an optional item may be
    // skipped on either. The rest loops at the end of the tail.
    private int EmitMembers(GrammarExpr.Members m, int from)
    {
        int head = from, tail = -1;                              // tail: none before the first item
        for (int i = 0; i < m.Items.Length; i++)
        {
            int nextHead = NewNode(), nextTail = NewNode();
            Epsilon(Emit(m.Items[i], head), nextTail);
            if (tail >= 0) Epsilon(Emit(m.Items[i], Emit(m.Separator, tail)), nextTail);
            if (!m.Required[i])
            {
                Epsilon(head, nextHead);
                if (tail >= 0) Epsilon(tail, nextTail);
            }
            (head, tail) = (nextHead, nextTail);
        }
        if (tail < 0) tail = NewNode();
        if (m.Rest is { } rest)
        {
            int loop = NewNode();
            Epsilon(tail, loop);
            Epsilon(Emit(rest, head), loop);
            Epsilon(Emit(rest, Emit(m.Separator, loop)), loop);
            tail = loop;
        }
        int end = NewNode();
        Epsilon(head, end);
        Epsilon(tail, end);
        return end;
    }

    // The product of the two sides' DFAs, spliced in: product state (p, q) accepts where both do; states that cannot reach
    // acceptance are left out.
    private int EmitIntersection(GrammarExpr.Both both, int from)
    {
        var left = GrammarBuilder.CompileRegular(both.Left);
        var right = GrammarBuilder.CompileRegular(both.Right);
        var ids = new Dictionary<(int, int), int> { [(left.Start, right.Start)] = 0 };
        var pairs = new List<(int L, int R)> { (left.Start, right.Start) };
        var edges = new List<List<(ByteSet Set, int To)>>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var (l, r) = pairs[i];
            var byTarget = new Dictionary<int, ByteSet>();
            for (int b = 0; b < 256; b++)
            {
                int nl = left.NextState(l, (byte)b), nr = right.NextState(r, (byte)b);
                if (nl < 0 || nr < 0) continue;
                if (!ids.TryGetValue((nl, nr), out int target))
                {
                    target = ids[(nl, nr)] = pairs.Count;
                    pairs.Add((nl, nr));
                    if (pairs.Count > GrammarBuilder.MaxStates)
                        throw new JsonSchemaException($"The intersection of two string constraints (pattern, format, length) has more than {GrammarBuilder.MaxStates} states: simplify them.");
                }
                byTarget[target] = byTarget.GetValueOrDefault(target).Union(ByteSet.Of((byte)b));
            }
            edges.Add([.. byTarget.Select(kv => (kv.Value, kv.Key))]);
        }
        // Keep the states that reach an accepting pair.
        var live = new bool[pairs.Count];
        for (int i = 0; i < pairs.Count; i++) live[i] = left.Accepting[pairs[i].L] && right.Accepting[pairs[i].R];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = 0; i < pairs.Count; i++)
                if (!live[i] && edges[i].Any(e => live[e.To])) live[i] = changed = true;
        }
        int end = NewNode();
        if (!live[0]) return end;                                // nothing matches both: the end is unreachable
        var node = new int[pairs.Count];
        for (int i = 0; i < pairs.Count; i++) node[i] = live[i] ? NewNode() : -1;
        Epsilon(from, node[0]);
        for (int i = 0; i < pairs.Count; i++)
        {
            if (!live[i]) continue;
            foreach (var (set, to) in edges[i])
                if (live[to]) (_nodes[node[i]].Bytes ??= []).Add((set, node[to]));
            if (left.Accepting[pairs[i].L] && right.Accepting[pairs[i].R]) Epsilon(node[i], end);
        }
        return end;
    }
}
