using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>How <see cref="PythonJson"/> lays out JSON.</summary>
/// <param name="Indent">Spaces per level, or null for one line (Python's <c>indent</c>).</param>
/// <param name="ItemSeparator">Between array items and object members (Python: <c>","</c> with an indent, <c>", "</c> without).</param>
/// <param name="KeySeparator">Between a key and its value (Python: <c>": "</c>).</param>
/// <param name="EnsureAscii">Python's <c>ensure_ascii</c>: every character outside space..~ becomes <c>\uXXXX</c> (lower-case hex, surrogate pairs above U+FFFF).</param>
/// <param name="PythonNumbers">Write numbers as Python would after <c>json.loads</c>: integers as written, other numbers as
/// <c>repr(float)</c> (<c>1.0</c>, <c>1e+16</c>, <c>1e-05</c>). False keeps each number's JSON text as it was.</param>
internal readonly record struct JsonStyle(int? Indent, string ItemSeparator, string KeySeparator, bool EnsureAscii, bool PythonNumbers)
{
    /// <summary><c>json.dumps(x, indent=2)</c>: the tool schemas in the tool description.</summary>
    public static JsonStyle PythonIndent2 { get; } = new(2, ",", ": ", EnsureAscii: true, PythonNumbers: true);

    /// <summary><c>json.dumps(x, ensure_ascii=False)</c>: tool calls in assistant history (what a Jinja <c>tojson</c> in HF writes).</summary>
    public static JsonStyle PythonInline { get; } = new(null, ", ", ": ", EnsureAscii: false, PythonNumbers: true);

    /// <summary>No whitespace, numbers untouched: the normalised <see cref="ToolCall.ArgumentsJson"/>.</summary>
    public static JsonStyle Compact { get; } = new(null, ",", ":", EnsureAscii: false, PythonNumbers: false);
}

/// <summary>
/// Writes a <see cref="JsonElement"/> byte for byte as Python's <c>json.dumps</c> would write the value <c>json.loads</c> reads from it,
/// so prompts match the ones the model was trained on. Objects behave like Python dicts: a repeated key keeps its first
/// position and its last value.
/// </summary>
internal static class PythonJson
{
    /// <summary>Serialises <paramref name="value"/> in <paramref name="style"/>. An undefined element is written as <c>{}</c>.</summary>
    public static string Serialize(JsonElement value, JsonStyle style)
    {
        var sb = new StringBuilder();
        Write(sb, value, style, 0);
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="s"/> as a JSON string literal with Python's escapes.</summary>
    public static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    // Python's ESCAPE_ASCII is [^\ -~] (so DEL is escaped too); ESCAPE is only the controls below space.
                    if (c < ' ' || (ensureAscii && c > '~'))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private static void Write(StringBuilder sb, JsonElement e, JsonStyle style, int depth)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Undefined: sb.Append("{}"); break;
            case JsonValueKind.Null: sb.Append("null"); break;
            case JsonValueKind.True: sb.Append("true"); break;
            case JsonValueKind.False: sb.Append("false"); break;
            case JsonValueKind.String: WriteString(sb, e.GetString()!, style.EnsureAscii); break;
            case JsonValueKind.Number: sb.Append(style.PythonNumbers ? PythonNumber(e.GetRawText()) : e.GetRawText()); break;
            case JsonValueKind.Array: WriteArray(sb, e, style, depth); break;
            case JsonValueKind.Object: WriteObject(sb, e, style, depth); break;
        }
    }

    private static void WriteArray(StringBuilder sb, JsonElement e, JsonStyle style, int depth)
    {
        if (e.GetArrayLength() == 0) { sb.Append("[]"); return; }
        sb.Append('[');
        bool first = true;
        foreach (var item in e.EnumerateArray())
        {
            if (!first) sb.Append(style.ItemSeparator);
            first = false;
            NewLine(sb, style, depth + 1);
            Write(sb, item, style, depth + 1);
        }
        NewLine(sb, style, depth);
        sb.Append(']');
    }

    private static void WriteObject(StringBuilder sb, JsonElement e, JsonStyle style, int depth)
    {
        // Python dict semantics: first position, last value.
        var members = new List<KeyValuePair<string, JsonElement>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (index.TryGetValue(p.Name, out int at)) members[at] = new(p.Name, p.Value);
            else { index[p.Name] = members.Count; members.Add(new(p.Name, p.Value)); }
        }
        if (members.Count == 0) { sb.Append("{}"); return; }
        sb.Append('{');
        for (int i = 0; i < members.Count; i++)
        {
            if (i > 0) sb.Append(style.ItemSeparator);
            NewLine(sb, style, depth + 1);
            WriteString(sb, members[i].Key, style.EnsureAscii);
            sb.Append(style.KeySeparator);
            Write(sb, members[i].Value, style, depth + 1);
        }
        NewLine(sb, style, depth);
        sb.Append('}');
    }

    private static void NewLine(StringBuilder sb, JsonStyle style, int depth)
    {
        if (style.Indent is int indent) sb.Append('\n').Append(' ', indent * depth);
    }

    /// <summary>
    /// A JSON number as Python prints it after parsing: an integer literal stays an (unbounded) int, written canonically;
    /// anything with a fraction or exponent becomes a float printed by <c>repr</c>: shortest round-trip digits, positional
    /// when the decimal exponent is in [-4, 16), otherwise <c>d.ddde±XX</c>; <c>inf</c> is written <c>Infinity</c>.
    /// </summary>
    internal static string PythonNumber(string raw)
    {
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
            return raw == "-0" ? "0" : raw; // JSON forbids leading zeros, so only "-0" is not canonical.

        double d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";

        // .NET's "R" gives the shortest round-trip digits, like Python's repr; only the layout differs.
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        if (negative) r = r[1..];
        int exp = 0;
        int ePos = r.IndexOf('E');
        if (ePos >= 0)
        {
            exp = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..ePos];
        }
        int dot = r.IndexOf('.');
        string digits = dot >= 0 ? r.Remove(dot, 1) : r;
        int pointPos = (dot >= 0 ? dot : r.Length) + exp; // value = 0.digits * 10^pointPos, before stripping zeros
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        pointPos -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) { digits = "0"; pointPos = 1; }

        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (pointPos > -4 && pointPos <= 16)
        {
            if (pointPos <= 0) sb.Append("0.").Append('0', -pointPos).Append(digits);
            else if (pointPos >= digits.Length) sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
            else sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int e10 = pointPos - 1;
            sb.Append('e').Append(e10 < 0 ? '-' : '+').Append(Math.Abs(e10).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
