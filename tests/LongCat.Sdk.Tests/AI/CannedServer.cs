using System.Text.Json;
using LongCat.Sdk.Tests.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// A stand-in for an OpenAI-compatible server on a loopback port: <c>POST /v1/chat/completions</c> records each request (body and
/// Authorization header) and answers with the chunks set in <see cref="Chunks"/> as server-sent events, then <c>[DONE]</c>. It
/// shows what a remote client sends, and plays what SGLang or vLLM send back (parsed fields or the model's raw text).
/// </summary>
internal sealed class CannedServer : IAsyncDisposable
{
    private WebApplication _app = null!;

    /// <summary>The base address, <c>http://127.0.0.1:PORT/v1</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The bodies received, in order.</summary>
    public List<JsonElement> Requests { get; } = [];

    /// <summary>The Authorization header of each request (null: none).</summary>
    public List<string?> Authorizations { get; } = [];

    /// <summary>The <c>data:</c> payloads of the answer (chat.completion.chunk objects).</summary>
    public List<string> Chunks { get; } = [];

    public static async Task<CannedServer> StartAsync()
    {
        var requests = new CannedServer();
        var (app, url) = await ServerHost.StartLoopbackAsync(_ => { }, app => app.MapPost("/v1/chat/completions", (RequestDelegate)requests.AnswerAsync));
        requests._app = app;
        requests.Endpoint = new Uri(url, "/v1");
        return requests;
    }

    private async Task AnswerAsync(HttpContext http)
    {
        using (var body = await JsonDocument.ParseAsync(http.Request.Body)) Requests.Add(body.RootElement.Clone());
        Authorizations.Add(http.Request.Headers.Authorization.FirstOrDefault());
        http.Response.ContentType = "text/event-stream";
        foreach (string chunk in Chunks) await http.Response.WriteAsync($"data: {chunk}\n\n");
        await http.Response.WriteAsync("data: [DONE]\n\n");
    }

    /// <summary>A chunk with one choice's <paramref name="delta"/> (a JSON object) and finish reason.</summary>
    public static string Delta(string delta, string? finish = null) =>
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"served\",\"choices\":[{\"index\":0,\"delta\":" + delta +
        ",\"finish_reason\":" + (finish is null ? "null" : "\"" + finish + "\"") + "}]}";

    /// <summary>A content delta (<paramref name="text"/> JSON-escaped).</summary>
    public static string Content(string text, string? finish = null) => Delta("{\"content\":" + JsonSerializer.Serialize(text) + "}", finish);

    /// <summary>The last chunk of a stream with usage: no choices.</summary>
    public static string Usage(int prompt, int completion, int? reasoning = null)
    {
        string details = reasoning is int r ? ",\"completion_tokens_details\":{\"reasoning_tokens\":" + r + "}" : "";
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"served\",\"choices\":[],\"usage\":{" +
               $"\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion}{details}}}}}";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
