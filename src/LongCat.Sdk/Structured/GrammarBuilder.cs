namespace LongCat.Sdk.Structured;

/// <summary>
/// Grammar rules (rule 0 the root) compiled to a <see cref="CompiledGrammar"/>: each rule's body becomes a Thompson automaton,
/// then a DFA by the subset construction (calls kept as edges, like terminals), then dead ends are pruned and first-byte sets
/// computed. Cost: linear in the automaton's size times its byte classes; capped at <see cref="MaxStates"/> states.
/// </summary>
internal sealed class GrammarBuilder
{
    /// <summary>DFA states past this are a schema too complex to compile.</summary>
    public const int MaxStates = 200_000;

    private readonly List<GrammarExpr?> _bodies = [];
    private readonly List<string> _names = [];

    /// <summary>A new rule, defined later; <paramref name="name"/> (a JSON pointer) names it in errors.</summary>
    public int NewRule(string name)
    {
        _bodies.Add(null);
        _names.Add(name);
        return _bodies.Count - 1;
    }

    public void Define(int rule, GrammarExpr body) => _bodies[rule] = body;

    /// <summary>A grammar with <paramref name="expr"/> as its only rule, which must call none.</summary>
    public static CompiledGrammar CompileRegular(GrammarExpr expr)
    {
        var builder = new GrammarBuilder();
        builder.Define(builder.NewRule("#"), expr);
        var grammar = builder.Build();
        if (grammar.Calls.Any(c => c.Length > 0)) throw new InvalidOperationException("A regular grammar expression calls a rule.");
        return grammar;
    }

    /// <exception cref="JsonSchemaException">A rule that reaches itself before consuming a byte (left recursion), or too many states.</exception>
    public CompiledGrammar Build()
    {
        var nfa = new Nfa();
        int rules = _bodies.Count;
        var starts = new int[rules];
        var ends = new int[rules];
        for (int r = 0; r < rules; r++)
        {
            starts[r] = nfa.NewNode();
            ends[r] = nfa.Emit(_bodies[r] ?? throw new InvalidOperationException($"Grammar rule {_names[r]} was never defined."), starts[r]);
        }
        return new SubsetConstruction(nfa, starts, ends, _names).Run();
    }
}
