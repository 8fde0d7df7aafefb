using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Benchmarks;

/// <summary>The canonical benchmark checkpoint: benchmarks/lite-mini/config.json with seeded random BF16 weights, generated once.</summary>
internal static class BenchCheckpoint
{
    public const int Seed = 1;

    public static string ConfigPath
    {
        get
        {
            // Above the binaries (dotnet run), else above the working directory (a published copy run from the repository).
            foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    var p = Path.Combine(dir.FullName, "benchmarks", "lite-mini", "config.json");
                    if (File.Exists(p)) return p;
                }
            throw new FileNotFoundException($"benchmarks/lite-mini/config.json not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
        }
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
