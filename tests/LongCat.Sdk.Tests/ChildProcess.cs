using System.Diagnostics;

namespace LongCat.Sdk.Tests;

/// <summary>Runs a program to its end for a test (a build, an assembler, a script) and hands back its exit code and output.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="directory"/> (null: the current one),
    /// with <paramref name="environment"/> added to this process's variables. A run past <paramref name="limit"/> (default 8
    /// minutes: a guard against a hang, far beyond what any caller takes) is killed with its children and reported as exit -1.
    /// </summary>
    /// <returns>The exit code and standard output followed by standard error.</returns>
    public static (int Exit, string Output) Run(string file, IEnumerable<string> arguments, string? directory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (directory is not null) start.WorkingDirectory = directory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit ?? TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"{file}: killed after {limit ?? TimeSpan.FromMinutes(8)}\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The full path of <paramref name="name"/> found on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
