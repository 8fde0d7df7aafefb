// Writes a LongCat checkpoint with seeded random weights for any config.json:
//   dotnet run --project tools/LongCat.RandomCheckpoint -- --config benchmarks/lite-mini/config.json --out /tmp/lite-mini [--seed 1] [--dtype bf16|f16|f32]
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

string? config = null, output = null;
int seed = 1;
var dtype = DType.BF16;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--config": config = Next(); break;
        case "--out": output = Next(); break;
        case "--seed": seed = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--dtype":
            dtype = Next().ToLowerInvariant() switch
            {
                "bf16" => DType.BF16, "f16" => DType.F16, "f32" => DType.F32,
                var d => throw new ArgumentException($"--dtype {d}: expected bf16, f16 or f32"),
            };
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: LongCat.RandomCheckpoint --config CONFIG.json --out DIR [--seed N] [--dtype bf16|f16|f32]");
            return 0;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (config is null || output is null)
{
    Console.Error.WriteLine("usage: LongCat.RandomCheckpoint --config CONFIG.json --out DIR [--seed N] [--dtype bf16|f16|f32]");
    return 2;
}
var sw = System.Diagnostics.Stopwatch.StartNew();
RandomCheckpoint.Write(config, output, seed, dtype);
using var index = CheckpointIndex.Open(output);
Console.WriteLine($"wrote {index.Files.Count} shard(s), {index.TotalBytes / 1e9:F3} GB of weights, to {output} in {sw.Elapsed.TotalSeconds:F1} s");
return 0;
