using System.Diagnostics;
using System.Text.Json;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Structured;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Issue 19: what a JSON-schema constraint costs per decode step on a 131,072-token vocabulary, against a lite-mini decode
/// step in the same run, and how long a schema takes to compile. In order: (a) lite-mini's greedy decode through
/// <see cref="LongCatEngine"/> (Copied, no speculation), each step timed from the stream's updates after 508 untimed steps;
/// then for each vocabulary (<see cref="BenchVocabulary.Synthetic"/>, <see cref="BenchVocabulary.Qwen3"/>): (b) the nested
/// schema's per-step cost on sampled outputs, first pass (fresh mask cache) and warm (replays), and a two-token speculative
/// Accept + Rollback; (c) compile times through a fresh <see cref="StructuredOutputCache"/>. The JIT is settled before each
/// timing (never tier-0 code): untimed rounds of the same calls on another schema or a throwaway cache first.
/// </summary>
internal static class QuickConstraint
{
    private const int Walks = 16;                 // sampled outputs per vocabulary (seeds 1..16)
    private const int SteerAfter = 160;           // tokens before a walk heads for the end
    private const int WarmSteps = 30_000;         // timed warm steps, at least

    public static void Run(int steps)
    {
        Console.WriteLine($"quick-constraint, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        var decode = DecodeSteps(steps, warmUpRounds: 4);
        Console.WriteLine($"lite-mini decode step through the engine ({decode.Count} steps): median {decode.Median / 1e3:F2} ms, " +
                          $"p90 {decode.P90 / 1e3:F2} ms, mean {decode.Mean / 1e3:F2} ms");
        var results = new List<(string Name, Spread Constraint, Spread WithMask, Spread FirstPass)>();
        var build = Stopwatch.StartNew();
        foreach (var make in new Func<BenchVocabulary>[] { () => BenchVocabulary.Synthetic(), BenchVocabulary.Qwen3 })
        {
            build.Restart();
            var v = make();
            double built = build.Elapsed.TotalMilliseconds;
            build.Restart();
            _ = v.Vocabulary.Trie;
            Console.WriteLine();
            Console.WriteLine(v.Describe());
            Console.WriteLine($"  built in {built:F0} ms, its token trie ({v.Vocabulary.Trie.Count:N0} nodes) in {build.Elapsed.TotalMilliseconds:F0} ms (once per engine)");
            var (constraint, withMask, first) = Constraint(v, decode.Median);
            results.Add((v.Name, constraint, withMask, first));
            Compile(v);
        }
        // The decode step again, at the end: a step that moved means the machine was not quiet.
        var after = DecodeSteps(steps, warmUpRounds: 1);
        Console.WriteLine();
        Console.WriteLine($"lite-mini decode step again: median {after.Median / 1e3:F2} ms (start {decode.Median / 1e3:F2} ms)");
        double step = Math.Min(decode.Median, after.Median);
        foreach (var (name, constraint, withMask, first) in results)
            Console.WriteLine($"{name}: per step / decode step ({step / 1e3:F2} ms, the faster median): constraint mean {constraint.Mean / step:F5} " +
                              $"(p90 {constraint.P90 / step:F5}); with the logits mask mean {withMask.Mean / step:F4} (p90 {withMask.P90 / step:F4}); " +
                              $"first pass mean {first.Mean / step:F4} (p90 {first.P90 / step:F4})  [target <= 0.10]");
    }

    // Per-token times (µs) of greedy decode through the engine: the gaps between the stream's updates.
    private static Spread DecodeSteps(int steps, int warmUpRounds)
    {
        string dir = BenchCheckpoint.EnsureLiteMini();
        using var engine = LongCatEngine.LoadAsync(dir, new LongCatOptions { Residency = WeightResidency.Copied, Speculative = SpeculativeOptions.None })
            .GetAwaiter().GetResult();
        int[] prompt = [.. Enumerable.Range(100, 16)];
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 128, IgnoreEos = true };
        for (int i = 0; i < warmUpRounds; i++) Generate(engine, prompt, options, []);   // tier-0 code is never timed
        Thread.Sleep(1000);                                                          // background tier-1 compiles finish
        var times = new List<double>();
        while (times.Count < steps) Generate(engine, prompt, options with { MaxTokens = Math.Min(steps - times.Count, 256) + 1 }, times);
        return Spread.Of(times);
    }

    private static void Generate(LongCatEngine engine, int[] prompt, GenerationOptions options, List<double> times)
    {
        Task.Run(async () =>
        {
            long previous = 0;
            await foreach (var u in engine.GenerateAsync(prompt, options))
            {
                long now = Stopwatch.GetTimestamp();
                if (previous != 0 && u.TokenIds.Count > 0)
                    for (int k = 0; k < u.TokenIds.Count; k++) times.Add((now - previous) * 1e6 / Stopwatch.Frequency / u.TokenIds.Count);
                if (u.TokenIds.Count > 0) previous = now;
            }
        }).GetAwaiter().GetResult();
    }

    private static TokenMaskCache Masks(BenchVocabulary v, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return new TokenMaskCache(JsonSchemaCompiler.Compile(document.RootElement), v.Vocabulary);
    }

    private static JsonSchemaConstraint Fresh(TokenMaskCache masks, BenchVocabulary v) => new(masks, [v.EndToken]);

    private static (Spread Constraint, Spread WithMask, Spread FirstPass) Constraint(BenchVocabulary v, double decodeStep)
    {
        var walk = new ConstraintWalk(v);
        // JIT: sampled walks on another schema and on a throwaway cache of this one, replays, speculation; then a pause.
        var logits = new float[v.Vocabulary.Size];
        var rng = new Random(7);
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)rng.NextDouble();
        var row = new float[logits.Length];
        List<double> scratch = [];
        foreach (string schema in new[] { ConstraintSchemas.Calendar, ConstraintSchemas.Nested })
        {
            var masks = Masks(v, schema);
            for (int seed = 100; seed < 108; seed++)
            {
                var tokens = walk.Sample(Fresh(masks, v), seed, SteerAfter);
                for (int r = 0; r < 4; r++) walk.Replay(Fresh(masks, v), tokens, logits, row, scratch, scratch, scratch);
                walk.Speculate(Fresh(masks, v), tokens, scratch);
            }
        }
        Thread.Sleep(1000);

        // First pass: a fresh mask cache walks seed 1's output (the same tokens each time: the masks are the same); five caches.
        var first = new List<double>();
        var firstTotals = new List<double>();
        List<int> output = [];
        for (int r = 0; r < 5; r++)
        {
            int before = first.Count;
            output = walk.Sample(Fresh(Masks(v, ConstraintSchemas.Nested), v), seed: 1, SteerAfter, first);
            firstTotals.Add(first.Skip(before).Sum());
        }

        // Warm: one cache; seeds 1..16 sampled (untimed: it fills the cache), then replayed until WarmSteps steps are timed.
        var warm = Masks(v, ConstraintSchemas.Nested);
        var outputs = Enumerable.Range(1, Walks).Select(seed => walk.Sample(Fresh(warm, v), seed, SteerAfter)).ToList();
        List<double> fill = [], accept = [], mask = [], speculative = [];
        foreach (var tokens in outputs) walk.Replay(Fresh(warm, v), tokens, logits, row, scratch, scratch, scratch);
        while (fill.Count < WarmSteps)
            foreach (var tokens in outputs) walk.Replay(Fresh(warm, v), tokens, logits, row, fill, accept, mask);
        for (int r = 0; r < 4; r++)
            foreach (var tokens in outputs) walk.Speculate(Fresh(warm, v), tokens, speculative);
        var constraint = fill.Zip(accept, (f, a) => f + a).ToList();
        var engineSide = constraint.Zip(mask, (c, m) => c + m).ToList();

        var lengths = outputs.Select(o => o.Count).Order().ToArray();
        Console.WriteLine($"  nested schema: {warm.Grammar.StateCount:N0} automaton states, {warm.CachedStates:N0} masks cached after {Walks} outputs " +
                          $"of {lengths[0]}-{lengths[^1]} tokens (median {lengths[lengths.Length / 2]}); seed 1: {output.Count} tokens, " +
                          $"\"{Text(v, output, 90)}\"");
        Console.WriteLine($"  {"per step, µs",-46} {"median",8} {"p90",8} {"mean",8} {"max",9}   median/decode  mean/decode");
        Row("first pass, Fill + Accept (5 fresh caches)", Spread.Of(first), decodeStep);
        Row("warm: FillNextTokenBitmask", Spread.Of(fill), decodeStep);
        Row("warm: Accept", Spread.Of(accept), decodeStep);
        Row("warm: Fill + Accept (the constraint)", Spread.Of(constraint), decodeStep);
        Row("warm: mask on 131,072 logits + empty check", Spread.Of(mask), decodeStep);
        Row("warm: constraint + logits mask", Spread.Of(engineSide), decodeStep);
        Row("speculative: Accept ×2 + Rollback(2)", Spread.Of(speculative), decodeStep);
        Console.WriteLine($"  first pass, whole output of seed 1: median {Spread.Of(firstTotals).Median / 1e3:F1} ms over {output.Count} tokens " +
                          $"({Spread.Of(firstTotals).Median / output.Count / decodeStep:F3} decode steps per token)");
        return (Spread.Of(constraint), Spread.Of(engineSide), Spread.Of(first));
    }

    private static void Row(string name, Spread s, double decodeStep) =>
        Console.WriteLine($"  {name,-46} {s.Median,8:F1} {s.P90,8:F1} {s.Mean,8:F1} {s.Max,9:F0}   {s.Median / decodeStep,13:F4} {s.Mean / decodeStep,12:F4}");

    private static string Text(BenchVocabulary v, List<int> tokens, int chars)
    {
        var bytes = tokens.Where(v.Vocabulary.IsText).SelectMany(t => v.Vocabulary.Bytes(t).ToArray()).ToArray();
        string text = System.Text.Encoding.UTF8.GetString(bytes).Replace("\n", "\\n", StringComparison.Ordinal);
        return text.Length <= chars ? text : text[..chars] + "…";
    }

    // Compile through a fresh StructuredOutputCache (what a request with a new schema pays), median of 20, after 20 untimed
    // compiles of another schema; "+ first mask": the same, then the first FillNextTokenBitmask (masks are computed lazily).
    private static void Compile(BenchVocabulary v)
    {
        var mask = new uint[Serving.TokenConstraint.BitmaskWords(v.Vocabulary.Size)];
        (Spread Compile, Spread FirstMask, double First) Time(string schema)
        {
            List<double> compile = [], withMask = [];
            for (int i = 0; i < 20; i++)
            {
                var cache = new StructuredOutputCache(v.Vocabulary);
                long t0 = Stopwatch.GetTimestamp();
                var c = cache.ForJsonSchema(schema, [v.EndToken]);
                long t1 = Stopwatch.GetTimestamp();
                c.FillNextTokenBitmask(mask);
                long t2 = Stopwatch.GetTimestamp();
                compile.Add((t1 - t0) * 1e3 / Stopwatch.Frequency);
                withMask.Add((t2 - t0) * 1e3 / Stopwatch.Frequency);
            }
            return (Spread.Of(compile), Spread.Of(withMask), compile[0]);
        }
        Time(ConstraintSchemas.Calendar);
        foreach (var (name, schema) in new[]
                 {
                     ("weather tool", ConstraintSchemas.Weather), ("nested schema", ConstraintSchemas.Nested),
                     ("nested, no min/maxLength", ConstraintSchemas.WithoutLengths(ConstraintSchemas.Nested)),
                 })
        {
            var (compile, first, once) = Time(schema);
            using var document = JsonDocument.Parse(schema);
            int states = JsonSchemaCompiler.Compile(document.RootElement).StateCount;
            Console.WriteLine($"  compile {name,-24} ({states,5:N0} states): median {compile.Median:F2} ms (first {once:F2}, max {compile.Max:F2}); + first mask: median {first.Median:F2} ms (max {first.Max:F2})  [target < 50 ms]");
        }
    }
}
