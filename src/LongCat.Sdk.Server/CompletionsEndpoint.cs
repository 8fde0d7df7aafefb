using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Server;

/// <summary>
/// <c>POST /v1/completions</c>: continues <c>prompt</c> as it is (no chat template, no BOS): a string, or a list of token ids;
/// sampling, <c>n</c>, <c>stop</c>, <c>response_format</c> and streaming as in chat completions.
/// </summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(OpenAIServer server, HttpContext http, CancellationToken cancellationToken)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var f = new RequestFields(body.RootElement);
        var request = GenerationRequest.Parse(f, server.Options, server.ModelId);
        if (f.Bool("echo") == true) throw ApiError.BadRequest("echo", "echo is not supported by this server.", "unsupported_parameter");
        if (f.String("suffix") is { Length: > 0 }) throw ApiError.BadRequest("suffix", "suffix is not supported by this server.", "unsupported_parameter");
        if (f.Long("best_of") is > 1) throw ApiError.BadRequest("best_of", "best_of is not supported by this server; use n.", "unsupported_parameter");
        var (text, ids) = Prompt(f.Get("prompt") ?? throw ApiError.BadRequest("prompt", "prompt is required: a string or a list of token ids."));

        var engine = await server.Engine.GetAsync(cancellationToken).ConfigureAwait(false);
        var streams = new IAsyncEnumerable<GenerationUpdate>[request.Choices];
        for (int i = 0; i < streams.Length; i++)
        {
            var options = GenerationRequest.ForChoice(request.Options, i);
            streams[i] = text is not null ? engine.GenerateAsync(text, options, cancellationToken) : engine.GenerateAsync(ids!, options, cancellationToken);
        }
        var header = new Header("cmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), server.ModelId);
        if (request.Stream) await StreamAsync(server, http, header, streams, request.IncludeUsage, cancellationToken).ConfigureAwait(false);
        else await CompleteAsync(server, http, header, streams, cancellationToken).ConfigureAwait(false);
    }

    private sealed record Header(string Id, long Created, string Model);

    // A string, a list of one string, or a list of token ids (a list of several prompts is several requests).
    private static (string? Text, int[]? Ids) Prompt(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String) return (prompt.GetString()!, null);
        if (prompt.ValueKind != JsonValueKind.Array) throw RequestFields.Wrong("prompt", "a string or a list of token ids", prompt);
        var items = prompt.EnumerateArray().ToList();
        if (items.Count == 1 && items[0].ValueKind == JsonValueKind.String) return (items[0].GetString()!, null);
        if (items.Count == 1 && items[0].ValueKind == JsonValueKind.Array) return Prompt(items[0]);
        if (items.Count == 0) throw ApiError.BadRequest("prompt", "prompt is an empty list.");
        if (items.All(i => i.ValueKind == JsonValueKind.String))
            throw ApiError.BadRequest("prompt", $"prompt holds {items.Count} prompts; this server answers one prompt per request (send them as separate requests).");
        var ids = new int[items.Count];
        for (int i = 0; i < ids.Length; i++)
            if (items[i].ValueKind != JsonValueKind.Number || !items[i].TryGetInt32(out ids[i])) throw RequestFields.Wrong($"prompt[{i}]", "a token id (an integer)", items[i]);
        return (null, ids);
    }

    private static Task CompleteAsync(OpenAIServer server, HttpContext http, Header h, IAsyncEnumerable<GenerationUpdate>[] streams,
        CancellationToken cancellationToken) =>
        ChoiceStreams.CompleteAsync(server, http, streams, (w, choices, usage) =>
        {
            w.WriteStartObject();
            WriteHeader(w, h);
            w.WriteStartArray("choices");
            for (int i = 0; i < choices.Length; i++) WriteChoice(w, i, choices[i].Text.ToString(), choices[i].FinishReason);
            w.WriteEndArray();
            usage.Write(w);
            w.WriteEndObject();
        }, cancellationToken);

    private static Task StreamAsync(OpenAIServer server, HttpContext http, Header h, IAsyncEnumerable<GenerationUpdate>[] streams,
        bool includeUsage, CancellationToken cancellationToken) =>
        ChoiceStreams.StreamAsync(server, http, streams, "prompt", (sse, i, u) =>
            u.Text.Length == 0 && u.FinishReason is null ? Task.CompletedTask : sse.WriteAsync(w =>
            {
                w.WriteStartObject();
                WriteHeader(w, h);
                w.WriteStartArray("choices");
                WriteChoice(w, i, u.Text, u.FinishReason);
                w.WriteEndArray();
                if (includeUsage) w.WriteNull("usage");
                w.WriteEndObject();
            }),
            includeUsage ? (w, usage) =>
            {
                w.WriteStartObject();
                WriteHeader(w, h);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                usage.Write(w);
                w.WriteEndObject();
            } : null, cancellationToken);

    private static void WriteHeader(Utf8JsonWriter w, Header h)
    {
        w.WriteString("id", h.Id);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", h.Created);
        w.WriteString("model", h.Model);
    }

    private static void WriteChoice(Utf8JsonWriter w, int index, string text, FinishReason? finish)
    {
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteString("text", text);
        w.WriteNull("logprobs");
        if (finish is { } f) w.WriteString("finish_reason", ChoiceResult.FinishName(f));
        else w.WriteNull("finish_reason");
        w.WriteEndObject();
    }
}
