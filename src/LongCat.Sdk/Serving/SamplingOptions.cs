namespace LongCat.Sdk.Serving;

/// <summary>
/// How the next token is chosen from the logits. The defaults sample from the model's own distribution (temperature 1,
/// no filters, no penalties). <see cref="Sampler"/> applies them in Hugging Face's order: penalties, temperature, top-k,
/// top-p, min-p, then one seeded draw.
/// </summary>
/// <remarks>Internal and neutral on purpose: the only user-facing defaults are <see cref="GenerationOptions"/>'s (temperature
/// 0.7), and <see cref="GenerationOptions"/> sets every field when it builds one of these, so the neutral values here never
/// reach a request; they are what the sampler's own tests need.</remarks>
internal sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token (penalties still apply).</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>Divides the logits; 0 means greedy (argmax, lowest id on ties). Must be finite and ≥ 0.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the K most likely tokens; 0 turns it off. Must be ≥ 0.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability sums to at least P; 1 turns it off. In (0, 1].</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less likely than MinP times the most likely one; 0 turns it off. In [0, 1].</summary>
    public float MinP { get; init; }

    /// <summary>
    /// CTRL / Hugging Face repetition penalty over every token seen in the prompt or the output (each id once): a positive
    /// logit is divided by it, a negative one multiplied. 1 turns it off; must be &gt; 0.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>OpenAI presence penalty: subtracted once from the logit of every token already generated. In [-2, 2]; 0 is off.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty: subtracted from a token's logit once per time it was generated. In [-2, 2]; 0 is off.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Seed of the sampler's random number generator: the same seed gives the same draws on every run and machine.
    /// Null seeds it unpredictably.</summary>
    public int? Seed { get; init; }

    /// <summary>True when sampling reduces to argmax.</summary>
    public bool IsGreedy => Temperature == 0f;

    /// <summary>Checks every option; the exception names the option and the value it had.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is outside its range.</exception>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0f)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, $"{nameof(Temperature)} must be a finite number >= 0 (0 = greedy); got {Temperature}.");
        if (TopK < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"{nameof(TopK)} must be >= 0 (0 = off); got {TopK}.");
        if (!(TopP > 0f && TopP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, $"{nameof(TopP)} must be in (0, 1] (1 = off); got {TopP}.");
        if (!(MinP >= 0f && MinP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, $"{nameof(MinP)} must be in [0, 1] (0 = off); got {MinP}.");
        if (!float.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0f)
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, $"{nameof(RepetitionPenalty)} must be a finite number > 0 (1 = off); got {RepetitionPenalty}.");
        if (!(PresencePenalty >= -2f && PresencePenalty <= 2f))
            throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, $"{nameof(PresencePenalty)} must be in [-2, 2] (0 = off); got {PresencePenalty}.");
        if (!(FrequencyPenalty >= -2f && FrequencyPenalty <= 2f))
            throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, $"{nameof(FrequencyPenalty)} must be in [-2, 2] (0 = off); got {FrequencyPenalty}.");
    }
}
