using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Server;

/// <summary>
/// <c>chat.completion</c> and <c>chat.completion.chunk</c> objects. Reasoning goes in <c>reasoning_content</c> (as vLLM and
/// SGLang return it), tool calls in <c>tool_calls</c> with fresh <c>call_...</c> ids and <c>finish_reason: "tool_calls"</c>.
/// </summary>
/// <param name="Id">The response's id (<c>chatcmpl-...</c>), the same in every chunk.</param>
/// <param name="Created">Unix seconds.</param>
/// <param name="Model">The served model's name.</param>
internal sealed record ChatCompletionJson(string Id, long Created, string Model)
{
    public static ChatCompletionJson Create(string model) =>
        new("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model);

    /// <summary>The whole answer.</summary>
    public void WriteCompletion(Utf8JsonWriter w, IReadOnlyList<ChoiceResult> choices, UsageTotals usage)
    {
        w.WriteStartObject();
        WriteHeader(w, "chat.completion");
        w.WriteStartArray("choices");
        for (int i = 0; i < choices.Count; i++)
        {
            var c = choices[i];
            w.WriteStartObject();
            w.WriteNumber("index", i);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            string text = c.Text.ToString();
            // Only tool calls: null, as OpenAI answers (the whitespace a model writes before its call block is not an answer).
            if (c.ToolCalls.Count > 0 && string.IsNullOrWhiteSpace(text)) w.WriteNull("content");
            else w.WriteString("content", text);
            if (c.Reasoning.Length > 0) w.WriteString("reasoning_content", c.Reasoning.ToString());
            if (c.ToolCalls.Count > 0) WriteToolCalls(w, c.ToolCalls, streaming: false);
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", ChoiceResult.FinishName(c.FinishReason ?? FinishReason.Stop));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        usage.Write(w);
        w.WriteEndObject();
    }

    /// <summary>One choice's delta: the role (its first chunk), text, reasoning, tool calls, and its finish reason (its last).</summary>
    public void WriteChunk(Utf8JsonWriter w, int index, bool role, string? content, string? reasoning, IReadOnlyList<ToolCall>? toolCalls,
        FinishReason? finish, bool usageNull)
    {
        w.WriteStartObject();
        WriteHeader(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        if (role) w.WriteString("role", "assistant");
        if (content is not null) w.WriteString("content", content);
        if (reasoning is not null) w.WriteString("reasoning_content", reasoning);
        if (toolCalls is { Count: > 0 }) WriteToolCalls(w, toolCalls, streaming: true);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finish is { } f) w.WriteString("finish_reason", ChoiceResult.FinishName(f));
        else w.WriteNull("finish_reason");
        w.WriteEndObject();
        w.WriteEndArray();
        if (usageNull) w.WriteNull("usage");                // with include_usage, every chunk but the last has "usage": null
        w.WriteEndObject();
    }

    /// <summary>The last chunk of a stream with <c>include_usage</c>: no choices, the request's usage.</summary>
    public void WriteUsageChunk(Utf8JsonWriter w, UsageTotals usage)
    {
        w.WriteStartObject();
        WriteHeader(w, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteEndArray();
        usage.Write(w);
        w.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter w, string type)
    {
        w.WriteString("id", Id);
        w.WriteString("object", type);
        w.WriteNumber("created", Created);
        w.WriteString("model", Model);
    }

    // Arguments as a string holding the JSON object, as OpenAI sends them; a stream sends each call whole, with its index.
    private static void WriteToolCalls(Utf8JsonWriter w, IReadOnlyList<ToolCall> calls, bool streaming)
    {
        w.WriteStartArray("tool_calls");
        for (int i = 0; i < calls.Count; i++)
        {
            w.WriteStartObject();
            if (streaming) w.WriteNumber("index", i);
            w.WriteString("id", calls[i].Id ?? ChatMessageConverter.NewCallId());
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", calls[i].Name);
            w.WriteString("arguments", calls[i].ArgumentsJson);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
