using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Tests;

/// <summary>Golden fixture folders: those the repo carries (copied to the test output) plus any in LONGCAT_GOLDEN_DIRS.</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string Dir(string name) => Path.Combine(Root, name);

    /// <summary>The repository root (the folder holding LongCat.Sdk.sln) above the test output, or null.</summary>
    public static string? RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LongCat.Sdk.sln"))) return d.FullName;
        return null;
    }

    public static IEnumerable<string> GoldenDirs()
    {
        var dirs = Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, "golden.safetensors"))).OrderBy(d => d, StringComparer.Ordinal).ToList()
            : [];
        // Bundled models that carry goldens exported by their trainer (models/*/golden.safetensors), found from the test output upwards.
        if (RepoRoot() is { } root && Directory.Exists(Path.Combine(root, "models")))
            dirs.AddRange(Directory.GetDirectories(Path.Combine(root, "models"))
                .Where(d => File.Exists(Path.Combine(d, "golden.safetensors"))).OrderBy(d => d, StringComparer.Ordinal));
        var extra = Environment.GetEnvironmentVariable("LONGCAT_GOLDEN_DIRS");
        if (!string.IsNullOrWhiteSpace(extra))
            dirs.AddRange(extra.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Path.GetFullPath));
        return dirs;
    }

    /// <summary>(fixture dir, prompt index) for every prompt_pN in each golden file.</summary>
    public static IEnumerable<object[]> Prompts()
    {
        foreach (var dir in GoldenDirs())
        {
            using var g = SafetensorsFile.Open(Path.Combine(dir, "golden.safetensors"));
            for (int p = 0; g.Tensors.ContainsKey($"prompt_p{p}"); p++) yield return [dir, p];
        }
    }

    public static IEnumerable<object[]> Dirs() => GoldenDirs().Select(d => new object[] { d });

    /// <summary>(fixture dir, prompt index) of each golden file's last prompt (the fixtures' goldens hold three, a bundled model's may
    /// hold one).</summary>
    public static IEnumerable<object[]> LastPrompts() => Prompts().GroupBy(row => (string)row[0]).Select(g => g.Last());

    /// <summary>(fixture dir, prompt index) for every prompt whose golden file holds <c>{tensor}_pN</c>: rows that have something
    /// to check (an MTP golden only where the fixture has an MTP head, N-gram hashes only for Flash-Lite).</summary>
    public static IEnumerable<object[]> PromptsWith(string tensor) => Prompts().Where(row =>
    {
        using var g = SafetensorsFile.Open(Path.Combine((string)row[0], "golden.safetensors"));
        return g.Tensors.ContainsKey($"{tensor}_p{row[1]}");
    });

    public static string Name(string dir) => Path.GetFileName(dir.TrimEnd('/'));
}

/// <summary>A fixture's golden.safetensors and the tolerances its golden.json states.</summary>
internal sealed class Golden : IDisposable
{
    public Golden(string dir)
    {
        Dir = dir;
        File = SafetensorsFile.Open(Path.Combine(dir, "golden.safetensors"));
        using var json = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllBytes(Path.Combine(dir, "golden.json")));
        var tol = json.RootElement.GetProperty("tolerances_fp32_engine");
        LogitsTolerance = tol.GetProperty("logits_max_abs").GetSingle();
        HiddenTolerance = tol.GetProperty("hidden_p0_max_abs").GetSingle();
        MtpTolerance = tol.TryGetProperty("mtp_logits_max_abs", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Number ? m.GetSingle() : null;
    }

    public string Dir { get; }
    public SafetensorsFile File { get; }
    public float LogitsTolerance { get; }
    public float HiddenTolerance { get; }
    public float? MtpTolerance { get; }

    public bool Has(string name) => File.Tensors.ContainsKey(name);
    public int[] Ints(string name) => File.ReadInt32(name);
    public float[] Floats(string name) => File.ReadFloat32(name);
    public long[] Shape(string name) => File.Get(name).Shape;

    public void Dispose() => File.Dispose();
}

internal static class Compare
{
    /// <summary>Index and size of the largest |a − b|.</summary>
    public static (int Index, float Diff) MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.AreEqual(b.Length, a.Length, "length");
        int worst = -1;
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            float d = MathF.Abs(a[i] - b[i]);
            if (float.IsNaN(d)) return (i, float.NaN);
            if (d > max || worst < 0) { max = d; worst = i; }
        }
        return (worst, max);
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        var (i, d) = MaxAbsDiff(actual, expected);
        Assert.IsTrue(d <= tolerance, $"{what}: max |diff| {d} at {i} (expected {expected[i]}, got {actual[i]}) exceeds {tolerance}");
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
