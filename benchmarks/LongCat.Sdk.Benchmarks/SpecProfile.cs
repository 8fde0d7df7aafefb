using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;
using System.Numerics.Tensors;

namespace LongCat.Sdk.Benchmarks;

/// <summary>Where a speculative step's time goes, op by op, next to a plain step's (a diagnostic, not a benchmark).</summary>
internal static class SpecProfile
{
    /// <summary>Profiles <paramref name="steps"/> greedy steps after <paramref name="promptText"/> (tokenized with the model's
    /// tokenizer.json; null: a fixed id prompt), the head drafting from <paramref name="draftVocabulary"/> tokens (as
    /// <see cref="ModelOptions.DraftVocabularySize"/>).</summary>
    public static void Run(string dir, int steps, string? promptText = null, int? draftVocabulary = null)
    {
        var prof = new ProfilingBackend(new LongCat.Sdk.Compute.Cpu.CpuBackend(WeightResidency.Copied));
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = prof, DraftVocabularySize = draftVocabulary });
        int[] prompt = promptText is null
            ? [1, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314]
            : LongCat.Sdk.Text.Tokenizer.FromFile(Path.Combine(dir, "tokenizer.json")).Encode(promptText);
        Console.WriteLine(model.DraftVocabulary is { } dv ? $"draft vocabulary: {dv.Count} tokens" : "draft vocabulary: the whole vocabulary");
        for (int round = 0; round < 5; round++)
        {
            prof.Enabled = round >= 3;                  // rounds 0-2 untimed per op: step totals without the profiler's cost
            // plain
            using (var s = model.CreateSession())
            {
                var l = s.Prefill(prompt);
                prof.Reset();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++) l = s.Decode(TensorPrimitives.IndexOfMax(l));
                sw.Stop();
                Console.WriteLine($"plain: {sw.Elapsed.TotalMilliseconds / steps:F4} ms/step");
                if (round == 4) foreach (var (op, ms, calls) in prof.Report(steps)) Console.WriteLine($"    {op,-28} {ms,7:F4} ms/step  {calls,4} calls/step");
            }
            // speculative, k = 1, as the engine does it (reserve, forward, commit, roll back through the sessions' block manager)
            {
                var kv = model.SessionBlocks;
                var table = new BlockTable();
                ForwardResult Run(int start, int[] chunk, bool all)
                {
                    kv.TryReserve(table, start + chunk.Length);
                    var r = model.Forward(new ForwardBatch { ReturnHidden = true, Chunks = { new SequenceChunk(table.Blocks, start, chunk, [], all) } });
                    kv.Commit(table, start + chunk.Length);
                    return r;
                }
                var tokens = new List<int>(prompt);
                var l = Run(0, prompt, false);
                tokens.Add(TensorPrimitives.IndexOfMax(l.Logits));
                kv.TryReserve(table, tokens.Count - 1);
                var d = model.Mtp!.Forward([new MtpChunk(table.Blocks, tokens.Count - 2, [tokens[^1]], false)], l.Hidden!, [prompt.Length - 1], draftVocabulary: true);
                int draft = DraftToken(model, d.Logits);
                prof.Reset();
                long tVerify = 0, tHead = 0; int accepted = 0, produced = 0;
                for (int i = 0; i < steps; i++)
                {
                    prof.Phase = "V ";
                    long t0 = Stopwatch.GetTimestamp();
                    int start = tokens.Count - 1;
                    var lg = Run(start, [tokens[^1], draft], true);
                    int a0 = TensorPrimitives.IndexOfMax(lg.Row(0));
                    int valid;
                    if (a0 == draft) { tokens.Add(draft); tokens.Add(TensorPrimitives.IndexOfMax(lg.Row(1))); valid = 2; accepted++; }
                    else { tokens.Add(a0); valid = 1; }
                    produced += valid;
                    kv.Truncate(table, start + valid);
                    long t1 = Stopwatch.GetTimestamp();
                    prof.Phase = "H ";
                    d = model.Mtp.Forward([new MtpChunk(table.Blocks, start, tokens.GetRange(start + 1, valid).ToArray(), false)], lg.Hidden!,
                        Enumerable.Range(0, valid).ToArray(), draftVocabulary: true);
                    draft = DraftToken(model, d.Logits);
                    long t2 = Stopwatch.GetTimestamp();
                    tVerify += t1 - t0; tHead += t2 - t1;
                    prof.Phase = "";
                }
                kv.Free(table);
                double f = 1000.0 / Stopwatch.Frequency / steps;
                Console.WriteLine($"spec: verify {tVerify * f:F4} + head {tHead * f:F4} ms/step, accepted {accepted}/{steps}, {(double)produced / steps:F2} tok/step");
                if (round == 4) foreach (var (op, ms, calls) in prof.Report(steps)) Console.WriteLine($"    {op,-28} {ms,7:F4} ms/step  {calls,4} calls/step");
            }
        }
    }

    /// <summary>The greedy draft: the argmax of the head's logits, over the draft vocabulary when the model has one.</summary>
    private static int DraftToken(LongCatModel model, ReadOnlySpan<float> logits)
    {
        int best = TensorPrimitives.IndexOfMax(logits);
        return model.DraftVocabulary is { } ids ? ids[best] : best;
    }
}
