using System.Text.Json;
using LongCat.Sdk.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps LongCat's OpenAI-compatible HTTP API (docs/SERVING.md).</summary>
/// <example>
/// <code>
/// var builder = WebApplication.CreateSlimBuilder(args);
/// builder.Services.AddLongCat(o => o.ModelPath = "models/longcat-demo");
/// builder.Services.AddLongCatServer(o => o.ApiKeys.Add(Environment.GetEnvironmentVariable("LONGCAT_API_KEY")!));
/// var app = builder.Build();
/// app.MapLongCatOpenAI();
/// await app.RunAsync();
/// </code>
/// </example>
public static class LongCatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="prefix"/>, <c>POST chat/completions</c> (JSON or server-sent events with <c>stream: true</c>),
    /// <c>POST completions</c>, <c>GET models</c> and <c>GET models/{id}</c>, each behind the API keys of
    /// <see cref="LongCatServerOptions"/>; and at the root, <c>GET /health</c> (no key: 200 once the model has loaded, 503 while
    /// it loads) and <c>GET /metrics</c> (Prometheus text, behind the keys). Requires <c>services.AddLongCatServer()</c> and an
    /// engine in the container (<c>services.AddLongCat(...)</c>, or a registered <see cref="LongCat.Sdk.LongCatEngine"/>).
    /// </summary>
    /// <returns>The builder of the prefixed group, to add conventions (CORS, rate limiting, ...) to the API's endpoints.</returns>
    /// <exception cref="InvalidOperationException"><c>AddLongCatServer</c> was not called, or no engine is registered.</exception>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> does not start with '/'.</exception>
    public static IEndpointConventionBuilder MapLongCatOpenAI(this IEndpointRouteBuilder endpoints, string prefix = "/v1")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0 && prefix[0] != '/') throw new ArgumentException($"The prefix '{prefix}' must start with '/' (e.g. \"/v1\").", nameof(prefix));
        var server = endpoints.ServiceProvider.GetService<OpenAIServer>()
            ?? throw new InvalidOperationException("MapLongCatOpenAI needs the server's services: call builder.Services.AddLongCatServer() first.");

        var api = endpoints.MapGroup(prefix);
        api.MapPost("/chat/completions", (RequestDelegate)(http =>
            server.RunAsync(http, "chat_completions", "messages", generation: true, (h, ct) => ChatCompletionsEndpoint.HandleAsync(server, h, ct))));
        api.MapPost("/completions", (RequestDelegate)(http =>
            server.RunAsync(http, "completions", "prompt", generation: true, (h, ct) => CompletionsEndpoint.HandleAsync(server, h, ct))));
        api.MapGet("/models", (RequestDelegate)(http => server.RunAsync(http, "models", null, generation: false, (h, _) => WriteModels(server, h, null))));
        api.MapGet("/models/{**id}", (RequestDelegate)(http =>
            server.RunAsync(http, "models", null, generation: false, (h, _) => WriteModels(server, h, h.Request.RouteValues["id"] as string ?? ""))));
        api.MapFallback((RequestDelegate)(http => server.RunAsync(http, "unknown", null, generation: false, (h, _) =>
            throw new ApiError(StatusCodes.Status404NotFound,
                $"Unknown endpoint: {h.Request.Method} {h.Request.Path}. This server answers POST {prefix}/chat/completions, POST {prefix}/completions and GET {prefix}/models.",
                ApiError.InvalidRequest, null, "unknown_url"))));
        endpoints.MapGet("/health", (RequestDelegate)(http => WriteHealth(server, http)));
        endpoints.MapGet("/metrics", (RequestDelegate)(http => server.RunAsync(http, "metrics", null, generation: false, (h, _) =>
        {
            h.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return h.Response.WriteAsync(server.Metrics.Render(server.Engine.Loaded), CancellationToken.None);
        })));
        return api;
    }

    // The list of one model, or that model (id given): 404 for another id.
    private static Task WriteModels(OpenAIServer server, HttpContext http, string? id)
    {
        string model = server.ModelId;
        if (id is not null && id != model)
            throw new ApiError(StatusCodes.Status404NotFound, $"The model '{id}' does not exist; this server serves '{model}'.", ApiError.InvalidRequest, "model", "model_not_found");
        http.Response.ContentType = "application/json";
        return http.Response.Body.WriteAsync(ResponseJson.Write(w =>
        {
            if (id is null)
            {
                w.WriteStartObject();
                w.WriteString("object", "list");
                w.WriteStartArray("data");
            }
            w.WriteStartObject();
            w.WriteString("id", model);
            w.WriteString("object", "model");
            w.WriteNumber("created", Started);
            w.WriteString("owned_by", "longcat");
            w.WriteEndObject();
            if (id is null)
            {
                w.WriteEndArray();
                w.WriteEndObject();
            }
        }), CancellationToken.None).AsTask();
    }

    private static readonly long Started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    // 200 once the engine has loaded; 503 while it loads (the first probe starts the load).
    private static async Task WriteHealth(OpenAIServer server, HttpContext http)
    {
        bool ready = server.Engine.Loaded is not null;
        if (!ready) _ = server.Engine.GetAsync(CancellationToken.None).AsTask().ContinueWith(static t => t.Exception, TaskScheduler.Default);
        http.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(ResponseJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("status", ready ? "ok" : "loading");
            w.WriteEndObject();
        }), CancellationToken.None).ConfigureAwait(false);
        server.Metrics.Request("health", http.Response.StatusCode);
    }
}
