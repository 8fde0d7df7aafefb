using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Structured;

/// <summary>
/// Tool calls whose arguments always match their tool's parameter schema. Between calls the output is free (or held to the
/// request's own constraint, which the model may leave only for a call, at its very start); once the model writes the call's
/// opening token, the body up to and including the closing token follows a grammar (<paramref name="body"/>): the offered
/// names, each with its own parameter schema for <c>arguments</c>. With <paramref name="required"/> the output opens with a
/// call (the opening token is forced); after a call the output is free again, so the model may call once more or end.
/// </summary>
/// <remarks>
/// The state is a list of segments (free text, a call's body), each with the tokens accepted into it; a token that opens or
/// closes a call belongs to the segment it ends, and the next segment is created at once (empty), so rollback removes tokens
/// from the end and drops a segment only when a token before it must go.
/// </remarks>
/// <param name="openToken">The token that opens a call (<c>&lt;longcat_tool_call&gt;</c>).</param>
/// <param name="body">A new constraint for one call's body, whose end token is the closing token.</param>
/// <param name="required">The output must open with a call.</param>
/// <param name="free">The request's own constraint for the text outside calls (null: free text).</param>
internal sealed class ToolCallConstraint(int openToken, Func<JsonSchemaConstraint> body, bool required, TokenConstraint? free = null) : TokenConstraint
{
    private readonly List<Segment> _segments = [new Segment(null, free, required)];

    public override bool IsComplete => false;

    public override IReadOnlyList<int> ForcedTokens()
    {
        var s = _segments[^1];
        if (s.Body is not null) return s.Body.ForcedTokens();
        if (s.MustOpen && s.Tokens.Count == 0) return [openToken];
        return s.Free is { IsComplete: false } f && s.Tokens.Count > 0 ? f.ForcedTokens() : [];
    }

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        var s = _segments[^1];
        if (s.Body is not null) return s.Body.FillNextTokenBitmask(bitmask);
        if (s.MustOpen && s.Tokens.Count == 0)
        {
            bitmask.Clear();
            Set(bitmask, openToken);
            return true;
        }
        if (s.Free is not { IsComplete: false } f) return false;
        if (!f.FillNextTokenBitmask(bitmask)) return false;
        if (s.Tokens.Count == 0) Set(bitmask, openToken);             // a call instead of the constrained answer
        return true;
    }

    /// <summary>
    /// A required call not yet opened: its opening token, the shortest body and the stop token after it; inside a call: the rest
    /// of its body and the stop token; between calls: the free text's constraint's.
    /// </summary>
    public override int MinTokensToComplete
    {
        get
        {
            var s = _segments[^1];
            if (s.Body is not null) return s.Body.MinTokensToComplete + 1;
            if (s.MustOpen && s.Tokens.Count == 0) return _shortestCall ??= 1 + body().MinTokensToComplete + 1;
            return s.Free?.MinTokensToComplete ?? 0;
        }
    }

    private int? _shortestCall;

    /// <summary>Passes the budget to the segment's constraint: a call's body keeps one token back for the stop token after it.</summary>
    public override void SetBudget(int remainingTokens)
    {
        var s = _segments[^1];
        if (s.Body is not null) s.Body.SetBudget(remainingTokens - 1);
        else s.Free?.SetBudget(remainingTokens);
    }

    public override void Accept(int token)
    {
        var s = _segments[^1];
        if (s.Body is not null)
        {
            s.Body.Accept(token);
            s.Tokens.Add(token);
            if (s.Body.IsComplete) _segments.Add(new Segment(null, null, mustOpen: false));
            return;
        }
        if (s.MustOpen && s.Tokens.Count == 0 && token != openToken)
            throw new InvalidOperationException($"Token {token} is not the tool call's opening token {openToken}.");
        if (token == openToken && (s.Free is null || s.Tokens.Count == 0))
        {
            s.Tokens.Add(token);
            _segments.Add(new Segment(body(), null, mustOpen: false));
            return;
        }
        s.Free?.Accept(token);
        s.Tokens.Add(token);
    }

    public override void Rollback(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        while (tokens > 0)
        {
            var s = _segments[^1];
            if (s.Tokens.Count == 0)
            {
                if (_segments.Count == 1) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "More tokens rolled back than accepted.");
                _segments.RemoveAt(_segments.Count - 1);
                continue;
            }
            int token = s.Tokens[^1];
            s.Tokens.RemoveAt(s.Tokens.Count - 1);
            if (s.Body is not null) s.Body.Rollback(1);
            else RollbackFree(s, token);
            tokens--;
        }
    }

    // The open token of a free segment was never given to its own constraint; every other token was.
    private void RollbackFree(Segment s, int token)
    {
        bool opened = token == openToken && (s.Free is null || s.Tokens.Count == 0);
        if (!opened) s.Free?.Rollback(1);
    }

    private static void Set(Span<uint> bitmask, int token)
    {
        if ((uint)(token >> 5) < (uint)bitmask.Length) bitmask[token >> 5] |= 1u << (token & 31);
    }

    private sealed class Segment(JsonSchemaConstraint? body, TokenConstraint? free, bool mustOpen)
    {
        public JsonSchemaConstraint? Body { get; } = body;
        public TokenConstraint? Free { get; } = free;
        public bool MustOpen { get; } = mustOpen;
        public List<int> Tokens { get; } = [];
    }
}
