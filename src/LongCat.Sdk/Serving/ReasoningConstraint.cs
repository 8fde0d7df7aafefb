namespace LongCat.Sdk.Serving;

/// <summary>
/// A thinking model's output: reasoning, <c>&lt;/longcat_think&gt;</c>, then the answer. The reasoning is free, up to a budget
/// of tokens: when the model has written all but the closing's share of it, the closing (a line break and
/// <c>&lt;/longcat_think&gt;</c>) is forced, so exactly <paramref name="budget"/> tokens precede the end tag, and the answer
/// follows. The answer is held to <paramref name="answer"/> (a tool call's grammar, an output schema), which sees only the
/// answer's tokens.
/// </summary>
/// <param name="endToken">The id of <c>&lt;/longcat_think&gt;</c>.</param>
/// <param name="lineBreak">The tokens of the line break the format puts before the end tag (forced with it when the budget allows).</param>
/// <param name="budget">The most tokens the reasoning may hold before the end tag; null: no limit.</param>
/// <param name="answer">The constraint of the answer; null: free.</param>
internal sealed class ReasoningConstraint(int endToken, int[] lineBreak, int? budget, TokenConstraint? answer) : TokenConstraint
{
    private readonly int[] _closing = budget is int b && b >= lineBreak.Length ? [.. lineBreak, endToken] : [endToken];

    private enum Kind : byte { Reasoning, Closing, End, Answer }

    private readonly List<Kind> _history = [];
    private int _reasoningTokens;       // written by the model inside the reasoning
    private int _closingAt;             // forced closing tokens accepted so far
    private bool _inAnswer;

    /// <summary>Tokens of the reasoning so far (the model's and a forced line break), the end tag excluded.</summary>
    public int ReasoningTokens => _reasoningTokens + Math.Min(_closingAt, _closing.Length - 1);

    public override bool IsComplete => _inAnswer && (answer is null || answer.IsComplete);

    private bool Closing => !_inAnswer && budget is int b && _reasoningTokens + _closing.Length - 1 >= b;

    public override IReadOnlyList<int> ForcedTokens()
    {
        if (_inAnswer) return answer?.ForcedTokens() ?? [];
        return Closing ? _closing[_closingAt..] : [];
    }

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        if (_inAnswer) return answer?.FillNextTokenBitmask(bitmask) ?? false;
        if (!Closing) return false;
        int token = _closing[_closingAt];
        bitmask.Clear();
        bitmask[token / 32] |= 1u << (token % 32);
        return true;
    }

    public override void SetBudget(int remainingTokens)
    {
        if (_inAnswer) answer?.SetBudget(remainingTokens);
    }

    public override void Accept(int token)
    {
        if (_inAnswer)
        {
            answer?.Accept(token);
            _history.Add(Kind.Answer);
            return;
        }
        if (Closing)
        {
            if (token != _closing[_closingAt])
                throw new InvalidOperationException($"Token {token} is not the forced closing of the reasoning (expected {_closing[_closingAt]}).");
            _closingAt++;
            _history.Add(Kind.Closing);
            if (token == endToken) _inAnswer = true;
            return;
        }
        if (token == endToken)
        {
            _inAnswer = true;
            _history.Add(Kind.End);
            return;
        }
        _reasoningTokens++;
        _history.Add(Kind.Reasoning);
    }

    public override void Rollback(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if (tokens > _history.Count) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "More tokens rolled back than accepted.");
        int answerTokens = 0;
        for (int i = 0; i < tokens; i++)
        {
            var kind = _history[^1];
            _history.RemoveAt(_history.Count - 1);
            switch (kind)
            {
                case Kind.Answer: answerTokens++; break;
                case Kind.Reasoning: _reasoningTokens--; break;
                case Kind.End: _inAnswer = false; break;
                case Kind.Closing:
                    _closingAt--;
                    _inAnswer = false;                       // the end token is the closing's last
                    break;
            }
        }
        if (answerTokens > 0) answer?.Rollback(answerTokens);
    }
}
