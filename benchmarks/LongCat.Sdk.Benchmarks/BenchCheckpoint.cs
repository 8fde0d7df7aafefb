using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Benchmarks;

/// <summary>The canonical benchmark checkpoint: benchmarks/lite-mini/config.json with seeded random BF16 weights, generated once.</summary>
internal static class BenchCheckpoint
{
    public const int Seed = 1;

    public static string ConfigPath
    {
        // Above the binaries (dotnet run), else above the working directory (a published copy run from the repository).
        get => FindAbove(Path.Combine("benchmarks", "lite-mini", "config.json"))
            ?? throw new FileNotFoundException($"benchmarks/lite-mini/config.json not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
    }

    /// <summary>The bundled demo model (models/longcat-demo above the binaries or the working directory).</summary>
    public static string DemoModel => FindAbove(Path.Combine("models", "longcat-demo", "config.json")) is { } config
        ? Path.GetDirectoryName(config)!
        : throw new DirectoryNotFoundException("models/longcat-demo not found above the benchmark binaries or the working directory");

    private static string? FindAbove(string relative)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var p = Path.Combine(dir.FullName, relative);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    /// <summary>Directory of the generated checkpoint (under the temp folder; regenerated when the config changes).</summary>
    public static string EnsureLiteMini()
    {
        string config = File.ReadAllText(ConfigPath);
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(config + Seed)))[..12];
        string dir = Path.Combine(Path.GetTempPath(), "longcat-bench", "lite-mini-" + key);
        if (!File.Exists(Path.Combine(dir, CheckpointIndex.IndexFileName)))
        {
            string tmp = dir + ".tmp";
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            RandomCheckpoint.Write(ConfigPath, tmp, Seed);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            Directory.Move(tmp, dir);
        }
        return dir;
    }
}
