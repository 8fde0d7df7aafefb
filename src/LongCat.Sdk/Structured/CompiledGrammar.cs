namespace LongCat.Sdk.Structured;

/// <summary>
/// A pushdown automaton over UTF-8 bytes: one DFA per grammar rule (states numbered together), whose states may also call a
/// rule (push the state to return to, enter the callee's start) and, where accepting, return (pop). Immutable and shared by
/// every constraint compiled from the same schema. Built by <see cref="GrammarBuilder"/>; stepped by <see cref="GrammarMatcher"/>.
/// </summary>
/// <remarks>
/// Invariants the builder guarantees: every state with a transition or call can still reach acceptance (dead ends are pruned);
/// no called rule matches the empty string and no rule reaches itself through the start states of the rules it calls (so a
/// byte step always terminates); <see cref="First"/> holds exactly the bytes a state can take without returning.
/// </remarks>
internal sealed class CompiledGrammar
{
    /// <summary>A call: enter the rule whose start state is <see cref="Start"/>, and continue at <see cref="Return"/> when it returns.</summary>
    internal readonly record struct CallEdge(int Start, int Return);

    public CompiledGrammar(int classCount, byte[] classOf, int[] next, bool[] accepting, CallEdge[][] calls, ByteSet[] first, ByteSet[] afterReturn,
        int start, bool matchesNothing)
    {
        ClassCount = classCount;
        ClassOf = classOf;
        Next = next;
        Accepting = accepting;
        Calls = calls;
        First = first;
        AfterReturn = afterReturn;
        Start = start;
        MatchesNothing = matchesNothing;
        Plain = new bool[accepting.Length];
        for (int state = 0; state < Plain.Length; state++) Plain[state] = !accepting[state] && calls[state].Length == 0;
    }

    public int StateCount => Accepting.Length;

    /// <summary>Bytes with the same transitions everywhere share a class: <see cref="Next"/> is [state, class].</summary>
    public int ClassCount { get; }
    public byte[] ClassOf { get; }

    /// <summary>[StateCount × ClassCount]: the state after a byte of the class, −1 where the byte is not allowed.</summary>
    public int[] Next { get; }

    /// <summary>Where the state's rule may end (return to its caller, or finish the value at the root).</summary>
    public bool[] Accepting { get; }

    /// <summary>The rules each state may call next.</summary>
    public CallEdge[][] Calls { get; }

    /// <summary>The bytes each state can take without returning from its rule (its own transitions and its callees' first bytes).</summary>
    public ByteSet[] First { get; }

    /// <summary>The bytes that may follow a return from each state's rule, in any caller (none for the root rule).</summary>
    public ByteSet[] AfterReturn { get; }

    /// <summary>States that neither call nor return: a byte step is one table lookup (the walks' fast path).</summary>
    public bool[] Plain { get; }

    /// <summary>The root rule's start state.</summary>
    public int Start { get; }

    /// <summary>No byte string matches the root rule (the schema is unsatisfiable).</summary>
    public bool MatchesNothing { get; }

    /// <summary>Each state's and thread's fewest bytes to the end (budget-aware completion): computed on first use, then shared.</summary>
    public GrammarDistances Distances => _distances ??= new GrammarDistances(this);   // a race computes it twice, harmlessly
    private GrammarDistances? _distances;

    /// <summary>The state after <paramref name="b"/> by the state's own transition (calls and returns aside), or −1.</summary>
    public int NextState(int state, byte b) => Next[state * ClassCount + ClassOf[b]];

    /// <summary>Whether the call-free automaton accepts <paramref name="bytes"/> whole (for regular grammars: intersections, tests).</summary>
    public bool MatchesRegular(ReadOnlySpan<byte> bytes)
    {
        int state = Start;
        foreach (byte b in bytes)
            if ((state = NextState(state, b)) < 0) return false;
        return Accepting[state];
    }
}
