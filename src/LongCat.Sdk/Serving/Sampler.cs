using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace LongCat.Sdk.Serving;

/// <summary>
/// Chooses the next token from a vector of logits, as Hugging Face's processors do, in this order:
/// penalties → temperature → top-k → top-p → min-p → one draw. Each filter works on the softmax of the tempered logits
/// that survived the previous one. Greedy (temperature 0) is argmax after penalties, lowest id on ties.
/// </summary>
/// <remarks>
/// <para>Top-k keeps exactly K tokens, ties at the K-th value going to the lower id (vLLM's rule; HF keeps every tie), so
/// top-k 1 is greedy. The draw is an exponential race over the surviving tokens (<see cref="SamplingNoise"/>): token v wins
/// with score w_v / E_v, where E_v = −ln U(n, v) and U(n, v) depends only on the seed, the draw's index n and v. The engine
/// passes a token's position in its sequence as n, so a seeded request's tokens do not depend on what else ran, and a
/// speculative draft raced against the same noise is accepted exactly when it equals the token plain decoding would draw.</para>
/// <para>Cost per token: one pass for the maximum and one for the exponentials over the vocabulary V; top-k is a
/// size-K heap (O(V log K)); top-p buckets the probability mass and sorts only the bucket where the nucleus ends
/// (<see cref="NucleusFilter"/>); min-p needs no sort; the race hashes, takes a logarithm of and divides by each survivor.
/// Buffers are vocabulary-sized, allocated on first use and reused: nothing is allocated per token.</para>
/// <para>Reproducibility: the same seed gives the same tokens on every run of the same build and hardware. The
/// exponentials, logarithms and sums are vectorised, so on a machine with another vector width a draw that falls within
/// rounding (about 1e-7 relative) of a tie between two tokens may pick its neighbour.</para>
/// <para>One instance per sequence; not thread-safe.</para>
/// </remarks>
internal sealed class Sampler
{
    private readonly LogitPenalties _penalties;
    private readonly ulong _seed;
    private long _draws;             // draws taken through the index-free Sample
    private float[] _penalized = []; // [V] copy for the read-only entry points
    private float[] _weights = [];   // [V] exp((logit - max) / T) of the candidates, compacted alongside _ids
    private int[] _ids = [];         // [V] candidate ids
    private float[] _noise = [];     // [V] the race's exponentials, then the scores
    private NucleusFilter? _nucleus;

    // Sums are taken vectorised within a chunk and in double across chunks.
    private const int Chunk = 1024;

    /// <summary>Creates a sampler; the options are validated first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _penalties = new LogitPenalties(options);
        _seed = options.Seed is int s ? (ulong)(uint)s : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Picks the next token with the next draw of this sampler (draw 0, 1, 2, … in call order). The penalties are
    /// applied to <paramref name="logits"/> in place.</summary>
    /// <param name="logits">[V] the model's logits for the next position; overwritten by the penalised values.</param>
    /// <param name="promptTokens">The prompt (for the repetition penalty).</param>
    /// <param name="generatedTokens">The tokens generated so far (for all penalties).</param>
    /// <exception cref="ArgumentException">The logits are empty or have no finite maximum, or a token id is outside the vocabulary.</exception>
    public int Sample(Span<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens) =>
        Sample(logits, promptTokens, generatedTokens, _draws++);

    /// <summary>
    /// Picks a token with draw number <paramref name="drawIndex"/> of the seed's stream, whatever was drawn before: the same
    /// logits and index always give the same token. An engine passes the token's position in its sequence, so a token does not
    /// depend on batching, preemption or speculative drafts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drawIndex"/> is negative.</exception>
    public int Sample(Span<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens, long drawIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(drawIndex);
        _penalties.Apply(logits, promptTokens, generatedTokens);
        if (Options.IsGreedy) return ArgMax(logits);

        int n = Filter(logits, out _);
        return Race(n, drawIndex);
    }

    /// <summary>Whether the penalties read the generated tokens (a drafter must then pass its pending drafts as history).</summary>
    internal bool ReadsHistory => _penalties.IsActive;

    /// <summary>The final distribution after every processor: what <c>Sample</c> draws from (one-hot when greedy).
    /// Consumes no randomness.</summary>
    public float[] Probabilities(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens)
    {
        var probs = new float[logits.Length];
        Probabilities(logits, promptTokens, generatedTokens, probs);
        return probs;
    }

    /// <summary>Writes the final distribution into <paramref name="destination"/> ([V], zero outside the surviving tokens).</summary>
    public void Probabilities(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens, Span<float> destination)
    {
        if (destination.Length != logits.Length)
            throw new ArgumentException($"destination has {destination.Length} elements; the logits have {logits.Length}.", nameof(destination));
        int n = Candidates(logits, promptTokens, generatedTokens, out double total);
        destination.Clear();
        for (int i = 0; i < n; i++) destination[_ids[i]] = (float)(_weights[i] / total);
    }

    // The exponential race over the candidates _ids/_weights[0..n): the highest w / E wins, the lowest id on ties.
    private int Race(int n, long drawIndex)
    {
        Grow(ref _noise, n);
        var (k0, k1) = SamplingNoise.Key(_seed, drawIndex);
        var scores = _noise.AsSpan(0, n);
        SamplingNoise.Exponentials(k0, k1, _ids.AsSpan(0, n), scores);
        TensorPrimitives.Divide(_weights.AsSpan(0, n), scores, scores);
        int best = TensorPrimitives.IndexOfMax(scores);
        if (float.IsNaN(scores[best]))
        {
            // A uniform draw rounds to 1 (its exponential to 0) once in 2^24: with a zero weight (a masked token, or one whose
            // probability underflowed) that is 0 / 0, and IndexOfMax returns the first NaN, a token that cannot be drawn.
            // Such a candidate loses the race; a positive weight over 0 is +∞ and wins, as the race says.
            foreach (ref float score in scores)
                if (float.IsNaN(score)) score = 0;
            best = TensorPrimitives.IndexOfMax(scores);
        }
        return _ids[best];
    }

    /// <summary>For tests: the surviving token ids in ascending order and their renormalised probabilities.</summary>
    internal (int[] Ids, float[] Probs) Candidates(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens)
    {
        int n = Candidates(logits, promptTokens, generatedTokens, out double total);
        var probs = new float[n];
        for (int i = 0; i < n; i++) probs[i] = (float)(_weights[i] / total);
        return (_ids.AsSpan(0, n).ToArray(), probs);
    }

    // Penalises a copy of the logits and filters it; leaves the candidates in _ids/_weights[0..n].
    private int Candidates(ReadOnlySpan<float> logits, ReadOnlySpan<int> promptTokens, ReadOnlySpan<int> generatedTokens, out double total)
    {
        ReadOnlySpan<float> source = logits;
        if (_penalties.IsActive)
        {
            Grow(ref _penalized, logits.Length);
            var copy = _penalized.AsSpan(0, logits.Length);
            logits.CopyTo(copy);
            _penalties.Apply(copy, promptTokens, generatedTokens);
            source = copy;
        }
        if (!Options.IsGreedy) return Filter(source, out total);

        Grow(ref _ids, 1);
        Grow(ref _weights, 1);
        _ids[0] = ArgMax(source);
        _weights[0] = 1f;
        total = 1;
        return 1;
    }

    // Temperature, top-k, top-p, min-p. Leaves the survivors in ascending id order in _ids/_weights[0..n] with their
    // unnormalised weights exp((logit - max) / T); total is their sum.
    private int Filter(ReadOnlySpan<float> logits, out double total)
    {
        int vocab = logits.Length;
        float max = MaxLogit(logits);
        float invT = 1f / Options.Temperature;
        Grow(ref _weights, vocab);
        Grow(ref _ids, vocab);

        int n;
        bool identity = false;      // _ids[0..n) not written yet: the candidates are the whole vocabulary in order
        if (Options.TopK > 0 && Options.TopK < vocab)
        {
            n = Options.TopK;
            TopKSelector.Select(logits, _ids.AsSpan(0, n), _weights.AsSpan(0, n));
            Array.Sort(_ids, _weights, 0, n);
            TensorPrimitives.Subtract(_weights.AsSpan(0, n), max, _weights.AsSpan(0, n));
        }
        else
        {
            n = vocab;
            identity = true;
            TensorPrimitives.Subtract(logits, max, _weights.AsSpan(0, n));           // no copy of the logits first
        }
        var w = _weights.AsSpan(0, n);
        TensorPrimitives.Multiply(w, invT, w);
        TensorPrimitives.Exp(w, w); // the most likely token has weight exp(0) = 1
        double z = SumChunks(n);    // softmax denominator over the top-k survivors: top-p is relative to it
        int unfiltered = n;

        // Min-p (p < MinP · pmax) and tokens that top-p must drop (p < (1 − P) / n, halved for rounding) go in one pass.
        // Dropping them first does not change top-p: every token ranked above a kept one is kept. The most likely token
        // always stays. pmax is measured, not assumed to be exp(0) = 1, in case a vectorised exp rounds it.
        float threshold = Options.MinP > 0f ? Options.MinP * TensorPrimitives.Max(w) : 0f;
        if (Options.TopP < 1f) threshold = Math.Max(threshold, (float)(0.5 * (1 - Options.TopP) * z / n));
        if (threshold > 0f) n = identity ? CompactVocabulary(n, threshold) : Compact(n, threshold);
        else if (identity)
            for (int i = 0; i < n; i++) _ids[i] = i;
        if (Options.TopP < 1f) n = (_nucleus ??= new NucleusFilter()).Apply(_ids, _weights, n, Options.TopP * z);

        total = n == unfiltered ? z : SumChunks(n);
        return n;
    }

    // Compact over the whole vocabulary in id order (ids not yet written): a sampling step keeps a few tokens of tens of
    // thousands, so whole vectors below the threshold are skipped and only the rest go through Compact's test, in order.
    private int CompactVocabulary(int n, float threshold)
    {
        int kept = 0, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            ref float w0 = ref _weights[0];
            for (; i + 8 <= n; i += 8)
            {
                if (Vector256.LessThanAll(Vector256.LoadUnsafe(ref w0, (nuint)i), t)) continue;
                for (int j = i; j < i + 8; j++) kept = Keep(j, j, kept, threshold);
            }
        }
        for (; i < n; i++) kept = Keep(i, i, kept, threshold);
        return kept;
    }

    // Compact's test for candidate i (id: its token), moved to position kept unless its weight is below the threshold.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private int Keep(int i, int id, int kept, float threshold)
    {
        if (_weights[i] < threshold) return kept;
        _ids[kept] = id;
        _weights[kept] = _weights[i];
        return kept + 1;
    }

    // Keeps the candidates whose weight is not below the threshold, in order.
    private int Compact(int n, float threshold)
    {
        int kept = 0;
        for (int i = 0; i < n; i++) kept = Keep(i, _ids[i], kept, threshold);
        return kept;
    }

    // Sums _weights[0..n] by chunk: vectorised within a chunk, double across chunks.
    private double SumChunks(int n)
    {
        double total = 0;
        for (int start = 0; start < n; start += Chunk) total += TensorPrimitives.Sum(_weights.AsSpan(start, Math.Min(Chunk, n - start)));
        return total;
    }

    private static float MaxLogit(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("The logits are empty.", nameof(logits));
        float max = TensorPrimitives.Max(logits); // NaN if any is NaN
        if (!float.IsFinite(max))
            throw new ArgumentException($"The logits have no finite maximum (max = {max}).", nameof(logits));
        return max;
    }

    // The lowest id among the maximal logits.
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        return logits.IndexOf(MaxLogit(logits));
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}
