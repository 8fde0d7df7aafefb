using System.Globalization;

namespace LongCat.Samples;

/// <summary>
/// What every sample reads from its command line and environment: the model folder (<c>--model</c>, <c>LONGCAT_MODEL</c>, else the
/// bundled models/longcat-demo found upwards from the working directory, as the longcat CLI finds it), a token bound per answer
/// (<c>--max-tokens</c>, <c>LONGCAT_MAX_TOKENS</c>; CI sets it so runs finish quickly) and prompts (<c>--prompt</c>, repeatable).
/// </summary>
internal sealed class SampleArgs
{
    public string ModelDir { get; private init; } = "";
    public int MaxTokens { get; private init; }
    public List<string> Prompts { get; } = [];

    public static SampleArgs Parse(string[] args, int defaultMaxTokens)
    {
        string? model = Environment.GetEnvironmentVariable("LONGCAT_MODEL");
        string? max = Environment.GetEnvironmentVariable("LONGCAT_MAX_TOKENS");
        var prompts = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--max-tokens": max = Value(); break;
                case "--prompt": prompts.Add(Value()); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Use --model DIR, --max-tokens N, --prompt TEXT.");
            }
        }
        var parsed = new SampleArgs
        {
            ModelDir = model ?? FindDemoModel(),
            MaxTokens = max is null ? defaultMaxTokens : int.Parse(max, CultureInfo.InvariantCulture),
        };
        parsed.Prompts.AddRange(prompts);
        return parsed;
    }

    private static string FindDemoModel()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "models", "longcat-demo");
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        throw new DirectoryNotFoundException("No --model given and the bundled demo model (models/longcat-demo) was not found.");
    }
}
