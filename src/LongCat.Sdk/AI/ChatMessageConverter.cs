using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;
using LongCat.Sdk.Text;
using ToolCall = LongCat.Sdk.Text.ToolCall;

namespace LongCat.Sdk.AI;

/// <summary>
/// Turns a Microsoft.Extensions.AI conversation into the <see cref="LongCatMessage"/>s that <see cref="Text.ChatTemplate"/> renders,
/// and model tool calls back into <see cref="FunctionCallContent"/>. No formatting happens here: the template owns it.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The instructions and every leading system message become the one system prompt (joined by a line break).</item>
/// <item>Consecutive messages of one role merge (text joined by a line break, tool calls concatenated): Semantic Kernel
/// stores each function call of a turn as its own assistant message.</item>
/// <item><see cref="FunctionCallContent"/> becomes a <see cref="ToolCall"/>; each <see cref="FunctionResultContent"/> a tool
/// result, in the order of the calls they answer (LongCat's format matches results to calls by position).</item>
/// <item><see cref="TextReasoningContent"/> of an assistant message becomes its <see cref="LongCatMessage.Reasoning"/> (the
/// template decides whether it is rendered); usage and other metadata contents are skipped; images, audio and files are not supported.</item>
/// </list>
/// </remarks>
internal static class ChatMessageConverter
{
    /// <summary>Converts <paramref name="messages"/>, with <paramref name="instructions"/> (ChatOptions.Instructions) as system prompt.</summary>
    /// <exception cref="ArgumentException">A system message follows other turns, or a message holds content LongCat cannot read.</exception>
    public static List<LongCatMessage> ToLongCat(IEnumerable<AIChatMessage> messages, string? instructions = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var result = new List<LongCatMessage>(list.Count + 1);
        var system = new List<string>();
        if (!string.IsNullOrEmpty(instructions)) system.Add(instructions);

        int i = 0;
        for (; i < list.Count && list[i]?.Role == AIChatRole.System; i++) system.Add(TextOf(list[i], i));
        if (system.Count > 0) result.Add(LongCatMessage.System(string.Join("\n", system)));

        for (; i < list.Count; i++)
        {
            var m = list[i] ?? throw new ArgumentException($"messages[{i}] is null.", nameof(messages));
            if (m.Role == AIChatRole.User) AddOrMerge(result, LongCatMessage.User(TextOf(m, i)));
            else if (m.Role == AIChatRole.Assistant) AddOrMerge(result, Assistant(m, i));
            else if (m.Role == AIChatRole.Tool) AddToolResults(result, m, i);
            else if (m.Role == AIChatRole.System)
                throw new ArgumentException($"messages[{i}] (system): LongCat's chat format has one system prompt, at the start of the conversation.", nameof(messages));
            else throw new ArgumentException($"messages[{i}]: unknown role '{m.Role}'.", nameof(messages));
        }
        return result;
    }

    /// <summary>
    /// A model tool call as Microsoft.Extensions.AI content: arguments parsed to JSON values, a call id generated when the call has
    /// none. With <paramref name="offered"/>, a name that is not offered but differs from exactly one offered tool only in case or
    /// separators (<c>Clock-Now</c> for <c>Clock_Now</c>: Semantic Kernel joins plugin and function with <c>_</c>, its hosted
    /// connectors with <c>-</c>), or only by a missing plugin prefix (<c>get_time</c> for <c>Clock_GetTime</c>), is taken as that
    /// tool; any other name is kept as written.
    /// </summary>
    /// <summary>
    /// The calls of an update: each parsed call, then each malformed block as a call with <see cref="FunctionCallContent.Exception"/>
    /// set and no arguments (named after the offered tool its text names, if any), so an invocation layer reports it to the model.
    /// </summary>
    public static List<FunctionCallContent> ToFunctionCalls(IReadOnlyList<ToolCall>? calls, IReadOnlyList<string>? malformed,
        IReadOnlyList<Text.ToolDefinition>? offered)
    {
        var result = new List<FunctionCallContent>();
        foreach (var call in calls ?? []) result.Add(ToFunctionCall(call, offered));
        foreach (string raw in malformed ?? [])
        {
            string name = MalformedName(raw, offered);
            var error = new FormatException($"The model's tool call could not be read as a call (a name and arguments in the model's tool-call format): {raw}");
            // The error is also the raw representation: layers that copy a call but not its Exception (Semantic Kernel's) keep it.
            result.Add(new FunctionCallContent(NewCallId(), name, null) { Exception = error, RawRepresentation = error });
        }
        return result;
    }

    /// <summary>The name of a call whose text names no tool (it was cut before its name): a name, so the call can go back into
    /// the conversation with its error (a call without a name cannot be rendered).</summary>
    public const string UnnamedCall = "unnamed_tool_call";

    // The name a malformed block gives ("name": "..."), matched to an offered tool as for well-formed calls; a name cut short
    // (MaxTokens inside it) is the offered tool it begins, when exactly one does; else UnnamedCall.
    private static string MalformedName(string raw, IReadOnlyList<Text.ToolDefinition>? offered)
    {
        // The XML format (2601 family) writes the name first, ended by a line break.
        var x = System.Text.RegularExpressions.Regex.Match(raw, "^" + ToolCallParser.OpenTag + "\\s*([^\\s{<][^\\n<]*)(\\n)?");
        if (x.Success) return ResolveName(x.Groups[1].Value.Trim(), x.Groups[2].Success, offered);
        var m = System.Text.RegularExpressions.Regex.Match(raw, "\"name\"\\s*:\\s*\"([^\"]*)(\")?");
        if (!m.Success) return offered is { Count: 1 } one ? one[0].Name : UnnamedCall;
        return ResolveName(m.Groups[1].Value, m.Groups[2].Success, offered);
    }

    // A complete name is matched to an offered tool; a name cut short is the offered tool it begins, when exactly one does.
    private static string ResolveName(string name, bool complete, IReadOnlyList<Text.ToolDefinition>? offered)
    {
        if (complete && name.Length > 0) return OfferedName(name, offered);
        var begun = offered?.Where(t => t.Name.StartsWith(name, StringComparison.Ordinal)).Take(2).ToList();
        return begun is { Count: 1 } ? begun[0].Name : UnnamedCall;
    }

    public static FunctionCallContent ToFunctionCall(ToolCall call, IReadOnlyList<Text.ToolDefinition>? offered = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        var arguments = new Dictionary<string, object?>();
        using (var doc = JsonDocument.Parse(call.ArgumentsJson))
            foreach (var p in doc.RootElement.EnumerateObject()) arguments[p.Name] = p.Value.Clone();
        return new FunctionCallContent(call.Id ?? NewCallId(), OfferedName(call.Name, offered), arguments) { RawRepresentation = call };
    }

    private static string OfferedName(string name, IReadOnlyList<Text.ToolDefinition>? offered)
    {
        if (offered is null || offered.Any(t => t.Name == name)) return name;
        string key = Loose(name);
        if (key.Length == 0) return name;
        var matches = offered.Where(t => Loose(t.Name) == key).Take(2).ToList();
        // Else a name missing only its plugin prefix (get_current_time for Clock_GetCurrentTime), when one tool fits.
        if (matches.Count == 0) matches = offered.Where(t => Loose(t.Name).EndsWith(key, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count == 1 ? matches[0].Name : name;

        static string Loose(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
    }

    /// <summary>A fresh call id in OpenAI's shape (<c>call_</c> and 24 hex digits).</summary>
    public static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];

    private static LongCatMessage Assistant(AIChatMessage m, int index)
    {
        var calls = new List<ToolCall>();
        var reasoning = new StringBuilder();
        foreach (var c in m.Contents)
        {
            if (c is FunctionCallContent call) calls.Add(new ToolCall(NameWritten(call), ArgumentsJson(call), call.CallId));
            else if (c is TextReasoningContent { Text: { Length: > 0 } r }) reasoning.Append(r);
        }
        return LongCatMessage.Assistant(TextOf(m, index), calls.Count > 0 ? calls : null) with { Reasoning = reasoning.Length > 0 ? reasoning.ToString() : null };
    }

    // One tool message may carry several results; each becomes its own LongCat tool turn, ordered as the calls were.
    private static void AddToolResults(List<LongCatMessage> result, AIChatMessage m, int index)
    {
        var results = m.Contents.OfType<FunctionResultContent>().ToList();
        if (results.Count == 0)
        {
            result.Add(new LongCatMessage(LongCatRole.Tool, TextOf(m, index)));
            return;
        }
        int firstResult = result.Count;
        while (firstResult > 0 && result[firstResult - 1].Role == LongCatRole.Tool) firstResult--;
        foreach (var r in results)
            result.Add(new LongCatMessage(LongCatRole.Tool, ResultText(r.Result)) { Name = NameOf(result, firstResult, r.CallId), ToolCallId = r.CallId });

        // Reorder the run of results by the position of their call in the assistant turn before it (stable for unknown ids).
        if (firstResult > 0 && result[firstResult - 1].ToolCalls is { Count: > 1 } calls)
        {
            var run = result.GetRange(firstResult, result.Count - firstResult);
            var ids = calls.Select(c => c.Id).ToList();
            int Order(LongCatMessage t) { int k = t.ToolCallId is null ? -1 : ids.IndexOf(t.ToolCallId); return k < 0 ? int.MaxValue : k; }
            var ordered = run.Select((t, k) => (t, k)).OrderBy(x => Order(x.t)).ThenBy(x => x.k).Select(x => x.t).ToList();
            result.RemoveRange(firstResult, run.Count);
            result.AddRange(ordered);
        }
    }

    private static string? NameOf(List<LongCatMessage> result, int firstResult, string callId) =>
        firstResult > 0 ? result[firstResult - 1].ToolCalls?.FirstOrDefault(c => c.Id == callId)?.Name : null;

    // Consecutive turns of one role are one turn in LongCat's format.
    private static void AddOrMerge(List<LongCatMessage> result, LongCatMessage next)
    {
        if (result.Count == 0 || result[^1].Role != next.Role || next.Role == LongCatRole.System)
        {
            result.Add(next);
            return;
        }
        var last = result[^1];
        string content = last.Content.Length == 0 ? next.Content : next.Content.Length == 0 ? last.Content : last.Content + "\n" + next.Content;
        IReadOnlyList<ToolCall>? calls = (last.ToolCalls, next.ToolCalls) switch
        {
            (null, var b) => b,
            (var a, null) => a,
            (var a, var b) => [.. a, .. b],
        };
        string? reasoning = (last.Reasoning, next.Reasoning) switch
        {
            (null, var b) => b,
            (var a, null) => a,
            (var a, var b) => a + "\n" + b,
        };
        result[^1] = last with { Content = content, ToolCalls = calls, Reasoning = reasoning };
    }

    private static string TextOf(AIChatMessage m, int index)
    {
        var sb = new StringBuilder();
        foreach (var c in m.Contents)
        {
            switch (c)
            {
                case TextContent t: sb.Append(t.Text); break;
                case FunctionCallContent or FunctionResultContent or TextReasoningContent or UsageContent: break;
                case DataContent or UriContent or HostedFileContent:
                    throw new ArgumentException($"messages[{index}] ({m.Role}): {c.GetType().Name} is not supported; LongCat models read text only.", "messages");
                default: break;   // other metadata-only contents carry nothing the template renders
            }
        }
        return sb.ToString();
    }

    // The name the model wrote, when the call came from this SDK: Semantic Kernel's history keeps the call we returned as its raw
    // representation but drops a plugin prefix from the name ("calculator_evaluate" comes back as "evaluate").
    internal static string NameWritten(FunctionCallContent call) =>
        call.RawRepresentation is ToolCall written && written.Name.EndsWith(call.Name, StringComparison.Ordinal) ? written.Name : call.Name;

    internal static string ArgumentsJson(FunctionCallContent call)
    {
        if (call.Arguments is null || call.Arguments.Count == 0) return "{}";
        var info = CompactJson.GetTypeInfo(typeof(IDictionary<string, object?>));
        return JsonSerializer.Serialize(call.Arguments, info);
    }

    /// <summary>The text a tool result is rendered with: strings as they are, anything else as JSON.</summary>
    internal static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText(),
        _ => JsonSerializer.Serialize(result, CompactJson.GetTypeInfo(result.GetType())),
    };

    // Microsoft.Extensions.AI's serializer settings, on one line: a result is prompt text, every byte costs tokens.
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
}
