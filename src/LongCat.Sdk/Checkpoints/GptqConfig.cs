using System.Text.Json;
using System.Text.RegularExpressions;

namespace LongCat.Sdk.Checkpoints;

/// <summary>The quantization scheme of one layer: bits, group size (columns per scale) and whether it is symmetric.</summary>
internal readonly record struct GptqScheme(int Bits, int GroupSize, bool Sym)
{
    /// <summary>16-bit (or wider) layers are stored as plain weights.</summary>
    public bool Quantized => Bits < 16;
}

/// <summary>
/// A GPTQ or AutoRound int <c>quantization_config</c> (config.json): the global scheme, the packing and its zero convention, and
/// the per-layer overrides of <c>extra_config</c>. Which linears are packed is read from the checkpoint (a <c>.qweight</c> beside
/// the layer name); this says how to read them.
/// </summary>
/// <remarks>
/// Zero conventions (intel/auto-round <c>inference/backend.py</c>): <c>auto_round:auto_gptq</c> (AutoRound's sym int export,
/// also spelled <c>auto_round:gptq</c> or <c>auto</c>) and <c>quant_method: gptq</c> with <c>checkpoint_format: gptq</c> store
/// zero − 1; <c>auto_round</c>, <c>auto_round:gptqmodel</c> and GPTQModel's <c>gptq_v2</c> store the zero. AWQ packing is refused.
/// </remarks>
internal sealed record GptqConfig(string QuantMethod, string PackingFormat, GptqScheme Global, bool ZeroMinusOne,
    IReadOnlyList<(string Key, int? Bits, int? GroupSize, bool? Sym, string? DataType)> Overrides)
{
    private const string Field = "quantization_config";
    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether <c>quant_method</c> names a GPTQ-packed int format this class reads.</summary>
    public static bool IsGptqMethod(string? quantMethod) => quantMethod is "gptq" or "auto-round" or "intel/auto-round";

    /// <summary>Parses the <c>quantization_config</c> object; errors name the field.</summary>
    /// <exception cref="InvalidConfigException">A field is mistyped, or the packing, bit width, data type or group size is not supported.</exception>
    public static GptqConfig Parse(JsonElement e)
    {
        var q = new LongCatConfig.ConfigReader(e, Field + ".");
        string method = q.OptString("quant_method") ?? throw new InvalidConfigException($"{Field}.quant_method", "missing");
        if (!IsGptqMethod(method)) throw new InvalidConfigException($"{Field}.quant_method", $"'{method}' is not a GPTQ or AutoRound method");
        string dataType = q.OptString("data_type") ?? "int";
        if (dataType != "int") throw new InvalidConfigException($"{Field}.data_type", $"'{dataType}' is not supported (only int)");
        int bits = q.Int("bits");
        if (bits != GptqRepack.Bits) throw new InvalidConfigException($"{Field}.bits", $"{bits} is not supported (only {GptqRepack.Bits}-bit)");
        int group = q.OptInt("group_size") ?? 128;
        if (group != -1 && (group <= 0 || group % 32 != 0))
            throw new InvalidConfigException($"{Field}.group_size", $"{group} is not supported (a positive multiple of 32, or -1 for whole rows)");
        bool sym = q.OptBool("sym") ?? true;

        string format;
        bool minusOne;
        if (method == "gptq")
        {
            format = q.OptString("checkpoint_format") ?? "gptq";
            minusOne = format switch
            {
                "gptq" => true,
                "gptq_v2" => false,
                _ => throw new InvalidConfigException($"{Field}.checkpoint_format", $"'{format}' is not supported (gptq or gptq_v2)"),
            };
        }
        else
        {
            // Older AutoRound exports name the packing in "backend" (e.g. "auto_round:gptq:exllamav2").
            format = q.OptString("packing_format") ?? q.OptString("backend") ?? "auto_round:auto_gptq";
            minusOne = format switch
            {
                "auto_round:auto_gptq" or "auto_round:gptq" or "auto" => true,
                "auto_round" or "auto_round:gptqmodel" => false,
                _ when format.StartsWith("auto_round:gptq:", StringComparison.Ordinal) => true,
                _ => throw new InvalidConfigException($"{Field}.packing_format",
                    $"'{format}' is not supported (auto_round:auto_gptq, auto_round or auto_round:gptqmodel)"),
            };
        }
        return new GptqConfig(method, format, new GptqScheme(bits, group, sym), minusOne, ReadOverrides(e));
    }

    private static List<(string, int?, int?, bool?, string?)> ReadOverrides(JsonElement e)
    {
        var list = new List<(string, int?, int?, bool?, string?)>();
        if (new LongCatConfig.ConfigReader(e, Field + ".").OptObject("extra_config") is not { } extra) return list;
        foreach (var p in extra.EnumerateObject())
        {
            string prefix = $"{Field}.extra_config.{p.Name}.";
            if (p.Value.ValueKind != JsonValueKind.Object)
                throw new InvalidConfigException(prefix.TrimEnd('.'), $"expected an object, found {p.Value.ValueKind}");
            var r = new LongCatConfig.ConfigReader(p.Value, prefix);
            list.Add((p.Name, r.OptInt("bits"), r.OptInt("group_size"), r.OptBool("sym"), r.OptString("data_type")));
        }
        return list;
    }

    /// <summary>
    /// The scheme of <paramref name="layer"/> (a linear's name without <c>.weight</c>), resolved as AutoRound does: an exact
    /// <c>extra_config</c> key, else the longest key that matches as a regular expression (search), else the global scheme.
    /// A group size of −1 means the whole row of <paramref name="inDim"/> columns.
    /// </summary>
    public GptqScheme For(string layer, int inDim)
    {
        (string Key, int? Bits, int? GroupSize, bool? Sym, string? DataType)? best = null;
        foreach (var o in Overrides)
            if (o.Key == layer) { best = o; break; }
        if (best is null)
            foreach (var o in Overrides)
                if ((best is null || o.Key.Length > best.Value.Key.Length) && Matches(o.Key, layer)) best = o;
        int bits = best?.Bits ?? Global.Bits;
        if (best?.DataType is { } dt && dt is "fp" or "float" or "float16" or "bfloat16" or "float32") bits = 16;
        int group = best?.GroupSize ?? Global.GroupSize;
        return new GptqScheme(bits, group == -1 ? inDim : group, best?.Sym ?? Global.Sym);
    }

    // Keys are layer names or Python regular expressions; one that .NET cannot parse, or that runs too long, matches nothing.
    private static bool Matches(string pattern, string layer)
    {
        try
        {
            return Regex.IsMatch(layer, pattern, RegexOptions.CultureInvariant, RegexBudget);
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
