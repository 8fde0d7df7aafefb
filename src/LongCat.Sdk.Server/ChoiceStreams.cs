using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using System.Threading.Channels;

namespace LongCat.Sdk.Server;

/// <summary>The updates of a request's <c>n</c> choices as they come, each tagged with its index (the engine batches the choices
/// like any concurrent requests).</summary>
internal static class ChoiceStreams
{
    /// <summary>
    /// The non-streamed answer: every choice read to its end, then one JSON body (<paramref name="write"/>); a cancelled choice
    /// (the host stopping, or the client gone) is <c>server_shutting_down</c>.
    /// </summary>
    public static async Task CompleteAsync(OpenAIServer server, HttpContext http, IAsyncEnumerable<GenerationUpdate>[] streams,
        Action<Utf8JsonWriter, ChoiceResult[], UsageTotals> write, CancellationToken cancellationToken)
    {
        var choices = streams.Select(_ => new ChoiceResult()).ToArray();
        var usage = new UsageTotals(server.Metrics);
        await foreach (var (i, update) in MergeAsync(streams, usage, cancellationToken).ConfigureAwait(false)) choices[i].Add(update);
        if (choices.Any(c => c.FinishReason == FinishReason.Cancelled)) throw OpenAIServer.ShuttingDown;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(ResponseJson.Write(w => write(w, choices, usage)), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// The streamed answer as server-sent events: each update of each choice through <paramref name="writeUpdate"/> (a cancelled
    /// choice's last update is not), then the usage chunk (<paramref name="writeUsage"/>, null when not asked) and
    /// <c>[DONE]</c>. The headers are sent first, so a failure goes in the stream as vLLM sends it (<paramref name="errorParam"/>
    /// names the request's field at fault) and no <c>[DONE]</c> follows; a client gone gets nothing more.
    /// </summary>
    public static async Task StreamAsync(OpenAIServer server, HttpContext http, IAsyncEnumerable<GenerationUpdate>[] streams, string errorParam,
        Func<SseWriter, int, GenerationUpdate, Task> writeUpdate, Action<Utf8JsonWriter, UsageTotals>? writeUsage, CancellationToken cancellationToken)
    {
        var sse = new SseWriter(http.Response, cancellationToken);
        await sse.StartAsync().ConfigureAwait(false);
        var usage = new UsageTotals(server.Metrics);
        bool cancelled = false;
        try
        {
            await foreach (var (i, u) in MergeAsync(streams, usage, cancellationToken).ConfigureAwait(false))
            {
                if (u.FinishReason == FinishReason.Cancelled) cancelled = true;
                else await writeUpdate(sse, i, u).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)   // (the host's stop: server_shutting_down)
        {
            await sse.WriteLastAsync(server.Failure(e, errorParam).Write).ConfigureAwait(false);
            return;
        }
        if (http.RequestAborted.IsCancellationRequested) return;
        if (cancelled)
        {
            await sse.WriteLastAsync(OpenAIServer.ShuttingDown.Write).ConfigureAwait(false);
            return;
        }
        if (writeUsage is not null) await sse.WriteAsync(w => writeUsage(w, usage)).ConfigureAwait(false);
        await sse.DoneAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Every update of every stream, until all have ended. Each choice is read to its end by a task of its own, which adds its
    /// usage to <paramref name="usage"/> even when nobody reads its updates any more (a cancelled choice's tokens are counted).
    /// A stream that fails ends the merge with its exception; whatever ends the merge early (that, the consumer leaving,
    /// <paramref name="cancellationToken"/>) cancels the other choices, and the merge returns only once each has ended, so their
    /// KV blocks are back in the pool and their usage counted when it does.
    /// </summary>
    public static async IAsyncEnumerable<(int Index, GenerationUpdate Update)> MergeAsync(IReadOnlyList<IAsyncEnumerable<GenerationUpdate>> streams,
        UsageTotals usage, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<(int, GenerationUpdate)>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int running = streams.Count;
        var pumps = new Task[streams.Count];
        for (int i = 0; i < streams.Count; i++) pumps[i] = Pump(i);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) yield return item;
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(pumps).ConfigureAwait(false);   // each pump catches its own failure
        }

        async Task Pump(int index)
        {
            try
            {
                await foreach (var update in streams[index].WithCancellation(stop.Token).ConfigureAwait(false))
                {
                    if (update.Usage is { } used) usage.Add(used);
                    channel.Writer.TryWrite((index, update));
                }
                if (Interlocked.Decrement(ref running) == 0) channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
                stop.Cancel();
            }
        }
    }
}
