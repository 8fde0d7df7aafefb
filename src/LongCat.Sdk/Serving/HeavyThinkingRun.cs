using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Serving;

/// <summary>
/// One Heavy Thinking request: its paths, made (and so validated) when the request is, decoded concurrently when it is read;
/// then the summary over their answers, streamed as the response. The first path runs alone until its prompt is prefilled
/// (the scheduler then offers the prompt's blocks to the prefix cache), so the others start from those blocks: one prefill.
/// Cancelling the request, or leaving the stream early, cancels every path.
/// </summary>
internal sealed class HeavyThinkingRun(IAsyncEnumerable<GenerationUpdate>[] paths, Func<IReadOnlyList<string>, IAsyncEnumerable<GenerationUpdate>> summary)
    : IAsyncEnumerable<GenerationUpdate>
{
    private int _started;

    public IAsyncEnumerator<GenerationUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("This generation stream has already been enumerated: a request runs once. Call ChatAsync again for another.");
        return Read(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<GenerationUpdate> Read([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var answers = new StringBuilder[paths.Length];
        for (int i = 0; i < answers.Length; i++) answers[i] = new StringBuilder();
        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true });
        bool cancelled = false;
        var pumping = Pump(channel.Writer, answers, cts.Token);
        try
        {
            await foreach (var u in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (u.Path?.FinishReason == FinishReason.Cancelled) cancelled = true;
                yield return u;
            }
        }
        finally
        {
            cts.Cancel();                                  // the reader left early or failed: end every path
            try { await pumping.ConfigureAwait(false); } catch (Exception) when (cts.IsCancellationRequested) { }
        }
        if (cancelled || cancellationToken.IsCancellationRequested)
        {
            yield return new GenerationUpdate { FinishReason = FinishReason.Cancelled };
            yield break;
        }
        var texts = answers.Select(a => a.ToString().Trim()).Where(a => a.Length > 0).ToList();
        await foreach (var u in summary(texts).WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return u;
    }

    // Path 0 alone until its first token (its prompt is then in the prefix cache), then the rest; the channel ends with the last.
    private async Task Pump(ChannelWriter<GenerationUpdate> writer, StringBuilder[] answers, CancellationToken cancellationToken)
    {
        try
        {
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var lead = Run(0, first);
            await Task.WhenAny(first.Task, lead).ConfigureAwait(false);
            var all = new List<Task> { lead };
            for (int i = 1; i < paths.Length; i++) all.Add(Run(i, null));
            await Task.WhenAll(all).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }

        async Task Run(int index, TaskCompletionSource? firstUpdate)
        {
            try
            {
                await foreach (var u in paths[index].WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    firstUpdate?.TrySetResult();
                    answers[index].Append(u.Text);
                    writer.TryWrite(new GenerationUpdate
                    {
                        TokenIds = u.TokenIds,
                        Path = new PathUpdate(index, u.Reasoning, u.Text, u.FinishReason, u.Usage),
                    });
                }
            }
            finally
            {
                firstUpdate?.TrySetResult();
            }
        }
    }

    /// <summary>The question of a conversation: its last user message's text.</summary>
    public static (int Index, string Question) LastUserTurn(IReadOnlyList<LongCatMessage> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i]?.Role == LongCatRole.User) return (i, messages[i].Content);
        throw new ArgumentException("Heavy Thinking needs a user turn: the summary restates the last user message's question.", nameof(messages));
    }
}
