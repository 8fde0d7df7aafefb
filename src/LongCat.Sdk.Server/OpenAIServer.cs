using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Server;

/// <summary>
/// What every request of the endpoint goes through, in order: the API key (401), the loopback rule for a keyless server (403),
/// the concurrency limit (429), then the handler, whose exceptions become OpenAI-shaped errors. A request's token ends when the
/// client disconnects or the host begins to stop; the engine then ends its generation as cancelled and frees its KV blocks.
/// </summary>
internal sealed class OpenAIServer
{
    private readonly byte[][] _keys;
    private readonly ILogger _logger;
    private int _active;

    public OpenAIServer(IServiceProvider services, IOptions<LongCatServerOptions> options, IHostApplicationLifetime lifetime,
        ILogger<OpenAIServer>? logger = null)
    {
        Options = options.Value;
        Options.Validate();
        _keys = [.. Options.ApiKeys.Select(Encoding.UTF8.GetBytes)];
        Engine = new EngineSource(services);
        Stopping = lifetime.ApplicationStopping;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public LongCatServerOptions Options { get; }
    public EngineSource Engine { get; }
    public ServerMetrics Metrics { get; } = new();

    /// <summary>Signalled when the host begins to stop: in-flight generations end as cancelled.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>The served model's name.</summary>
    public string ModelId => Options.ModelId ?? Engine.ModelId;

    /// <summary>Runs <paramref name="handle"/> for one request of <paramref name="endpoint"/>.</summary>
    /// <param name="http">The request.</param>
    /// <param name="endpoint">The endpoint's label in the metrics.</param>
    /// <param name="promptParam">The body field holding the prompt, named by prompt errors.</param>
    /// <param name="generation">Whether the request generates (counts against <see cref="LongCatServerOptions.MaxConcurrentRequests"/>).</param>
    /// <param name="handle">The endpoint's work, given the request's token (the client's disconnect or the host's stop).</param>
    public async Task RunAsync(HttpContext http, string endpoint, string? promptParam, bool generation, Func<HttpContext, CancellationToken, Task> handle)
    {
        bool admitted = false;
        try
        {
            if (Authorize(http) is { } refusal) throw refusal;
            if (generation)
            {
                if (Interlocked.Increment(ref _active) > Options.MaxConcurrentRequests)
                {
                    Interlocked.Decrement(ref _active);
                    throw new ApiError(StatusCodes.Status429TooManyRequests,
                        $"This server is answering its limit of {Options.MaxConcurrentRequests} concurrent requests; retry shortly.", "requests", null, "rate_limit_exceeded");
                }
                admitted = true;
                Metrics.Started();
            }
            using var request = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, Stopping);
            await handle(http, request.Token).ConfigureAwait(false);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client has gone: nobody reads an answer.
        }
        catch (Exception e)
        {
            await Failure(e, promptParam ?? "messages").WriteAsync(http).ConfigureAwait(false);
        }
        finally
        {
            if (admitted)
            {
                Interlocked.Decrement(ref _active);
                Metrics.Ended();
            }
            Metrics.Request(endpoint, http.Response.StatusCode);
        }
    }

    /// <summary>The error answering <paramref name="e"/> (<see cref="ApiError.From"/>; a cancellation by the host's stop is
    /// <see cref="ShuttingDown"/>); the server's own failures are logged.</summary>
    public ApiError Failure(Exception e, string promptParam)
    {
        if (e is OperationCanceledException && Stopping.IsCancellationRequested) return ShuttingDown;
        var error = ApiError.From(e, promptParam, Options.MaxPromptTokens);
        if (error.Status >= 500) _logger.LogError(e, "A request failed: {Message}", e.Message);
        return error;
    }

    /// <summary>The answer to a request the host's shutdown cut short.</summary>
    public static ApiError ShuttingDown => new(StatusCodes.Status503ServiceUnavailable,
        "The server is shutting down; the request was cancelled.", ApiError.ServerError, null, "server_shutting_down");

    private ApiError? Authorize(HttpContext http)
    {
        if (_keys.Length == 0)
        {
            return http.Connection.LocalIpAddress is { } local && !Loopback.IsLoopback(local)
                ? new ApiError(StatusCodes.Status403Forbidden,
                    "This server has no API key, so it answers only on loopback addresses; start it with an API key to serve the network.",
                    ApiError.InvalidRequest, null, "api_key_required")
                : null;
        }
        string? header = http.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return new ApiError(StatusCodes.Status401Unauthorized,
                "This server needs an API key: send the header Authorization: Bearer YOUR_KEY.", ApiError.InvalidRequest, null, "missing_api_key");
        byte[] given = Encoding.UTF8.GetBytes(header.AsSpan(7).Trim().ToString());
        bool match = false;
        foreach (byte[] key in _keys) match |= CryptographicOperations.FixedTimeEquals(given, key);   // no early exit: no timing hint
        return match ? null : new ApiError(StatusCodes.Status401Unauthorized, "Incorrect API key provided.", ApiError.InvalidRequest, null, "invalid_api_key");
    }
}
