using LongCat.Sdk.Model;

namespace LongCat.Sdk.Evaluation;

/// <summary>
/// Perplexity of a model over a token sequence and, given a baseline model of the same vocabulary (the unquantized weights),
/// how far its next-token distributions are from the baseline's at every scored position (KL divergence, top-1 agreement).
/// </summary>
/// <remarks>
/// Windows of <c>context</c> tokens (C), strided by C/2 (S), each scoring only the tokens the previous windows did not: the first
/// window [0, C) scores targets 1..C−1, each later one ends S tokens further, [end − C, end), and scores its last S targets, so
/// every token after the first is scored exactly once, and beyond the first window with at least C − S tokens of context
/// (Hugging Face's strided perplexity; the last window ends at the text's end). llama.cpp's perplexity tool instead cuts the text
/// into non-overlapping chunks of C and scores the second half of each: half the tokens, at the same minimum context. No BOS is
/// inserted (the demo model is trained on text rows without one). Cost: 2N/C forwards of C rows per model.
/// </remarks>
internal static class PerplexityEvaluator
{
    /// <summary>The windows over <paramref name="tokenCount"/> tokens: each [Start, End), scoring targets [FirstTarget, End).</summary>
    public static IEnumerable<(int Start, int End, int FirstTarget)> Windows(int tokenCount, int context)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 2);
        int stride = context / 2, end = 0;
        while (end < tokenCount)
        {
            int next = Math.Min(end == 0 ? context : end + stride, tokenCount);
            int start = Math.Max(0, next - context);
            yield return (start, next, Math.Max(end, 1));
            end = next;
        }
    }

    /// <summary>Scores <paramref name="tokens"/> with <paramref name="model"/> and, when given, the same windows with <paramref name="baseline"/>.</summary>
    /// <param name="model">The model evaluated (Q).</param>
    /// <param name="tokens">The text's token ids (no BOS is added).</param>
    /// <param name="context">Tokens per window (C).</param>
    /// <param name="baseline">The model compared against (P), or null for perplexity alone.</param>
    /// <param name="progress">Told after each window: windows done, windows in all, the running perplexity.</param>
    /// <param name="cancellation">Checked before each window.</param>
    /// <exception cref="ArgumentException">Fewer than 2 tokens, a context outside [2, max_position_embeddings], or a baseline that is
    /// the same instance or of another vocabulary size.</exception>
    public static PerplexityReport Evaluate(LongCatModel model, IReadOnlyList<int> tokens, int context, LongCatModel? baseline = null,
        IProgress<PerplexityProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count < 2) throw new ArgumentException($"{tokens.Count} token(s): perplexity needs at least 2", nameof(tokens));
        if (context < 2 || context > model.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(context), context, $"the context must be in [2, {model.Config.MaxPositionEmbeddings}] (max_position_embeddings)");
        if (ReferenceEquals(baseline, model))
            throw new ArgumentException("the baseline must be another model instance (one forward would overwrite the other's logits)", nameof(baseline));
        if (baseline is not null && baseline.Config.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"the baseline's vocabulary ({baseline.Config.VocabSize}) differs from the model's ({model.Config.VocabSize})", nameof(baseline));

        int scored = tokens.Count - 1;
        var nll = new double[scored];
        double[]? baseNll = null, kld = null, deltaP = null;
        bool[]? sameTop1 = null;
        if (baseline is not null) (baseNll, kld, deltaP, sameTop1) = (new double[scored], new double[scored], new double[scored], new bool[scored]);
        var windows = Windows(tokens.Count, context).ToArray();
        var ids = tokens.ToArray();
        double sum = 0;
        for (int w = 0; w < windows.Length; w++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (start, end, first) = windows[w];
            var span = ids.AsSpan(start, end - start);
            using var session = model.CreateSession();
            var result = session.Run(span, allLogits: true);                  // row j: logits for token start + j + 1
            using var baseSession = baseline?.CreateSession();
            var baseResult = baseSession?.Run(span, allLogits: true);         // another model's buffers: result stays valid
            for (int target = first; target < end; target++)
            {
                int row = target - 1 - start, i = target - 1;
                if (baseResult is null)
                    nll[i] = LogitStatistics.Nll(result.Row(row), ids[target]);
                else
                {
                    var c = LogitStatistics.Compare(baseResult.Row(row), result.Row(row), ids[target]);
                    (nll[i], baseNll![i], kld![i], sameTop1![i], deltaP![i]) = (c.Nll, c.BaseNll, c.Kld, c.SameTop1, c.DeltaP);
                }
                sum += nll[i];
            }
            progress?.Report(new PerplexityProgress(w + 1, windows.Length, end - 1, Math.Exp(sum / (end - 1))));
        }
        return new PerplexityReport(context, windows.Length, nll, baseNll, kld, sameTop1, deltaP);
    }
}

/// <summary>Where an evaluation stands after a window.</summary>
/// <param name="Windows">Windows done.</param>
/// <param name="TotalWindows">Windows in all.</param>
/// <param name="Tokens">Tokens scored so far.</param>
/// <param name="Perplexity">The perplexity of the tokens scored so far.</param>
internal readonly record struct PerplexityProgress(int Windows, int TotalWindows, int Tokens, double Perplexity);
