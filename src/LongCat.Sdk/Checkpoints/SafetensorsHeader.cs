using System.Text;
using System.Text.Json;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// Parses and validates the JSON header of a safetensors file: every entry well-formed, names unique,
/// dtype × shape equal to the byte length, and the tensors tiling the data section exactly, as the reference implementation
/// requires: no gap, no overlap, the last one ending at the end of the file. (A header length a byte short still parses when
/// the header is padded with spaces; only the tiling shows that every tensor would be read a byte off.)
/// Any defect is an <see cref="InvalidCheckpointException"/>; nothing else escapes.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Largest header accepted (the reference implementation's bound).</summary>
    public const long MaxHeaderBytes = 100L << 20;

    private const int MaxRank = 8;

    public static (Dictionary<string, TensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> json, long dataLength, string file)
    {
        JsonDocument doc;
        try
        {
            // Validate UTF-8 strictly first: JsonDocument tolerates nothing else either, but this names the problem.
            if (!System.Text.Unicode.Utf8.IsValid(json)) throw Bad(file, "header is not valid UTF-8");
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Bad(file, $"header is not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(file, "header is not a JSON object");
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                string name = Name(prop, file);
                if (!seen.Add(name)) throw Bad(file, $"tensor name '{name}' appears twice in the header");
                if (name == "__metadata__")
                {
                    ReadMetadata(prop.Value, metadata, file);
                    continue;
                }
                tensors.Add(name, ReadEntry(name, prop.Value, dataLength, file));
            }
            CheckTiling(tensors.Values, dataLength, file);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string file)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(file, "__metadata__ is not an object");
        foreach (var p in value.EnumerateObject())
        {
            string key = Name(p, file);
            if (p.Value.ValueKind != JsonValueKind.String) throw Bad(file, $"__metadata__ value '{key}' is not a string");
            metadata[key] = Text(p.Value, file, $"__metadata__ value '{key}'");
        }
    }

    private static TensorInfo ReadEntry(string name, JsonElement e, long dataLength, string file)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad(file, $"tensor '{name}': header entry is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(file, $"tensor '{name}': missing or non-string 'dtype'");
        string dtypeName = Text(dt, file, $"tensor '{name}': 'dtype'");
        if (!DTypes.TryParseSafetensors(dtypeName, out var dtype))
            throw Bad(file, $"tensor '{name}': unknown dtype '{dtypeName}'");

        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(file, $"tensor '{name}': missing or non-array 'shape'");
        if (sh.GetArrayLength() > MaxRank) throw Bad(file, $"tensor '{name}': rank {sh.GetArrayLength()} exceeds {MaxRank}");
        var shape = new long[sh.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var v) || v < 0)
                throw Bad(file, $"tensor '{name}': shape entry {i} is not a non-negative integer");
            shape[i++] = v;
            // Bound the product so elements × size cannot overflow: no file holds more than 2^62 bytes.
            if (v != 0 && elements > (1L << 58) / v) throw Bad(file, $"tensor '{name}': shape {TensorInfo.FormatShape(shape)} is too large");
            elements *= v;
        }

        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(file, $"tensor '{name}': 'data_offsets' must be an array of two integers");
        if (!off[0].TryGetInt64Safe(out var begin) || !off[1].TryGetInt64Safe(out var end) || begin < 0 || end < 0)
            throw Bad(file, $"tensor '{name}': 'data_offsets' must be non-negative integers");
        if (begin > end) throw Bad(file, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength)
            throw Bad(file, $"tensor '{name}': data_offsets [{begin}, {end}] lie outside the data section of {dataLength} bytes (truncated file?)");
        long expected = elements * dtype.SizeOf();
        if (end - begin != expected)
            throw Bad(file, $"tensor '{name}': {dtype.SafetensorsName()} {TensorInfo.FormatShape(shape)} needs {expected} bytes but data_offsets span {end - begin}");
        return new TensorInfo(name, dtype, shape, begin, end - begin, file);
    }

    // A \uD800-style escape without its pair is valid JSON syntax but no string: System.Text.Json throws
    // InvalidOperationException when such a name or value is read, so the reads go through these two.
    private static string Name(JsonProperty p, string file)
    {
        try
        {
            return p.Name;
        }
        catch (InvalidOperationException e)
        {
            throw Bad(file, "a key of the header contains an unpaired UTF-16 surrogate escape", e);
        }
    }

    private static string Text(JsonElement e, string file, string what)
    {
        try
        {
            return e.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw Bad(file, $"{what} contains an unpaired UTF-16 surrogate escape", ex);
        }
    }

    private static bool TryGetInt64Safe(this JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    // Sorted by (begin, end), each tensor must begin where the previous one ended; a zero-byte tensor may sit at any boundary.
    private static void CheckTiling(IEnumerable<TensorInfo> tensors, long dataLength, string file)
    {
        TensorInfo? prev = null;
        long end = 0;
        foreach (var t in tensors.OrderBy(t => t.Offset).ThenBy(t => t.Length))
        {
            if (t.Offset < end)
                throw Bad(file, $"tensors '{prev!.Name}' [{prev.Offset}, {end}) and '{t.Name}' [{t.Offset}, {t.Offset + t.Length}) overlap");
            if (t.Offset > end)
                throw Bad(file, $"bytes [{end}, {t.Offset}) of the data section, before tensor '{t.Name}', belong to no tensor");
            prev = t;
            end = t.Offset + t.Length;
        }
        if (end != dataLength)
            throw Bad(file, prev is null
                ? $"the header names no tensor, but the data section holds {dataLength} bytes"
                : $"the tensors end at byte {end} (tensor '{prev.Name}') of the {dataLength}-byte data section: the header length is wrong or bytes follow the last tensor");
    }

    private static InvalidCheckpointException Bad(string file, string message, Exception? inner = null) => new(file, message, inner);
}
