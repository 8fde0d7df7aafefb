using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace LongCat.Sdk.Server;

/// <summary>The updates of a request's <c>n</c> choices as they come, each tagged with its index (the engine batches the choices
/// like any concurrent requests).</summary>
internal static class ChoiceStreams
{
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
