// The `longcat` command. Until the tokenizer lands (issue 3) it works on token ids:
//   longcat generate --model DIR --prompt-ids 1,2,3 [--max-tokens N]   greedy continuation, with tokens/s
//   longcat inspect --model DIR                                         config, tensors, memory
using System.Diagnostics;
using System.Globalization;
using LongCat.Sdk;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

const string Usage = """
usage:
  longcat generate --model DIR --prompt-ids 1,2,3 [--max-tokens N]   greedy continuation of token ids
  longcat inspect  --model DIR                                         config, tensors with dtypes and bytes
""";

if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return 0; }
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help") { Console.WriteLine(Usage); return 0; }
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) { Console.Error.WriteLine($"unexpected '{args[i]}'\n{Usage}"); return 2; }
    options[args[i][2..]] = args[++i];
}
string model = options.GetValueOrDefault("model") ?? Path.Combine("tests", "fixtures", "tiny-a");
try
{
    switch (args[0])
    {
        case "generate": return Generate(model, options);
        case "inspect": return Inspect(model);
        default: Console.Error.WriteLine($"unknown command '{args[0]}'\n{Usage}"); return 2;
    }
}
catch (LongCatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Generate(string dir, Dictionary<string, string> o)
{
    var prompt = (o.GetValueOrDefault("prompt-ids") ?? "1").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    int max = int.Parse(o.GetValueOrDefault("max-tokens") ?? "32", CultureInfo.InvariantCulture);
    var load = Stopwatch.StartNew();
    using var m = LongCatModel.Load(dir);
    Console.Error.WriteLine($"loaded {dir}: {m.Config.Architecture}, {m.Config.NumLayers} blocks, {m.WeightBytes / 1e6:F1} MB of weights in {load.Elapsed.TotalSeconds:F2} s");
    using var session = m.CreateSession();
    var sw = Stopwatch.StartNew();
    var logits = session.Prefill(prompt);
    double prefill = sw.Elapsed.TotalSeconds;
    Console.Write(string.Join(' ', prompt) + " |");
    sw.Restart();
    for (int i = 0; i < max; i++)
    {
        int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
        Console.Write($" {next}");
        if (next == m.Config.EosTokenId) break;
        if (i + 1 < max) logits = session.Decode(next);
    }
    Console.WriteLine();
    Console.Error.WriteLine($"prefill {prompt.Length / prefill:F1} tok/s, decode {max / sw.Elapsed.TotalSeconds:F1} tok/s");
    return 0;
}

static int Inspect(string dir)
{
    var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
    Console.WriteLine(config);
    using var index = CheckpointIndex.Open(dir);
    foreach (var name in index.TensorNames.Order(StringComparer.Ordinal))
    {
        var (t, f) = index.Get(name);
        Console.WriteLine($"{name,-70} {t.DType.SafetensorsName(),-8} {t.ShapeText,-16} {t.Length,12:N0} B  {Path.GetFileName(f.Path)}");
    }
    Console.WriteLine($"{index.TotalBytes:N0} bytes of weights in {index.Files.Count} file(s)");
    return 0;
}
