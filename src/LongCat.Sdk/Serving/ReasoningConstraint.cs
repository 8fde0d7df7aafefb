namespace LongCat.Sdk.Serving;

/// <summary>
/// A thinking model's output: reasoning, <c>&lt;/longcat_think&gt;</c>, then the answer. The reasoning is free, up to a budget
/// of tokens: once the model has written that many, the closing (a line break and <c>&lt;/longcat_think&gt;</c>) is forced and
/// the answer follows. The answer is held to <paramref name="answer"/> (a tool call's grammar, an output schema), which sees
/// only the answer's tokens.
/// </summary>
/// <param name="endToken">The id of <c>&lt;/longcat_think&gt;</c>.</param>
/// <param name="closing">The tokens forced when the budget runs out, ending with <paramref name="endToken"/>.</param>
/// <param name="budget">The most tokens the model may write inside its reasoning; null: no limit.</param>
/// <param name="answer">The constraint of the answer; null: free.</param>
internal sealed class ReasoningConstraint(int endToken, int[] closing, int? budget, TokenConstraint? answer) : TokenConstraint
{
    private enum Kind : byte { Reasoning, Closing, End, Answer }

    private readonly List<Kind> _history = [];
    private int _reasoningTokens;       // written by the model inside the reasoning
    private int _closingAt;             // forced closing tokens accepted so far
    private bool _inAnswer;

    /// <summary>Tokens the model wrote inside its reasoning so far.</summary>
    public int ReasoningTokens => _reasoningTokens;

    public override bool IsComplete => _inAnswer && (answer is null || answer.IsComplete);

    private bool Closing => !_inAnswer && budget is int b && _reasoningTokens >= b;

    public override IReadOnlyList<int> ForcedTokens()
    {
        if (_inAnswer) return answer?.ForcedTokens() ?? [];
        return Closing ? closing[_closingAt..] : [];
    }

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        if (_inAnswer) return answer?.FillNextTokenBitmask(bitmask) ?? false;
        if (!Closing) return false;
        int token = closing[_closingAt];
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
            if (token != closing[_closingAt])
                throw new InvalidOperationException($"Token {token} is not the forced closing of the reasoning (expected {closing[_closingAt]}).");
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
                    if (_inAnswer) _inAnswer = false;        // the end token was the last of the closing
                    break;
            }
        }
        if (answerTokens > 0) answer?.Rollback(answerTokens);
    }
}
