using System.Text;

namespace LongCat.Sdk;

/// <summary>
/// Heavy Thinking (LongCat-Flash-Thinking-2601's mode, LONGCAT-THINKING.md §7): <see cref="Paths"/> reasoning paths decoded
/// concurrently from one prompt (prefilled once: the paths share its KV blocks), then a summary request over their answers,
/// which streams as the response. Meituan has not published its summary prompt; <see cref="SummaryPrompt"/> says what is sent.
/// </summary>
/// <param name="Paths">How many reasoning paths run in parallel (2 to 16).</param>
public sealed record HeavyThinkingOptions(int Paths)
{
    /// <summary>The paths' sampling temperature: high, for breadth (2601's evaluation samples at 1.0). The summary samples with
    /// the request's own settings.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>The paths' nucleus (top-p) setting.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>The most tokens each path may write (null: the request's <see cref="GenerationOptions.MaxTokens"/>).</summary>
    public int? PathMaxTokens { get; init; }

    /// <summary>
    /// The summary request's user turn, from the question (the conversation's last user message) and the paths' answers
    /// (their answer text only, reasoning dropped, as 2601's report describes): <see cref="DefaultSummaryPrompt"/> unless replaced.
    /// </summary>
    public Func<string, IReadOnlyList<string>, string> SummaryPrompt { get; init; } = DefaultSummaryPrompt;

    /// <summary>
    /// The summary prompt used by default (the shape of an unofficial Meituan script, LONGCAT-THINKING.md §7; the wording is
    /// this SDK's): the question, then each answer under <c># ----- Thinker #i -----</c> between start and end markers, then the
    /// instruction <c>The thinkers above answered the question independently. Check their answers, then write the single best
    /// final answer. Do not mention the thinkers.</c>
    /// </summary>
    public static string DefaultSummaryPrompt(string question, IReadOnlyList<string> answers)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(answers);
        var sb = new StringBuilder(question).Append("\n\n# ====== Thinkers Thought Response Start ======\n\n");
        for (int i = 0; i < answers.Count; i++) sb.Append("# ----- Thinker #").Append(i + 1).Append(" -----\n\n").Append(answers[i]).Append("\n\n");
        return sb.Append("# ====== Thinkers Thought Response End ======\n\n")
            .Append("The thinkers above answered the question independently. Check their answers, then write the single best final answer. Do not mention the thinkers.")
            .ToString();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Paths is < 2 or > 16) throw new ArgumentOutOfRangeException(nameof(Paths), Paths, "HeavyThinking.Paths must be between 2 and 16.");
        if (!float.IsFinite(Temperature) || Temperature < 0) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "HeavyThinking.Temperature must be a finite number >= 0.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "HeavyThinking.TopP must be in (0, 1].");
        if (PathMaxTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(PathMaxTokens), PathMaxTokens, "HeavyThinking.PathMaxTokens must be positive (null: the request's MaxTokens).");
        if (SummaryPrompt is null) throw new ArgumentNullException(nameof(SummaryPrompt), "HeavyThinking.SummaryPrompt must not be null.");
    }
}

/// <summary>What one Heavy Thinking path wrote in one step (<see cref="GenerationUpdate.Path"/>).</summary>
/// <param name="Index">The path, from 0.</param>
/// <param name="Reasoning">New reasoning text of the path.</param>
/// <param name="Text">New answer text of the path.</param>
/// <param name="FinishReason">Set on the path's last update.</param>
/// <param name="Usage">Set on the path's last update.</param>
public sealed record PathUpdate(int Index, string Reasoning, string Text, FinishReason? FinishReason = null, GenerationUsage? Usage = null);
