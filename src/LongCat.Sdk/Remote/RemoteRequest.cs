#pragma warning disable SCME0001 // JsonPatch (experimental) is how OpenAI's client writes the fields its API lacks: top_k, chat_template_kwargs, ...
#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental
using System.Globalization;
using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatOptions = Microsoft.Extensions.AI.ChatOptions;
using AIResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat;
using OpenAIResponseFormat = OpenAI.Chat.ChatResponseFormat;

namespace LongCat.Sdk.Remote;

/// <summary>
/// A request as an OpenAI-compatible server reads it. The settings are those the in-process adapter would run with
/// (<see cref="ChatOptionsConverter.ToGenerationOptions"/> over the client's defaults), written where OpenAI's API has a field
/// (<c>temperature</c>, <c>top_p</c>, <c>max_completion_tokens</c>, <c>seed</c>, penalties, <c>stop</c>, <c>tools</c>,
/// <c>tool_choice</c>, <c>response_format</c>) and as vLLM's and SGLang's extensions where it has none (<c>top_k</c>,
/// <c>min_p</c>, <c>repetition_penalty</c>, <c>ignore_eos</c>, <c>stop_token_ids</c>, <c>chat_template_kwargs</c> with
/// <c>enable_thinking</c>, <c>thinking_budget</c> as <c>longcat serve</c> reads it and vLLM's <c>thinking_token_budget</c>). A sampling knob at its "off" value
/// (top_k 0, min_p 0, penalties 0 or 1) is left out, which every server reads as off.
/// </summary>
/// <remarks>Not forwarded: <see cref="GenerationOptions.DraftTokens"/> (the server's engine decides). Refused with
/// <see cref="NotSupportedException"/>: Heavy Thinking and regex or choice constraints, which no OpenAI-compatible request carries.</remarks>
internal static class RemoteRequest
{
    /// <summary>The options to hand Microsoft.Extensions.AI's OpenAI client: every field is in the raw representation it builds
    /// on (its own mapping only fills what that leaves unset). The instructions go in the system message (<see cref="Messages"/>).</summary>
    /// <param name="options">The caller's options.</param>
    /// <param name="defaults">The client's defaults.</param>
    /// <param name="modelId">The client's model id (null: none sent, the server answers with the model it serves).</param>
    /// <param name="settings">The effective settings (the offered tools type the arguments of calls read from raw text).</param>
    public static AIChatOptions Create(AIChatOptions? options, GenerationOptions defaults, string? modelId, out GenerationOptions settings)
    {
        var g = ChatOptionsConverter.ToGenerationOptions(options, defaults);
        g.Validate();
        if (g.HeavyThinking is not null)
            throw new NotSupportedException("Heavy Thinking runs on an in-process engine only; a remote engine's API has no request for it.");
        var body = Body(g, options?.ResponseFormat as ChatResponseFormatJson, options?.AllowMultipleToolCalls, options?.ModelId ?? modelId);
        settings = g;
        return new AIChatOptions { RawRepresentationFactory = _ => body };
    }

    private static ChatCompletionOptions Body(GenerationOptions g, ChatResponseFormatJson? format, bool? parallelCalls, string? modelId)
    {
        var o = new ChatCompletionOptions
        {
            Temperature = g.Temperature,
            TopP = g.TopP == 1f ? null : g.TopP,
            MaxOutputTokenCount = g.MaxTokens,
            PresencePenalty = g.PresencePenalty == 0f ? null : g.PresencePenalty,
            FrequencyPenalty = g.FrequencyPenalty == 0f ? null : g.FrequencyPenalty,
            Seed = g.Seed,
            ResponseFormat = ToResponseFormat(g.Constraint, format),
        };
        foreach (string stop in g.StopSequences) o.StopSequences.Add(stop);
        if (g.Tools is { Count: > 0 } tools)
        {
            foreach (var t in tools) o.Tools.Add(ChatTool.CreateFunctionTool(t.Name, t.Description, BinaryData.FromString(t.Parameters.GetRawText())));
            o.ToolChoice = ToToolChoice(g.ToolChoice);
            o.AllowParallelToolCalls = parallelCalls;
        }
        if (modelId is null) o.Patch.Remove("$.model"u8);
        else o.Patch.Set("$.model"u8, modelId);
        if (g.TopK > 0) o.Patch.Set("$.top_k"u8, g.TopK);
        if (g.MinP > 0f) o.Patch.Set("$.min_p"u8, g.MinP);
        if (g.RepetitionPenalty != 1f) o.Patch.Set("$.repetition_penalty"u8, g.RepetitionPenalty);
        if (g.IgnoreEos) o.Patch.Set("$.ignore_eos"u8, true);
        if (g.StopTokenIds.Count > 0) o.Patch.Set("$.stop_token_ids"u8, Json(w => { w.WriteStartArray(); foreach (int id in g.StopTokenIds) w.WriteNumberValue(id); w.WriteEndArray(); }));
        if (g.ChatTemplateArguments is { Count: > 0 } || g.EnableThinking is not null)
            o.Patch.Set("$.chat_template_kwargs"u8, Json(w => WriteTemplateArguments(w, g.ChatTemplateArguments, g.EnableThinking)));
        if (g.ThinkingBudget is int budget)
        {
            o.Patch.Set("$.thinking_budget"u8, budget);
            o.Patch.Set("$.thinking_token_budget"u8, budget);
        }
        return o;
    }

    private static OpenAIResponseFormat? ToResponseFormat(OutputConstraint? constraint, ChatResponseFormatJson? format) => constraint?.Kind switch
    {
        null => null,
        OutputConstraintKind.Json => OpenAIResponseFormat.CreateJsonObjectFormat(),
        OutputConstraintKind.JsonSchema => OpenAIResponseFormat.CreateJsonSchemaFormat(format?.SchemaName ?? "response",
            BinaryData.FromString(constraint.Text), format?.SchemaDescription),
        var kind => throw new NotSupportedException($"A {kind} constraint runs on an in-process engine only; a remote engine takes JSON and JSON-schema response formats."),
    };

    private static ChatToolChoice ToToolChoice(ToolChoice choice) => choice.Mode switch
    {
        ToolChoiceMode.None => ChatToolChoice.CreateNoneChoice(),
        ToolChoiceMode.Required when choice.FunctionName is { } name => ChatToolChoice.CreateFunctionChoice(name),
        ToolChoiceMode.Required => ChatToolChoice.CreateRequiredChoice(),
        _ => ChatToolChoice.CreateAutoChoice(),
    };

    // The template's variables, enable_thinking last: it wins over one in the arguments, as it does in-process (ChatFormat.Render).
    private static void WriteTemplateArguments(Utf8JsonWriter w, IReadOnlyDictionary<string, object?>? arguments, bool? enableThinking)
    {
        w.WriteStartObject();
        foreach (var (name, value) in arguments ?? new Dictionary<string, object?>())
        {
            if (enableThinking is not null && name == "enable_thinking") continue;
            w.WritePropertyName(name);
            switch (value)   // the types ChatFormat.TemplateArgument admits (GenerationOptions.Validate checked them)
            {
                case null: w.WriteNullValue(); break;
                case bool b: w.WriteBooleanValue(b); break;
                case string s: w.WriteStringValue(s); break;
                case JsonElement e: e.WriteTo(w); break;
                case float or double: w.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
                default: w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            }
        }
        if (enableThinking is bool thinking) w.WriteBoolean("enable_thinking", thinking);
        w.WriteEndObject();
    }

    private static BinaryData Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) write(w);
        return BinaryData.FromBytes(stream.ToArray());
    }

    /// <summary>
    /// The conversation as sent: the instructions and the leading system messages as one system message (joined by a line break,
    /// as in-process: LongCat's format has one system prompt); an assistant turn with reasoning with its <c>reasoning_content</c>
    /// (LongCat's templates render it in a tool loop; Microsoft.Extensions.AI would drop it); a call this SDK read with the name
    /// the model wrote (Semantic Kernel's history drops a plugin prefix). Every other message goes as Microsoft.Extensions.AI sends it.
    /// </summary>
    public static IEnumerable<AIChatMessage> Messages(IEnumerable<AIChatMessage> messages, string? instructions)
    {
        var list = messages.ToList();
        int leading = list.TakeWhile(m => m?.Role == ChatRole.System).Count();
        string[] system = [.. string.IsNullOrEmpty(instructions) ? [] : new[] { instructions }, .. list.Take(leading).Select(m => m.Text)];
        if (!string.IsNullOrEmpty(instructions) || leading > 1) yield return new AIChatMessage(ChatRole.System, string.Join("\n", system));
        else leading = 0;                                     // one system message or none: as it is
        foreach (var m in list.Skip(leading))
        {
            string reasoning = m.Role == ChatRole.Assistant ? string.Concat(m.Contents.OfType<TextReasoningContent>().Select(r => r.Text)) : "";
            var calls = m.Contents.OfType<FunctionCallContent>().ToList();
            if (m.Role != ChatRole.Assistant || m.RawRepresentation is not null || (reasoning.Length == 0 && calls.All(c => ChatMessageConverter.NameWritten(c) == c.Name)))
            {
                yield return m;
                continue;
            }
            string text = string.Concat(m.Contents.OfType<TextContent>().Select(t => t.Text));
            var toolCalls = calls.Select(c => ChatToolCall.CreateFunctionToolCall(c.CallId, ChatMessageConverter.NameWritten(c),
                BinaryData.FromString(ChatMessageConverter.ArgumentsJson(c)))).ToList();
            var assistant = text.Length == 0 && toolCalls.Count > 0 ? new AssistantChatMessage(toolCalls) : new AssistantChatMessage(text);
            if (text.Length > 0) foreach (var call in toolCalls) assistant.ToolCalls.Add(call);
            if (reasoning.Length > 0) assistant.Patch.Set("$.reasoning_content"u8, reasoning);
            var copy = m.Clone();
            copy.RawRepresentation = assistant;
            yield return copy;
        }
    }
}
