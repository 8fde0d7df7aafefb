using System.Text.Json;
using static LongCat.Sdk.Templates.TemplateValues;

namespace LongCat.Sdk.Templates;

/// <summary>A rendered template and the ranges of its text that came from message content (see <see cref="MarkedString"/>).</summary>
/// <param name="Text">The output, byte for byte what Python's jinja2 renders in transformers' environment.</param>
/// <param name="PlainTextRanges">Ranges of <paramref name="Text"/>, in order and disjoint, that no special token may be
/// recognised in: the shape <c>Tokenizer.Encode(text, plainTextRanges)</c> takes.</param>
internal sealed record TemplateRendering(string Text, List<Range> PlainTextRanges);

/// <summary>
/// A Hugging Face chat template (the Jinja2 subset chat templates use), interpreted as transformers'
/// <c>apply_chat_template</c> renders it: jinja2's <c>ImmutableSandboxedEnvironment</c> with <c>trim_blocks</c>,
/// <c>lstrip_blocks</c> and the loop-control extension; <c>tojson</c> as <c>json.dumps(ensure_ascii=False)</c>;
/// <c>raise_exception(message)</c>; <c>strftime_now(format)</c>. Output is byte-identical to jinja2's (checked against a
/// corpus rendered by tools/chat-templates/generate.py).
/// </summary>
/// <remarks>
/// Tracks injection safety: strings passed in as <see cref="MarkedString"/> (message content) keep their mark through the
/// string operations templates apply, and <see cref="Render"/> reports where marked characters landed in the output.
/// </remarks>
internal sealed class JinjaTemplate
{
    private readonly List<Stmt> _body;

    private JinjaTemplate(List<Stmt> body) => _body = body;

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <exception cref="ChatTemplateException">A syntax error, or a tag, filter or test the interpreter does not support;
    /// the message names it and the line.</exception>
    public static JinjaTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new JinjaTemplate(TemplateParser.Parse(source));
    }

    /// <summary>Renders the template with <paramref name="variables"/> (template values: see <see cref="TemplateValues"/>;
    /// <see cref="FromJson"/> converts JSON).</summary>
    /// <param name="variables">The context: <c>messages</c>, <c>tools</c>, <c>add_generation_prompt</c>, special tokens, ...</param>
    /// <param name="now">What <c>strftime_now</c> formats; the current local time when null.</param>
    /// <exception cref="ChatTemplateException">The template called <c>raise_exception</c> (its message), or an operation failed
    /// (jinja2's message: <c>'x' is undefined</c>, <c>argument of type 'NoneType' is not iterable</c>, ...).</exception>
    public TemplateRendering Render(IReadOnlyDictionary<string, object?> variables, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var renderer = new TemplateRenderer(now ?? DateTime.Now);
        var globals = new Scope(null);
        globals.Set("range", new Callable("range", Range));
        globals.Set("namespace", new Callable("namespace", MakeNamespace));
        globals.Set("dict", new Callable("dict", a => new OrderedDictionary<string, object?>(a.Keywords, StringComparer.Ordinal)));
        globals.Set("raise_exception", new Callable("raise_exception", a => throw new ChatTemplateException(StrText(a.Get(0, "message")))));
        globals.Set("strftime_now", new Callable("strftime_now", a => PythonText.Strftime(renderer.Now, StrText(a.Get(0, "format")))));
        var scope = new Scope(globals);
        foreach (var (name, value) in variables) scope.Set(name, value);

        var output = new TemplateOutput();
        renderer.Execute(_body, scope, output);
        var result = output.ToValue();
        return new TemplateRendering(MarkedString.Text(result), MarkedString.RangesOf(result).Select(r => new Range(r.Start, r.End)).ToList());
    }

    /// <summary>The context <c>apply_chat_template</c> passes: <c>messages</c> (content marked as plain text), <c>tools</c>
    /// (null when absent), <c>documents</c> (null), <c>add_generation_prompt</c>, and <paramref name="extra"/> (special
    /// tokens, <c>enable_thinking</c>, ...).</summary>
    /// <param name="messages">An array of OpenAI-shape messages. Each message's <c>content</c>, <c>reasoning_content</c> and
    /// <c>thinking</c> are marked: text that came from a conversation is never a control token.</param>
    /// <param name="tools">The tools' JSON array, or null.</param>
    /// <param name="addGenerationPrompt">Whether the template should end with the assistant turn's opening.</param>
    /// <param name="extra">Further variables: special tokens (<c>bos_token</c>), <c>enable_thinking</c>, ...</param>
    public static Dictionary<string, object?> ChatVariables(JsonElement messages, JsonElement? tools, bool addGenerationPrompt,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        var list = new List<object?>();
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) { list.Add(FromJson(m)); continue; }
            var message = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var p in m.EnumerateObject())
                message[p.Name] = FromJson(p.Value, plainText: p.Name is "content" or "reasoning_content" or "thinking");
            list.Add(message);
        }
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = list,
            ["tools"] = tools is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } t ? FromJson(t) : null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (extra is not null) foreach (var (k, v) in extra) variables[k] = v;
        return variables;
    }

    private static object? Range(CallArguments a)
    {
        var ints = a.Positional.Select(ToLong).ToArray();
        var (start, stop, step) = ints.Length switch
        {
            1 => (0L, ints[0], 1L),
            2 => (ints[0], ints[1], 1L),
            3 => (ints[0], ints[1], ints[2]),
            _ => throw new ChatTemplateException($"range expected at most 3 arguments, got {ints.Length}"),
        };
        if (step == 0) throw new ChatTemplateException("range() arg 3 must not be zero");
        var list = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (list.Count >= 100_000) throw new ChatTemplateException("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
            list.Add(i);
        }
        return list;
    }

    private static Namespace MakeNamespace(CallArguments a)
    {
        var ns = new Namespace();
        foreach (var p in a.Positional)
            if (p is OrderedDictionary<string, object?> d) foreach (var (k, v) in d) ns.Attributes[k] = v;
        foreach (var (k, v) in a.Keywords) ns.Attributes[k] = v;
        return ns;
    }
}
