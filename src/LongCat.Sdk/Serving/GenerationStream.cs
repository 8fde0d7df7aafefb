using System.Runtime.CompilerServices;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The handle of one request: everything was validated when it was made; enumerating it submits the request and streams its
/// updates. It runs once: a second enumeration, at the same time or later, throws and leaves the request and the engine alone.
/// </summary>
/// <remarks>Cancellation (the token given with the request, the enumerator's token, or the reader stopping early) ends the
/// stream with a last update whose <see cref="GenerationUpdate.FinishReason"/> is <see cref="FinishReason.Cancelled"/>, within
/// one engine step, and never throws.</remarks>
internal sealed class GenerationStream(EngineLoop loop, Sequence sequence, CancellationToken cancellationToken) : IAsyncEnumerable<GenerationUpdate>
{
    private int _started;

    /// <summary>The request inside the engine (tests read its cancellation bookkeeping).</summary>
    internal Sequence Sequence => sequence;

    public IAsyncEnumerator<GenerationUpdate> GetAsyncEnumerator(CancellationToken enumeratorToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("This generation stream has already been enumerated: a request runs once. Call GenerateAsync or ChatAsync again for another.");
        return Read(default).GetAsyncEnumerator(enumeratorToken);
    }

    private async IAsyncEnumerable<GenerationUpdate> Read([EnumeratorCancellation] CancellationToken enumeratorToken)
    {
        using var byRequest = cancellationToken.Register(() => loop.Cancel(sequence));
        using var byEnumerator = enumeratorToken.Register(() => loop.Cancel(sequence));
        loop.Submit(sequence);
        try
        {
            await foreach (var update in sequence.Updates.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                yield return update;
        }
        finally
        {
            loop.Cancel(sequence);          // the reader stopped early: the loop frees the sequence at its next step (no-op once ended)
        }
    }
}
