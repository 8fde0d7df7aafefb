namespace LongCat.Sdk.Serving;

/// <summary>
/// The penalties of <see cref="SamplingOptions"/>, applied to logits in place, in vLLM's order: repetition (CTRL / HF,
/// over prompt and output), then frequency and presence (OpenAI, over output only). Only the logits of tokens that
/// occurred change.
/// </summary>
/// <remarks>Keeps vocabulary-sized marks reused across calls (an epoch stamp per id, so nothing is cleared per token);
/// they are allocated on first use, and not at all when every penalty is off.</remarks>
internal sealed class LogitPenalties
{
    private readonly float _repetition;
    private readonly float _presence;
    private readonly float _frequency;
    private int[] _mark = [];    // [V] epoch in which the id was last seen
    private int[] _count = [];   // [V] times generated, valid where _mark == current epoch
    private int[] _touched = []; // distinct generated ids of this call
    private int _epoch;

    public LogitPenalties(SamplingOptions options)
    {
        _repetition = options.RepetitionPenalty;
        _presence = options.PresencePenalty;
        _frequency = options.FrequencyPenalty;
    }

    /// <summary>True when at least one penalty changes logits.</summary>
    public bool IsActive => _repetition != 1f || _presence != 0f || _frequency != 0f;

    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary (the logits' length).</exception>
    public void Apply(Span<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens)
    {
        if (!IsActive) return;
        CheckIds(promptTokens, logits.Length, nameof(promptTokens));
        CheckIds(generatedTokens, logits.Length, nameof(generatedTokens));
        if (_mark.Length != logits.Length)
        {
            _mark = new int[logits.Length];
            _count = _frequency != 0f || _presence != 0f ? new int[logits.Length] : [];
            _epoch = 0;
        }

        if (_repetition != 1f)
        {
            int epoch = NextEpoch();
            PenalizeRepeats(logits, promptTokens, epoch);
            PenalizeRepeats(logits, generatedTokens, epoch);
        }

        if (_frequency != 0f || _presence != 0f)
        {
            int epoch = NextEpoch();
            if (_touched.Length < generatedTokens.Length) _touched = new int[Math.Max(generatedTokens.Length, _touched.Length * 2)];
            int distinct = 0;
            foreach (int id in generatedTokens)
            {
                if (_mark[id] != epoch) { _mark[id] = epoch; _count[id] = 0; _touched[distinct++] = id; }
                _count[id]++;
            }
            for (int i = 0; i < distinct; i++)
            {
                int id = _touched[i];
                logits[id] -= _frequency * _count[id] + _presence;
            }
        }
    }

    // Each id once, however often it occurs (HF gathers and scatters by id).
    private void PenalizeRepeats(Span<float> logits, ReadOnlySpan<int> tokens, int epoch)
    {
        foreach (int id in tokens)
        {
            if (_mark[id] == epoch) continue;
            _mark[id] = epoch;
            float l = logits[id];
            logits[id] = l > 0f ? l / _repetition : l * _repetition;
        }
    }

    private int NextEpoch()
    {
        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_mark);
            _epoch = 1;
        }
        return _epoch;
    }

    private static void CheckIds(ReadOnlySpan<int> tokens, int vocab, string name)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(name, tokens[i], $"{name}[{i}] = {tokens[i]} is outside the vocabulary of {vocab} logits.");
        }
    }
}
