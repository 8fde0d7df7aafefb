using System.Globalization;

namespace LongCat.Cli;

/// <summary>"--name value" options (repeatable), "--flag" switches and positional arguments, with typed getters that name the option on error.</summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> switches)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) && a != "-h") { Positional.Add(a); continue; }
            string name = a == "-h" ? "help" : a[2..];
            if (switches.Contains(name)) { _switches.Add(name); continue; }
            if (i + 1 >= list.Count) throw new UsageException($"option --{name} needs a value");
            (_options.TryGetValue(name, out var values) ? values : _options[name] = []).Add(list[++i]);
        }
    }

    public List<string> Positional { get; } = [];
    public bool Has(string name) => _switches.Contains(name);
    public string? Get(string name) => _options.TryGetValue(name, out var v) ? v[^1] : null;
    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var v) ? v : [];
    public IEnumerable<string> Names => _options.Keys;

    public int? Int(string name) => Get(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"--{name}: '{s}' is not an integer")
        : null;

    public float? Float(string name) => Get(name) is { } s
        ? float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new UsageException($"--{name}: '{s}' is not a number")
        : null;

    public void RejectUnknown(params string[] known)
    {
        foreach (var n in _options.Keys) if (!known.Contains(n)) throw new UsageException($"unknown option --{n}");
    }
}

/// <summary>A command line the CLI cannot run; printed with the command's help.</summary>
internal sealed class UsageException(string message) : Exception(message);
