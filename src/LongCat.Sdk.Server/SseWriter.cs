using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LongCat.Sdk.Server;

/// <summary>Server-sent events as OpenAI streams them: <c>data: {json}\n\n</c> per event, flushed at once, then <c>data: [DONE]\n\n</c>.</summary>
internal sealed class SseWriter
{
    private readonly HttpResponse _response;
    private readonly CancellationToken _cancellationToken;
    private readonly Utf8JsonWriter _json;

    /// <param name="response">The response to stream.</param>
    /// <param name="cancellationToken">The request's token: it ends a flush that waits on a client that stopped reading.</param>
    public SseWriter(HttpResponse response, CancellationToken cancellationToken)
    {
        _response = response;
        _cancellationToken = cancellationToken;
        _json = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Sends the headers: 200, <c>text/event-stream</c>, no caching or proxy buffering.</summary>
    public Task StartAsync()
    {
        _response.StatusCode = StatusCodes.Status200OK;
        _response.ContentType = "text/event-stream; charset=utf-8";
        _response.Headers.CacheControl = "no-cache";
        _response.Headers["X-Accel-Buffering"] = "no";
        _response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return _response.StartAsync();
    }

    /// <summary>One event holding what <paramref name="write"/> writes (a stalled client holds it back: backpressure).</summary>
    public Task WriteAsync(Action<Utf8JsonWriter> write) => WriteAsync(write, _cancellationToken);

    /// <summary>The stream's last event (an error), written even once the request's token has ended (the host is stopping).</summary>
    public Task WriteLastAsync(Action<Utf8JsonWriter> write) => WriteAsync(write, CancellationToken.None);

    private async Task WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var pipe = _response.BodyWriter;
        pipe.Write("data: "u8);
        _json.Reset(pipe);
        write(_json);
        _json.Flush();
        pipe.Write("\n\n"u8);
        var flushed = await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flushed.IsCanceled) throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>The stream's end: <c>data: [DONE]</c>.</summary>
    public async Task DoneAsync()
    {
        _response.BodyWriter.Write("data: [DONE]\n\n"u8);
        await _response.BodyWriter.FlushAsync().ConfigureAwait(false);
    }
}
