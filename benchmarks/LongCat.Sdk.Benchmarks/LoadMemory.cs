using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// <c>load-memory PRESET [--mapped]</c>: loads lite-mini with one quantization preset and prints the process's resident memory
/// (VmRSS, anonymous and file-backed parts) before and after, and the model's weight bytes. Run one preset per process (the shell
/// loop in docs/PERFORMANCE.md): memory freed by an earlier load would blur a later one.
/// </summary>
internal static class LoadMemory
{
    public static void Run(string preset, bool mapped)
    {
        var quantization = preset switch
        {
            "none" => WeightQuantization.None,
            "q8" => WeightQuantization.Q8,
            "q4-experts" => WeightQuantization.Q4Experts,
            "q4" => WeightQuantization.Q4,
            _ => throw new ArgumentException($"preset '{preset}': none, q8, q4-experts or q4"),
        };
        string dir = BenchCheckpoint.EnsureLiteMini();
        long checkpointBytes = Directory.GetFiles(dir, "*.safetensors").Sum(f => new FileInfo(f).Length);
        GC.Collect();
        var before = Status();
        var clock = Stopwatch.StartNew();
        using var model = LongCatModel.Load(dir, new ModelOptions
        {
            Quantization = quantization, Residency = mapped ? WeightResidency.Mapped : WeightResidency.Copied, KvCacheBlocks = 1, LoadMtp = false,
        });
        double seconds = clock.Elapsed.TotalSeconds;
        GC.Collect();
        var after = Status();
        Console.WriteLine($"{preset} ({(mapped ? "mapped" : "copied")}): checkpoint {checkpointBytes / 1e6:F1} MB, model weights {model.WeightBytes / 1e6:F1} MB, " +
                          $"load {seconds:F1} s; RSS {before.Rss / 1e6:F1} -> {after.Rss / 1e6:F1} MB (+{(after.Rss - before.Rss) / 1e6:F1}), " +
                          $"anonymous +{(after.Anon - before.Anon) / 1e6:F1} MB, file-backed +{(after.File - before.File) / 1e6:F1} MB, " +
                          $"managed heap {GC.GetTotalMemory(false) / 1e6:F1} MB");
    }

    /// <summary>VmRSS, RssAnon and RssFile of this process, in bytes.</summary>
    internal static (long Rss, long Anon, long File) Status()
    {
        long rss = 0, anon = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kb(line);
        }
        return (rss, anon, file);
    }

    /// <summary>The kB figure of a /proc line, in bytes ("VmRSS:\t12345678 kB": a wide value takes the padding, so split on tabs too).</summary>
    internal static long Kb(string line) => long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
