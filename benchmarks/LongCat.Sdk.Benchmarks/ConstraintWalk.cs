using System.Diagnostics;
using System.Numerics;
using LongCat.Sdk.Serving;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Drives a <see cref="JsonSchemaConstraint"/> over a 131,072-token vocabulary the way the engine does for one sequence:
/// per step a mask (<see cref="JsonSchemaConstraint.FillNextTokenBitmask"/>), a token, <see cref="JsonSchemaConstraint.Accept"/>.
/// <see cref="Sample"/> chooses tokens like a sampling model would (seeded; longer tokens and structural ones preferred, so
/// strings close after a few tokens; after <c>steerAfter</c> tokens it heads for the end); <see cref="Replay"/> and
/// <see cref="Speculate"/> repeat a sampled output with nothing but the constraint's own calls between the timestamps.
/// Times are in microseconds. One walker per thread: it owns the mask and scratch.
/// </summary>
internal sealed class ConstraintWalk(BenchVocabulary v)
{
    private readonly uint[] _mask = new uint[TokenConstraint.BitmaskWords(v.Vocabulary.Size)];
    private readonly int[] _allowed = new int[v.Vocabulary.Size];
    private readonly double[] _weight = new double[v.Vocabulary.Size];

    private static double Micros(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;

    /// <summary>One sampled output, ending with the end token; each step's Fill + Accept time added to <paramref name="times"/>.</summary>
    public List<int> Sample(JsonSchemaConstraint c, int seed, int steerAfter, List<double>? times = null, int maxTokens = 4_000)
    {
        var rng = new Random(seed);
        var output = new List<int>();
        while (!c.IsComplete)
        {
            if (output.Count == maxTokens) throw new InvalidOperationException($"{v.Name}: no end within {maxTokens} tokens (seed {seed})");
            long t0 = Stopwatch.GetTimestamp();
            c.FillNextTokenBitmask(_mask);
            long t1 = Stopwatch.GetTimestamp();
            int token = output.Count < steerAfter ? Likely(rng) : TowardsEnd(rng);
            long t2 = Stopwatch.GetTimestamp();
            c.Accept(token);
            long t3 = Stopwatch.GetTimestamp();
            times?.Add(Micros(t0, t1) + Micros(t2, t3));
            output.Add(token);
        }
        return output;
    }

    /// <summary><paramref name="tokens"/> again on a fresh constraint: per step Fill, Accept, and the engine's use of the mask
    /// (<see cref="TokenConstraint.Mask"/> on a logits row, then its empty check, as <c>TokenChooser</c> does).</summary>
    public void Replay(JsonSchemaConstraint c, List<int> tokens, float[] logits, float[] row, List<double> fill, List<double> accept, List<double> mask)
    {
        foreach (int token in tokens)
        {
            logits.CopyTo(row, 0);
            long t0 = Stopwatch.GetTimestamp();
            c.FillNextTokenBitmask(_mask);
            long t1 = Stopwatch.GetTimestamp();
            TokenConstraint.Mask(row, _mask);
            bool empty = _mask.AsSpan().IndexOfAnyExcept(0u) < 0;
            long t2 = Stopwatch.GetTimestamp();
            c.Accept(token);
            long t3 = Stopwatch.GetTimestamp();
            if (empty) throw new InvalidOperationException($"{v.Name}: empty mask on replay");
            fill.Add(Micros(t0, t1));
            mask.Add(Micros(t1, t2));
            accept.Add(Micros(t2, t3));
        }
    }

    /// <summary><paramref name="tokens"/> again, and at every step but the last two a speculative try: Accept the next two
    /// tokens, then Rollback(2) (a rejected two-token draft), timed together.</summary>
    public void Speculate(JsonSchemaConstraint c, List<int> tokens, List<double> times)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            c.FillNextTokenBitmask(_mask);
            if (i + 2 < tokens.Count)
            {
                long t0 = Stopwatch.GetTimestamp();
                c.Accept(tokens[i]);
                c.Accept(tokens[i + 1]);
                c.Rollback(2);
                times.Add(Micros(t0, Stopwatch.GetTimestamp()));
            }
            c.Accept(tokens[i]);
        }
    }

    // The allowed ids of _mask into _allowed; returns how many.
    private int Allowed()
    {
        int n = 0;
        for (int w = 0; w < _mask.Length; w++)
            for (uint bits = _mask[w]; bits != 0; bits &= bits - 1) _allowed[n++] = w * 32 + BitOperations.TrailingZeroCount(bits);
        if (n == 0) throw new InvalidOperationException($"{v.Name}: the constraint allows no token");
        return n;
    }

    // Weight ∝ length² (a model's likely token is a long one), ×10 for a token holding JSON structure (a string closes
    // within a few tokens, as a model's short values do).
    private int Likely(Random rng)
    {
        int n = Allowed();
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            int id = _allowed[i];
            if (id == v.EndToken) return id;
            var bytes = v.Vocabulary.Bytes(id);
            double w = bytes.Length * bytes.Length * (bytes.IndexOfAny("\",:]}"u8) >= 0 ? 10.0 : 1.0);
            total += w;
            _weight[i] = total;
        }
        double r = rng.NextDouble() * total;
        int at = Array.BinarySearch(_weight, 0, n, r);
        return _allowed[Math.Min(at < 0 ? ~at : at, n - 1)];
    }

    // The end token when allowed; else a token that starts by closing (a quote, ']' or '}', longer ones first); else a
    // one-byte token that opens nothing; else a shortest token.
    private int TowardsEnd(Random rng)
    {
        int n = Allowed();
        int best = -1, bestLength = 0, ties = 0;
        for (int i = 0; i < n; i++)
        {
            int id = _allowed[i];
            if (id == v.EndToken) return id;
            var bytes = v.Vocabulary.Bytes(id);
            if (bytes[0] is (byte)'"' or (byte)']' or (byte)'}' && bytes.Length >= bestLength)
            {
                ties = bytes.Length > bestLength ? 1 : ties + 1;
                bestLength = bytes.Length;
                if (rng.Next(ties) == 0) best = id;
            }
        }
        if (best >= 0) return best;
        int shortest = int.MaxValue;
        for (int i = 0; i < n; i++) shortest = Math.Min(shortest, v.Vocabulary.Bytes(_allowed[i]).Length);
        var pool = new List<int>();
        for (int i = 0; i < n; i++)
            if (v.Vocabulary.Bytes(_allowed[i]) is { Length: 1 } b && b[0] is not ((byte)',' or (byte)'[' or (byte)'{')) pool.Add(_allowed[i]);
        if (pool.Count == 0)
            for (int i = 0; i < n; i++)
                if (v.Vocabulary.Bytes(_allowed[i]).Length == shortest) pool.Add(_allowed[i]);
        return pool[rng.Next(pool.Count)];
    }
}
