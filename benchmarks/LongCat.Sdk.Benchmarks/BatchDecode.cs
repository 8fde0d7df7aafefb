using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// A batched decode step on lite-mini straight through the model (no engine): N sequences with 16-token prompts each decode one
/// token per step. Medians of the steps' times for 1 and N sequences in one process (alternating rounds after warm-up rounds,
/// so no tier-0 code is timed), or with <c>--profile</c> where an N-sequence step goes, op by op. A diagnosis tool for the
/// aggregate-decode figures of <c>longcat bench --streams N</c>, which adds the engine's loop and sampling.
/// </summary>
internal static class BatchDecode
{
    public static void Run(int streams, int steps, int rounds, bool profile, string? modelDir, WeightQuantization quantization = WeightQuantization.None)
    {
        string dir = modelDir ?? BenchCheckpoint.EnsureLiteMini();
        ProfilingBackend? prof = profile ? new ProfilingBackend(new CpuBackend(WeightResidency.Copied)) : null;
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = prof, Residency = WeightResidency.Copied, Quantization = quantization });
        if (prof is not null)
        {
            // Per op: ms per step with one sequence and with N, summed over alternating rounds after warm-up rounds.
            for (int i = 0; i < 3; i++) { Round(model, 1, steps); Round(model, streams, steps); }
            var sums = new Dictionary<string, (double One, double Many)>();
            for (int i = 0; i < rounds; i++)
                foreach (bool batched in new[] { false, true })
                {
                    Round(model, batched ? streams : 1, steps, afterPrefill: prof.Reset);
                    foreach (var (op, ms, _) in prof.Report(steps))
                    {
                        var (x1, xn) = sums.GetValueOrDefault(op);
                        sums[op] = batched ? (x1, xn + ms / rounds) : (x1 + ms / rounds, xn);
                    }
                }
            Console.WriteLine($"per decode step, ms (one sequence | {streams} sequences | ratio), {rounds} rounds of {steps} steps:");
            foreach (var (op, (x1, xn)) in sums.OrderByDescending(kv => kv.Value.Many))
                Console.WriteLine($"    {op,-26} {x1,8:F3} {xn,8:F3}  {xn / x1,5:F2}");
            Console.WriteLine($"    {"total",-26} {sums.Values.Sum(v => v.One),8:F3} {sums.Values.Sum(v => v.Many),8:F3}");
            prof.Dispose();
            return;
        }
        for (int i = 0; i < 3; i++) { Round(model, 1, steps); Round(model, streams, steps); }
        var one = new List<double>(); var many = new List<double>();
        for (int i = 0; i < rounds; i++) { one.Add(Round(model, 1, steps)); many.Add(Round(model, streams, steps)); }
        double a = Spread.Of(one).Median, b = Spread.Of(many).Median;
        // Each round's own ratio as well: the machine's speed drifts within a run, and a round's two halves run seconds apart.
        double paired = Spread.Of(one.Zip(many, (x1, xn) => streams * x1 / xn).ToList()).Median;
        Console.WriteLine($"step, 1 sequence:  median {a,8:F3} ms  {1e3 / a,8:F1} tok/s");
        Console.WriteLine($"step, {streams,2} sequences: median {b,8:F3} ms  {streams * 1e3 / b,8:F1} tok/s  = {streams * a / b:F2}x one sequence " +
                          $"(same run; {rounds} rounds of {steps} steps); median of the rounds' own ratios {paired:F2}x");
    }

    /// <summary>Prefills <paramref name="streams"/> sequences, then times <paramref name="steps"/> batched decode steps; ms per step.</summary>
    private static double Round(LongCatModel model, int streams, int steps, Action? afterPrefill = null)
    {
        var blocks = model.SessionBlocks;
        var tables = Enumerable.Range(0, streams).Select(_ => new BlockTable()).ToArray();
        var lengths = new int[streams];
        var last = new int[streams];
        try
        {
            for (int s = 0; s < streams; s++)
            {
                var prompt = Enumerable.Range(0, 16).Select(i => 100 + 37 * s + 13 * i).ToArray();
                Step(model, blocks, [tables[s]], [prompt], lengths.AsSpan(s, 1), last.AsSpan(s, 1));
            }
            afterPrefill?.Invoke();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
                Step(model, blocks, tables, last.Select(t => new[] { t }).ToArray(), lengths, last);
            return sw.Elapsed.TotalMilliseconds / steps;
        }
        finally
        {
            foreach (var t in tables) blocks.Free(t);
        }
    }

    private static void Step(LongCatModel model, KvCacheManager blocks, BlockTable[] tables, int[][] tokens, Span<int> lengths, Span<int> last)
    {
        var batch = new ForwardBatch();
        for (int s = 0; s < tables.Length; s++)
        {
            if (!blocks.TryReserve(tables[s], lengths[s] + tokens[s].Length)) throw new InvalidOperationException("KV cache full");
            batch.Chunks.Add(new SequenceChunk(tables[s].Blocks, lengths[s], tokens[s], [], AllLogits: false));
        }
        var result = model.Forward(batch);
        for (int s = 0; s < tables.Length; s++)
        {
            lengths[s] += tokens[s].Length;
            blocks.Commit(tables[s], lengths[s]);
            last[s] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(result.Row(s));
        }
    }
}
