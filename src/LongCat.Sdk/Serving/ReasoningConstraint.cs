namespace LongCat.Sdk.Serving;

/// <summary>
/// A thinking model's output: reasoning, <c>&lt;/longcat_think&gt;</c>, then the answer. The reasoning is free, up to a budget
/// of tokens: when the model has written all but the closing's share of it, the closing (a line break and
/// <c>&lt;/longcat_think&gt;</c>) is forced, so exactly <c>budget</c> tokens precede the end tag, and the answer follows. The
/// answer is held to its own constraint (a tool call's grammar, an output schema), which sees only the answer's tokens, and
/// never holds a think tag.
/// </summary>
/// <remarks>
/// A prompt that opened the think block starts the output in the reasoning. Otherwise the output is undecided until its first
/// token: <c>&lt;longcat_think&gt;</c> (which the model may write itself, as LongCat-Flash-Thinking does after <c> ASSISTANT:</c>)
/// enters the reasoning; any other token starts the answer. While undecided, the answer's constraint masks the first token
/// (with the open tag allowed too) but forces nothing, so the model may still think first.
/// </remarks>
internal sealed class ReasoningConstraint : TokenConstraint
{
    private enum Kind : byte { Open, Reasoning, Closing, End, Answer }

    private readonly int _openToken, _endToken;
    private readonly int[] _closing;
    private readonly int? _budget;
    private readonly TokenConstraint? _answer;
    private readonly bool _startsInReasoning;
    private readonly List<Kind> _history = [];
    private bool _inReasoning;
    private bool _inAnswer;
    private int _reasoningTokens;       // written by the model inside the reasoning
    private int _closingAt;             // forced closing tokens accepted so far

    /// <param name="openToken">The id of <c>&lt;longcat_think&gt;</c>.</param>
    /// <param name="endToken">The id of <c>&lt;/longcat_think&gt;</c>.</param>
    /// <param name="lineBreak">The tokens of the line break the format puts before the end tag (forced with it when the budget allows).</param>
    /// <param name="budget">The most tokens the reasoning may hold before the end tag; null: no limit.</param>
    /// <param name="answer">The constraint of the answer; null: free.</param>
    /// <param name="startsInReasoning">The prompt opened the think block.</param>
    public ReasoningConstraint(int openToken, int endToken, int[] lineBreak, int? budget, TokenConstraint? answer, bool startsInReasoning = true)
    {
        _openToken = openToken;
        _endToken = endToken;
        _closing = budget is int b && b >= lineBreak.Length ? [.. lineBreak, endToken] : [endToken];
        _budget = budget;
        _answer = answer;
        _startsInReasoning = _inReasoning = startsInReasoning;
    }

    /// <summary>Tokens of the reasoning so far (the model's and a forced line break), the end tag excluded.</summary>
    public int ReasoningTokens => _reasoningTokens + Math.Min(_closingAt, _closing.Length - 1);

    private bool Undecided => !_inReasoning && !_inAnswer;

    /// <summary>Never: the answer is kept free of the think tags to its end (a model that had more to think after a forced
    /// close would otherwise write a second <c>&lt;/longcat_think&gt;</c> into it).</summary>
    public override bool IsComplete => false;

    // The closing is forced when the reasoning budget is spent, or when the tokens left are just enough for the rest of the
    // closing and the shortest answer its constraint allows (a required tool call, a schema): the answer then still completes
    // within max_tokens. An answer that asks for nothing leaves the reasoning free to the end.
    private bool Closing => _inReasoning && (_budget is int b && _reasoningTokens + _closing.Length - 1 >= b
        || _remaining is int r && AnswerNeed > 0 && r <= _closing.Length - _closingAt + AnswerNeed);

    // The answer's constraint has accepted nothing while the output is in the reasoning (a rollback into the reasoning rolls it
    // back too), so its shortest completion is asked once, not at every mask, forced-token query and accept.
    private int AnswerNeed => _answerNeed ??= _answer?.MinTokensToComplete ?? 0;
    private int? _answerNeed;

    public override IReadOnlyList<int> ForcedTokens()
    {
        if (_inAnswer) return _answer is { IsComplete: false } a ? a.ForcedTokens() : [];
        return Closing ? _closing[_closingAt..] : [];
    }

    public override bool FillNextTokenBitmask(Span<uint> bitmask)
    {
        if (_inAnswer)
        {
            if (_answer is null || _answer.IsComplete || !_answer.FillNextTokenBitmask(bitmask)) bitmask.Fill(uint.MaxValue);
            Forbid(bitmask, _openToken);
            Forbid(bitmask, _endToken);
            return true;
        }
        if (Undecided)
        {
            if (_answer is null || !_answer.FillNextTokenBitmask(bitmask)) return false;
            Allow(bitmask, _openToken);
            return true;
        }
        if (!Closing) return false;
        bitmask.Clear();
        Allow(bitmask, _closing[_closingAt]);
        return true;
    }

    private static void Forbid(Span<uint> bitmask, int token)
    {
        if ((uint)(token / 32) < (uint)bitmask.Length) bitmask[token / 32] &= ~(1u << (token % 32));
    }

    private static void Allow(Span<uint> bitmask, int token)
    {
        if ((uint)(token / 32) >= (uint)bitmask.Length) throw new InvalidOperationException($"Token {token} lies outside a bitmask of {bitmask.Length * 32} tokens.");
        bitmask[token / 32] |= 1u << (token % 32);
    }

    public override void SetBudget(int remainingTokens)
    {
        _remaining = remainingTokens;
        if (!_inReasoning) _answer?.SetBudget(remainingTokens);
    }

    private int? _remaining;            // tokens the sequence may still generate, this one included (SetBudget, then one fewer per Accept)

    public override void Accept(int token)
    {
        AcceptToken(token);
        if (_remaining is int r) _remaining = r - 1;
    }

    private void AcceptToken(int token)
    {
        if (Undecided)
        {
            if (token == _openToken)
            {
                _inReasoning = true;
                _history.Add(Kind.Open);
                return;
            }
            _inAnswer = true;                                   // no reasoning: this token is the answer's first
        }
        if (_inAnswer)
        {
            _answer?.Accept(token);
            _history.Add(Kind.Answer);
            return;
        }
        if (Closing)
        {
            if (token != _closing[_closingAt])
                throw new InvalidOperationException($"Token {token} is not the forced closing of the reasoning (expected {_closing[_closingAt]}).");
            _closingAt++;
            _history.Add(Kind.Closing);
            if (token == _endToken) (_inReasoning, _inAnswer) = (false, true);
            return;
        }
        if (token == _endToken)
        {
            (_inReasoning, _inAnswer) = (false, true);
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
        if (_remaining is int r) _remaining = r + tokens;
        int answerTokens = 0;
        for (int i = 0; i < tokens; i++)
        {
            var kind = _history[^1];
            _history.RemoveAt(_history.Count - 1);
            switch (kind)
            {
                case Kind.Answer:
                    answerTokens++;
                    if (_history.Count == 0 && !_startsInReasoning) _inAnswer = false;     // back to undecided
                    break;
                case Kind.Reasoning: _reasoningTokens--; break;
                case Kind.Open: _inReasoning = false; break;
                case Kind.End: (_inReasoning, _inAnswer) = (true, false); break;
                case Kind.Closing:
                    _closingAt--;
                    (_inReasoning, _inAnswer) = (true, false);                                // the end token is the closing's last
                    break;
            }
        }
        if (answerTokens > 0) _answer?.Rollback(answerTokens);
    }
}
