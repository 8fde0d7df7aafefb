using System.Text;
using LongCat.Sdk.Text;
using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>
/// The <c>tojson</c> filter as transformers defines it: <c>json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)</c>, Python's layout byte for byte. A string literal written from a marked
/// string is marked as a whole (escaped, it is still the message's text).
/// </summary>
internal sealed class TemplateJson
{
    private readonly StringBuilder _sb = new();
    private readonly List<(int, int)> _plain = [];
    private readonly string? _indent;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _ensureAscii;
    private readonly bool _sortKeys;

    private TemplateJson(string? indent, string itemSeparator, string keySeparator, bool ensureAscii, bool sortKeys)
    {
        _indent = indent;
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _ensureAscii = ensureAscii;
        _sortKeys = sortKeys;
    }

    /// <summary><c>tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False)</c>.</summary>
    public static object Dumps(object? value, CallArguments args)
    {
        bool ensureAscii = Truthy(args.Get(0, "ensure_ascii", false));
        string? indent = args.Get(1, "indent") switch
        {
            null or Undefined => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            var s when IsString(s) => MarkedString.Text(s!),
            var other => throw new ChatTemplateException($"tojson: indent must be an int or a str, not {TypeName(other)}"),
        };
        string itemSeparator = indent is null ? ", " : ",", keySeparator = ": ";
        if (args.Get(2, "separators") is List<object?> { Count: 2 } separators)
        {
            itemSeparator = StrText(separators[0]);
            keySeparator = StrText(separators[1]);
        }
        var json = new TemplateJson(indent, itemSeparator, keySeparator, ensureAscii, Truthy(args.Get(3, "sort_keys", false)));
        json.Write(value, 0);
        return MarkedString.Create(json._sb.ToString(), json._plain);
    }

    private void Write(object? value, int depth)
    {
        switch (value)
        {
            case null: _sb.Append("null"); break;
            case bool b: _sb.Append(b ? "true" : "false"); break;
            case long l: _sb.Append(l.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
            case double d:
                _sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PythonText.FloatRepr(d));
                break;
            case string s: PythonJson.WriteString(_sb, s, _ensureAscii); break;
            case MarkedString m:
                int start = _sb.Length;
                PythonJson.WriteString(_sb, m.Value, _ensureAscii);
                _plain.Add((start, _sb.Length));
                break;
            case List<object?> list:
                if (list.Count == 0) { _sb.Append("[]"); break; }
                _sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) _sb.Append(_itemSeparator);
                    NewLine(depth + 1);
                    Write(list[i], depth + 1);
                }
                NewLine(depth);
                _sb.Append(']');
                break;
            case OrderedDictionary<string, object?> dict:
                if (dict.Count == 0) { _sb.Append("{}"); break; }
                _sb.Append('{');
                var members = _sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                for (int i = 0; i < members.Count; i++)
                {
                    if (i > 0) _sb.Append(_itemSeparator);
                    NewLine(depth + 1);
                    PythonJson.WriteString(_sb, members[i].Key, _ensureAscii);
                    _sb.Append(_keySeparator);
                    Write(members[i].Value, depth + 1);
                }
                NewLine(depth);
                _sb.Append('}');
                break;
            default:
                throw new ChatTemplateException($"Object of type {TypeName(value)} is not JSON serializable");
        }
    }

    private void NewLine(int depth)
    {
        if (_indent is null) return;
        _sb.Append('\n');
        for (int i = 0; i < depth; i++) _sb.Append(_indent);
    }
}
