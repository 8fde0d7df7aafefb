using System.Numerics.Tensors;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The accept/reject rule of speculative decoding. Greedy: a draft is accepted while it equals the target's own choice; the first
/// mismatch is replaced by the target's token. Sampling: draft d (drawn from the head's distribution q) is accepted with
/// probability min(1, p(d)/q(d)); on rejection the token is drawn from normalize(max(p − q, 0)); after k acceptances a bonus
/// token is drawn from p. The emitted tokens are then distributed exactly as the target's (Leviathan et al., Chen et al.).
/// </summary>
internal static class SpeculativeDecoder
{
    /// <summary>
    /// Verifies <paramref name="drafts"/> against the target's logits rows (k + 1 rows: one per draft, plus the bonus row) and returns the
    /// tokens to emit: the accepted drafts followed by one token of the target's. <paramref name="accepted"/> counts accepted drafts.
    /// <paramref name="scratch"/> and <paramref name="probabilities"/> ([vocab] each; the latter allocated when null) are workspace:
    /// the engine passes the same ones every step, so a sampled step allocates no vocabulary-sized array.
    /// </summary>
    public static List<int> Verify(Sequence s, ReadOnlySpan<float> logits, int vocab, IReadOnlyList<int> drafts, IReadOnlyList<float[]>? draftProbs,
        float[] scratch, out int accepted, float[]? probabilities = null)
    {
        var emitted = new List<int>(drafts.Count + 1);
        var history = new List<int>(s.Generated.Length + drafts.Count);
        history.AddRange(s.Generated.ToArray());
        bool greedy = s.Options.Temperature == 0;
        if (!greedy && (draftProbs is null || draftProbs.Count != drafts.Count))
            throw new InvalidOperationException("Sampled drafts need the head's distribution for each draft.");
        accepted = 0;
        for (int i = 0; i <= drafts.Count; i++)
        {
            logits.Slice(i * vocab, vocab).CopyTo(scratch);
            if (greedy)
            {
                int target = s.Sampler.Sample(scratch, s.Prompt, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history));
                emitted.Add(target);
                if (i == drafts.Count || target != drafts[i]) break;
                accepted++;
                history.Add(target);
                continue;
            }
            var p = (probabilities ??= new float[vocab]).AsSpan(0, vocab);
            s.Sampler.Probabilities(scratch.AsSpan(0, vocab), s.Prompt, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history), p);
            if (i == drafts.Count)
            {
                emitted.Add(Draw(p, s.Random));                                  // every draft accepted: a bonus token from p
                break;
            }
            int d = drafts[i];
            var q = draftProbs![i];
            if (q[d] > 0 && s.Random.NextDouble() * q[d] < p[d])                    // accept with probability min(1, p(d)/q(d))
            {
                emitted.Add(d);
                accepted++;
                history.Add(d);
                continue;
            }
            var residual = scratch.AsSpan(0, vocab);                         // the row's logits are spent: max(p − q, 0) goes there
            TensorPrimitives.Subtract(p, q, residual);
            TensorPrimitives.Max(residual, 0f, residual);
            float sum = TensorPrimitives.Sum(residual);
            emitted.Add(sum > 0 ? Draw(residual, s.Random, sum) : Draw(p, s.Random));
            break;
        }
        return emitted;
    }

    /// <summary>A draft token from the head's logits: argmax when greedy, else a draw from its processed distribution (kept for verification).</summary>
    public static int Draft(Sequence s, float[] logits, List<int> pendingDrafts, out float[]? probabilities)
    {
        var history = new List<int>(s.Generated.ToArray());
        history.AddRange(pendingDrafts);
        if (s.Options.Temperature == 0)
        {
            probabilities = null;
            return s.Sampler.Sample(logits, s.Prompt, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history));
        }
        probabilities = s.DraftBuffer(pendingDrafts.Count, logits.Length);      // kept until the drafts are verified
        s.Sampler.Probabilities(logits, s.Prompt, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history), probabilities);
        return Draw(probabilities, s.Random);
    }

    private static int Draw(ReadOnlySpan<float> weights, Random rng, float total = 1f)
    {
        double u = rng.NextDouble() * total, c = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            c += weights[i];
            if (u < c) return i;
        }
        return last;
    }
}
