using System.Globalization;
using System.Text.Json;
using LongCat.Sdk;

namespace LongCat.Cli;

/// <summary>
/// <c>longcat plan --config FILE | --model DIR [--memory SIZE] [--quantize P] [--bandwidth RATE] [--json]</c>: the memory plan
/// of a model (<see cref="MemoryPlan"/>) before loading it.
/// </summary>
internal static class PlanCommand
{
    public static int Run(CliArgs a, TextWriter output)
    {
        a.RejectUnknown("config", "model", "memory", "quantize", "bandwidth", "json", "device");
        string path = (a.Get("config"), a.Get("model")) switch
        {
            ({ } file, null) => file,
            (null, { } dir) => dir,
            (null, null) => throw new UsageException("--config FILE or --model DIR is required"),
            _ => throw new UsageException("give --config or --model, not both"),
        };
        if (a.Get("device") is { } device && device != "cpu")
            throw new UsageException($"--device {device}: only cpu plans are available (GPU placement is not planned yet)");
        var preset = a.Get("quantize") is { } q ? QuantizeCommand.ParsePreset(q, "--quantize") : WeightQuantization.None;
        long? budget = a.Get("memory") is { } m ? ParseSize(m, "--memory") : null;
        double? bandwidth = a.Get("bandwidth") is { } b ? ParseRate(b, "--bandwidth") : null;
        var plan = MemoryPlan.ForModel(path, preset, budget, bandwidth);
        if (a.Has("json")) WriteJson(plan, output);
        else WriteText(plan, output);
        return 0;
    }

    /// <summary>A memory size: bytes, or a number with K/M/G/T and an optional B or iB; both spellings are binary (a "32 GB"
    /// machine has 32 GiB).</summary>
    public static long ParseSize(string text, string option)
    {
        var (number, unit) = Split(text);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0))
            throw new UsageException($"{option} '{text}' is not a positive size");
        long scale = unit.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => throw new UsageException($"{option} '{text}': unknown unit '{unit}' (use B, KB, MB, GB or TB)"),
        };
        if (value * scale > long.MaxValue / 2) throw new UsageException($"{option} '{text}' is too large");
        return (long)(value * scale);
    }

    /// <summary>A bandwidth: bytes/s, or a number with KB/s, MB/s, GB/s (decimal, as bandwidths are quoted).</summary>
    public static double ParseRate(string text, string option)
    {
        string t = text.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text;
        var (number, unit) = Split(t);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0))
            throw new UsageException($"{option} '{text}' is not a positive rate");
        double scale = unit.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            _ => throw new UsageException($"{option} '{text}': unknown unit '{unit}' (use GB/s or MB/s)"),
        };
        if (!double.IsFinite(value * scale)) throw new UsageException($"{option} '{text}' is not a positive rate");
        return value * scale;
    }

    private static (string Number, string Unit) Split(string text)
    {
        string t = text.Trim();
        int i = t.Length > 0 && t[0] is '-' or '+' ? 1 : 0;
        while (i < t.Length && (char.IsDigit(t[i]) || t[i] == '.')) i++;
        return (t[..i], t[i..].Trim());
    }

    private static void WriteText(MemoryPlan plan, TextWriter o)
    {
        o.WriteLine($"{"group",-18} {"format",-9} {"parameters",14} {"bytes",12} {"placement",-9} {"per token",12}");
        foreach (var g in plan.Groups)
            o.WriteLine($"{g.Name,-18} {g.Format,-9} {g.Parameters / 1e9,13:F3}B {Gb(g.Bytes),12} {g.Placement.ToString().ToLowerInvariant(),-9} {Mb(g.BytesPerToken),12}");
        o.WriteLine($"resident {Gb(plan.ResidentBytes)}, mapped {Gb(plan.MappedBytes)}, runtime (estimate) {Gb(plan.RuntimeBytes)}; " +
                    $"KV cache {plan.KvBytesPerToken / 1024.0:F1} KiB per token; a decoded token reads {Mb(plan.BytesPerToken)} of weights");
        if (plan.MemoryBudget is { } budget)
            o.WriteLine(plan.Fits == true
                ? $"fits {Gb(budget)}: room for {plan.KvTokens:N0} KV tokens beside the weights and the runtime"
                : $"does not fit {Gb(budget)}: {Gb(plan.ResidentBytes + plan.RuntimeBytes + MemoryPlan.MinimumKvTokens * plan.KvBytesPerToken)} needed " +
                  $"with {MemoryPlan.MinimumKvTokens} KV tokens; largest: {string.Join(", ", plan.Groups.Where(g => g.Placement == MemoryPlacement.Resident).OrderByDescending(g => g.Bytes).Take(2).Select(g => $"{g.Name} {Gb(g.Bytes)} ({g.Format})"))}" +
                  (plan.Quantization == WeightQuantization.None ? "; try --quantize q4-experts" : ""));
        if (plan.DecodeTokensPerSecond is { } tps)
            o.WriteLine($"decode at {plan.Bandwidth / 1e9:F0} GB/s: at most {tps:F1} tokens/s for one sequence");
    }

    private static string Gb(long bytes) => $"{bytes / (double)(1L << 30):F2} GiB";

    private static string Mb(long bytes) => $"{bytes / (double)(1L << 20):F1} MiB";

    private static void WriteJson(MemoryPlan plan, TextWriter o)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("quantization", plan.Quantization.ToString());
            w.WriteNumber("resident_bytes", plan.ResidentBytes);
            w.WriteNumber("mapped_bytes", plan.MappedBytes);
            w.WriteNumber("runtime_bytes", plan.RuntimeBytes);
            w.WriteNumber("kv_bytes_per_token", plan.KvBytesPerToken);
            w.WriteNumber("bytes_per_token", plan.BytesPerToken);
            if (plan.MemoryBudget is { } budget) w.WriteNumber("memory_bytes", budget); else w.WriteNull("memory_bytes");
            if (plan.Fits is { } fits) w.WriteBoolean("fits", fits); else w.WriteNull("fits");
            if (plan.KvTokens is { } kv) w.WriteNumber("kv_tokens", kv); else w.WriteNull("kv_tokens");
            if (plan.DecodeTokensPerSecond is { } tps) w.WriteNumber("decode_tokens_per_s", Math.Round(tps, 2)); else w.WriteNull("decode_tokens_per_s");
            w.WriteStartArray("groups");
            foreach (var g in plan.Groups)
            {
                w.WriteStartObject();
                w.WriteString("name", g.Name);
                w.WriteString("format", g.Format);
                w.WriteNumber("parameters", g.Parameters);
                w.WriteNumber("bytes", g.Bytes);
                w.WriteString("placement", g.Placement.ToString().ToLowerInvariant());
                w.WriteNumber("bytes_per_token", g.BytesPerToken);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        o.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
