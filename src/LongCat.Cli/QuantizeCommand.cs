using System.Diagnostics;
using LongCat.Sdk;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Cli;

/// <summary><c>longcat quantize --model IN --out OUT --preset P</c>: writes a quantized model folder (<see cref="CheckpointQuantizer"/>).</summary>
internal static class QuantizeCommand
{
    /// <summary>The presets as the CLI spells them.</summary>
    public static WeightQuantization ParsePreset(string? text, string option) => text switch
    {
        "q8" => WeightQuantization.Q8,
        "q4-experts" => WeightQuantization.Q4Experts,
        "q4" => WeightQuantization.Q4,
        "none" => WeightQuantization.None,
        null => throw new UsageException($"{option} is required (q8, q4-experts or q4)"),
        _ => throw new UsageException($"{option} '{text}' is not a preset: use q8, q4-experts or q4"),
    };

    public static int Run(CliArgs a, TextWriter output, TextWriter progress)
    {
        a.RejectUnknown("model", "out", "preset", "shard-size");
        string model = a.Get("model") ?? throw new UsageException("--model is required");
        string outDir = a.Get("out") ?? throw new UsageException("--out is required");
        var preset = ParsePreset(a.Get("preset"), "--preset");
        if (preset == WeightQuantization.None) throw new UsageException("--preset none writes nothing; use q8, q4-experts or q4");
        long shardBytes = a.Int("shard-size") is { } mb ? (mb > 0 ? mb * (1L << 20) : throw new UsageException("--shard-size must be positive"))
            : CheckpointQuantizer.DefaultShardBytes;
        var clock = Stopwatch.StartNew();
        int lastPercent = -1;
        CheckpointQuantizer.Run(model, outDir, preset, new SyncProgress(p =>
        {
            int percent = p.Total == 0 ? 100 : (int)(100 * p.Done / p.Total);
            if (percent == lastPercent) return;
            lastPercent = percent;
            progress.Write($"\rquantizing: {percent,3}%  {p.Done / 1e9:F2} / {p.Total / 1e9:F2} GB  {clock.Elapsed.TotalSeconds:F0} s");
        }), shardBytes);
        progress.WriteLine();
        long bytes = Directory.EnumerateFiles(outDir, "*.safetensors").Sum(f => new FileInfo(f).Length);
        output.WriteLine($"wrote {outDir}: {CheckpointQuantizer.PresetName(preset)}, {bytes / 1e9:F3} GB of weights in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<(long Done, long Total)> report) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value) => report(value);
    }
}
