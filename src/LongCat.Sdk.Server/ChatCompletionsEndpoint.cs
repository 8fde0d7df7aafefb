using System.Text.Json;
using LongCat.Sdk.Text;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Server;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the conversation (OpenAI's messages, assistant tool calls and tool results included) rendered
/// through the model's chat template, <c>tools</c> and <c>tool_choice</c> enforced by the engine, <c>response_format</c> as a
/// decoding constraint, <c>chat_template_kwargs</c> passed to the template; answered whole or as server-sent chunks.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(OpenAIServer server, HttpContext http, CancellationToken cancellationToken)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var f = new RequestFields(body.RootElement);
        var request = GenerationRequest.Parse(f, server.Options, server.ModelId);
        var messagesJson = f.Get("messages") ?? throw ApiError.BadRequest("messages", "messages is required: a list of {\"role\", \"content\"} objects.");
        var messages = GenerationRequest.Parse(() => OpenAIChatJson.ParseMessages(messagesJson), "messages");
        if (messages.Count == 0) throw ApiError.BadRequest("messages", "messages is empty; send at least one message.");
        var tools = f.Get("tools") is { } t ? GenerationRequest.Parse(() => OpenAIChatJson.ParseTools(t), "tools") : [];
        var toolChoice = f.Get("tool_choice") is { } c ? GenerationRequest.Parse(() => OpenAIChatJson.ParseToolChoice(c), "tool_choice") : ToolChoice.Auto;
        if (tools.Count == 0 && toolChoice.Mode == ToolChoiceMode.None) toolChoice = ToolChoice.Auto;   // no tools: nothing to forbid
        var options = request.Options with
        {
            Tools = tools.Count > 0 ? tools : null,
            ToolChoice = toolChoice,
            ChatTemplateArguments = TemplateArguments(f),
        };
        GenerationRequest.Validate(options);

        var engine = await server.Engine.GetAsync(cancellationToken).ConfigureAwait(false);
        var streams = new IAsyncEnumerable<GenerationUpdate>[request.Choices];
        try
        {
            for (int i = 0; i < streams.Length; i++)              // admission: a prompt too long, a bad schema... throw here
                streams[i] = engine.ChatAsync(messages, GenerationRequest.ForChoice(options, i), cancellationToken);
        }
        catch (JsonSchemaException e) when (options.Constraint is null || options.Tools is null)
        {
            // The schema at fault is the tools' parameters or the response format, whichever the request has.
            throw ApiError.BadRequest(options.Constraint is null ? "tools" : "response_format", e.Message, "invalid_json_schema");
        }
        var json = ChatCompletionJson.Create(server.ModelId);
        if (request.Stream) await StreamAsync(server, http, json, streams, request.IncludeUsage, cancellationToken).ConfigureAwait(false);
        else await CompleteAsync(server, http, json, streams, cancellationToken).ConfigureAwait(false);
    }

    private static Task CompleteAsync(OpenAIServer server, HttpContext http, ChatCompletionJson json,
        IAsyncEnumerable<GenerationUpdate>[] streams, CancellationToken cancellationToken) =>
        ChoiceStreams.CompleteAsync(server, http, streams, json.WriteCompletion, cancellationToken);

    private static Task StreamAsync(OpenAIServer server, HttpContext http, ChatCompletionJson json,
        IAsyncEnumerable<GenerationUpdate>[] streams, bool includeUsage, CancellationToken cancellationToken)
    {
        var begun = new bool[streams.Length];
        return ChoiceStreams.StreamAsync(server, http, streams, "messages", async (sse, i, u) =>
        {
            string text = u.Text + string.Concat(u.MalformedToolCalls ?? []);   // unreadable tool calls go back as text
            bool first = !begun[i];
            begun[i] = true;
            if (first || text.Length > 0 || u.Reasoning.Length > 0)
                await sse.WriteAsync(w => json.WriteChunk(w, i, role: first, first || text.Length > 0 ? text : null,
                    u.Reasoning.Length > 0 ? u.Reasoning : null, null, null, includeUsage)).ConfigureAwait(false);
            if (u.ToolCalls is { Count: > 0 } calls)
                await sse.WriteAsync(w => json.WriteChunk(w, i, false, null, null, calls, null, includeUsage)).ConfigureAwait(false);
            if (u.FinishReason is { } finish)
                await sse.WriteAsync(w => json.WriteChunk(w, i, false, null, null, null, finish, includeUsage)).ConfigureAwait(false);
        }, includeUsage ? json.WriteUsageChunk : null, cancellationToken);
    }

    // chat_template_kwargs: an object whose values go to the template as they are (JSON values).
    private static Dictionary<string, object?>? TemplateArguments(RequestFields f)
    {
        if (f.Get("chat_template_kwargs") is not { } kwargs) return null;
        if (kwargs.ValueKind != JsonValueKind.Object) throw RequestFields.Wrong("chat_template_kwargs", "an object", kwargs);
        return kwargs.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
    }
}
