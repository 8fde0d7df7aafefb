using System.Text;
using System.Text.Json.Nodes;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>Seeded byte-level edits of a file's text (or a safetensors header): the fuzz tests' mutator.</summary>
internal static class ByteMutations
{
    /// <summary>Snippets that steer mutations towards the validator's edge cases.</summary>
    public static readonly string[] Tokens =
    [
        "\"dtype\":\"F8_E4M3\"", "\"dtype\":\"BOOL\"", "\"dtype\":\"F64\"", "\"shape\":[]", "\"shape\":[0]", "\"shape\":[-1]",
        "\"data_offsets\":[0,0]", "\"data_offsets\":[0]", "\"data_offsets\":[1,0]", "\"__metadata__\"", "null", "true", "[]", "{}",
        "18446744073709551615", "9223372036854775807", "-9223372036854775808", "4294967296", "1e308", "-0", "0.5", "1E2",
        "\\u0000", "\\ud800", "\\udfff\\ud800", "\\\"", "\"", ",", ":", "[", "]", "{", "}", "\u00e9", "\uffff",
        "[[[[[[[[[[[[[[[[[[[[", "\"model.embed_tokens.weight\"",
    ];

    /// <summary>One to three random edits of the bytes (or digit replacements only), and a description for failure messages.</summary>
    public static (byte[] Bytes, string What) Mutate(byte[] original, Random random, bool digitsOnly = false)
    {
        var b = new List<byte>(original);
        var what = new StringBuilder();
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits; e++)
        {
            if (b.Count == 0) b.Add((byte)'{');
            int at = random.Next(b.Count);
            switch (digitsOnly ? 4 : random.Next(9))
            {
                case 0: // flip one random byte
                    b[at] = (byte)random.Next(256);
                    what.Append($"[set@{at}]");
                    break;
                case 1: // flip one bit
                    b[at] ^= (byte)(1 << random.Next(8));
                    what.Append($"[bit@{at}]");
                    break;
                case 2: // insert random bytes
                {
                    int n = 1 + random.Next(8);
                    var bytes = new byte[n];
                    random.NextBytes(bytes);
                    b.InsertRange(at, bytes);
                    what.Append($"[insert{n}@{at}]");
                    break;
                }
                case 3: // delete a span
                {
                    int n = Math.Min(b.Count - at, 1 + random.Next(64));
                    b.RemoveRange(at, n);
                    what.Append($"[delete{n}@{at}]");
                    break;
                }
                case 4: // replace a digit with another (keeps the JSON valid: names, shapes and offsets change)
                case 5:
                {
                    int digit = FindFrom(b, at, c => c is >= (byte)'0' and <= (byte)'9');
                    if (digit < 0) break;
                    b[digit] = (byte)('0' + random.Next(10));
                    what.Append($"[digit@{digit}]");
                    break;
                }
                case 6: // truncate
                    b.RemoveRange(at, b.Count - at);
                    what.Append($"[truncate@{at}]");
                    break;
                case 7: // duplicate a span somewhere else
                {
                    int n = Math.Min(b.Count - at, 1 + random.Next(200));
                    var span = b.GetRange(at, n);
                    int to = random.Next(b.Count + 1);
                    b.InsertRange(to, span);
                    what.Append($"[dup{n}@{at}->{to}]");
                    break;
                }
                case 8: // splice in a token that matters to the validator, replacing a value or a structural character
                {
                    var token = Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]);
                    int end = FindFrom(b, at, c => c is (byte)',' or (byte)'}' or (byte)']');
                    int n = end < at ? 0 : Math.Min(end - at, random.Next(3) == 0 ? 0 : 32);
                    b.RemoveRange(at, n);
                    b.InsertRange(at, token);
                    what.Append($"[token{token.Length}@{at}]");
                    break;
                }
            }
        }
        return (b.ToArray(), what.ToString());
    }

    private static int FindFrom(List<byte> b, int start, Func<byte, bool> match)
    {
        for (int k = 0; k < b.Count; k++)
        {
            int i = (start + k) % b.Count;
            if (match(b[i])) return i;
        }
        return -1;
    }
}

/// <summary>
/// Seeded edits of one value of a JSON document, named by its JSON path: replaced by one of <see cref="Values"/> (the edges of
/// what a loader accepts: integral floats, overflowing integers, lone surrogate escapes, wrong kinds), removed, or its key renamed.
/// Half the picks are among the values of small objects and arrays, so a tokenizer's vocabulary does not take every edit.
/// </summary>
internal static class JsonMutations
{
    public static readonly string[] Values =
    [
        "0", "-1", "1", "2", "3", "2.0", "1.5", "-0.0", "1e10", "1e308", "-1e308", "1e-300", "2147483646", "2147483647", "2147483648",
        "-2147483649", "9223372036854775808", "4096", "511", "512", "513", "65537", "16777216", "true", "false", "null", "\"\"",
        "\"x\"", "\"2\"", "\"\\ud800\"", "\"a\\udc00b\"", "[]", "[2, 3.5]", "[0, 0]", "{}", "{\"a\": 1}", "[[[[[[[[1]]]]]]]]",
    ];

    private const string Placeholder = "@@MUTATION@@";

    public static (byte[] Bytes, string What) Mutate(byte[] json, Random random)
    {
        var root = JsonNode.Parse(json)!;
        var nodes = new List<(JsonNode Parent, string Path, string? Key, int Index, int Siblings)>();
        Collect(root, "", nodes);
        var pool = random.Next(2) == 0 ? nodes.Where(n => n.Siblings <= 16).ToList() : nodes;
        var (parent, path, key, index, _) = pool[random.Next(pool.Count)];
        string what;
        switch (random.Next(5))
        {
            case 0:
                if (parent is JsonObject removeFrom) removeFrom.Remove(key!);
                else ((JsonArray)parent).RemoveAt(index);
                what = $"remove {path}";
                break;
            case 1 when parent is JsonObject renameIn:
                var value = renameIn[key!];
                renameIn.Remove(key!);
                renameIn[key + "_"] = value;
                what = $"rename {path}";
                break;
            default:
                string replacement = Values[random.Next(Values.Length)];
                if (parent is JsonObject setIn) setIn[key!] = Placeholder;
                else ((JsonArray)parent)[index] = Placeholder;
                what = $"{path} = {replacement}";
                return (Encoding.UTF8.GetBytes(root.ToJsonString().Replace($"\"{Placeholder}\"", replacement, StringComparison.Ordinal)), what);
        }
        return (Encoding.UTF8.GetBytes(root.ToJsonString()), what);
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode, string, string?, int, int)> into)
    {
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o.ToList())
            {
                string child = path.Length == 0 ? k : $"{path}.{k}";
                into.Add((o, child, k, -1, o.Count));
                if (v is not null) Collect(v, child, into);
            }
        }
        else if (node is JsonArray a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                into.Add((a, $"{path}[{i}]", null, i, a.Count));
                if (a[i] is { } v) Collect(v, $"{path}[{i}]", into);
            }
        }
    }
}
