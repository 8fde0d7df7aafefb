using System.Diagnostics;
using System.Threading.Channels;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The one thread that owns the model, its backend, the scheduler (and through it every KV block) and the speculative decoder.
/// Each step reads schedule → forward → choose tokens (sample / verify) → post → draft. A failure in one step fails only the
/// sequences of that step; cancellation is honoured at the next step. Updates are posted after the statistics snapshot is
/// published, so a caller who sees its stream end sees its blocks freed.
/// </summary>
internal sealed class EngineLoop : IDisposable, IAsyncDisposable
{
    private readonly LongCatModel _model;
    private readonly Scheduler _scheduler;
    private readonly SpeculativeDecoder _speculative;
    private readonly StatisticsCollector _stats = new();
    private readonly Channel<Sequence> _incoming = Channel.CreateUnbounded<Sequence>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Sequence Seq, GenerationUpdate? Update, Exception? Error)> _outbox = [];
    private readonly List<Sequence> _impossible = [];
    private readonly List<int> _chosen = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _stepsStarted;

    public EngineLoop(LongCatModel model, int maxBatchTokens, int maxSequences, bool prefixCaching)
    {
        _model = model;
        var kv = new KvCacheManager(model.KvCache.BlockCount, model.KvCache.BlockSize, prefixCaching);
        _scheduler = new Scheduler(kv, maxBatchTokens, maxSequences);
        _speculative = new SpeculativeDecoder(model.Mtp, model.Config.VocabSize);
        _stats.Publish(_scheduler, _speculative);
        _thread = new Thread(Run) { IsBackground = true, Name = "longcat-engine" };
        _thread.Start();
    }

    /// <summary>The counters as of the end of the last step (thread-safe).</summary>
    public EngineStatistics Statistics => _stats.Snapshot;

    /// <summary>Forward steps begun so far (thread-safe; ahead of <see cref="Statistics"/> by the step in flight).</summary>
    public long StepsStarted => Volatile.Read(ref _stepsStarted);

    /// <exception cref="ObjectDisposedException">The engine is shutting down.</exception>
    public void Submit(Sequence s)
    {
        if (!_incoming.Writer.TryWrite(s)) throw new ObjectDisposedException(nameof(LongCatEngine));
    }

    /// <summary>Asks the loop to end <paramref name="s"/> as cancelled at its next step (any thread; no-op once it has ended).</summary>
    public void Cancel(Sequence s) => s.RequestCancel(StepsStarted);

    private void Run()
    {
        try
        {
            Loop();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Admit();
            if (_scheduler.Idle)
            {
                Post();                                                     // what admission ended (a forced run past the limit)
                try
                {
                    if (!_incoming.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult()) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            foreach (var s in _scheduler.All.Where(s => s.CancelRequested).ToList()) Finish(s, FinishReason.Cancelled);
            Step();
            Post();
        }
        // Shutting down: end every stream.
        Admit();
        foreach (var s in _scheduler.All.ToList()) Finish(s, FinishReason.Cancelled);
        Post();
    }

    private void Step()
    {
        long start = Stopwatch.GetTimestamp();
        var plan = _scheduler.Schedule(_impossible);                        // KV reserved for every row
        foreach (var s in _impossible) Fail(s, new KvCacheExhaustedException((s.Count + _model.KvCache.BlockSize) / _model.KvCache.BlockSize, _scheduler.FreeBlocks, _scheduler.BlockCount));
        _impossible.Clear();
        if (plan.Entries.Count == 0) return;
        _speculative.Attach(plan, _scheduler);                              // last step's drafts, where budget and KV allow
        bool speculating = _speculative.NeedsHidden(plan);

        if (Forward(plan, speculating) is not { } result) return;           // schedule → forward
        foreach (var entry in plan.Entries)                                 // → sample / verify (a prompt chunk short of its end waits)
            if (entry.Samples) Emit(entry, result);
        Post();                                                             // → post: the tokens go out before drafting
        long draft = Stopwatch.GetTimestamp();
        if (speculating) Draft(plan, result);                               // → the next step's drafts
        _stats.Step(plan, draft - start, speculating ? Stopwatch.GetTimestamp() - draft : 0);
    }

    // The plan's forward, its rows committed to the cache; null when it failed (its sequences fail, the engine goes on).
    private ForwardResult? Forward(StepPlan plan, bool returnHidden)
    {
        Interlocked.Increment(ref _stepsStarted);
        long start = Stopwatch.GetTimestamp();
        try
        {
            var result = _model.Forward(plan.ToBatch(_model.NgramHistoryLength, returnHidden));
            _scheduler.Commit(plan);
            _stats.Forward(plan, Stopwatch.GetTimestamp() - start);
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var entry in plan.Entries) Fail(entry.Sequence, e);
            return null;
        }
    }

    private void Draft(StepPlan plan, ForwardResult result)
    {
        try
        {
            _speculative.Propose(plan, result, _scheduler);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var entry in plan.Entries.Where(en => en.Sequence.DraftTokens > 0)) Fail(entry.Sequence, e);
        }
    }

    // An entry's tokens from the step's logits: rejected drafts rolled back, then each token appended and streamed.
    private void Emit(StepEntry e, ForwardResult result)
    {
        var s = e.Sequence;
        try
        {
            int accepted = _speculative.Choose(e, result, _chosen);
            if (e.Drafts.Count > 0)
            {
                _scheduler.Rollback(s, e.Start + 1 + accepted);            // the pending token and the accepted drafts stay
                _stats.Verified();
            }
            s.RecordStep(e.Drafts.Count, accepted);
            foreach (int token in _chosen)
                if (!Advance(s, token)) break;
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            Fail(s, error);                                                 // one sequence's bad logits fail it alone
        }
    }

    // Admission: a constraint that forces the answer's first tokens (a tool call's opening) has them appended now.
    private void Admit()
    {
        while (_incoming.Reader.TryRead(out var s))
        {
            _scheduler.Add(s);
            if (!s.CancelRequested) Force(s);
        }
    }

    /// <summary>Appends a chosen token and any the constraint then forces; false once the sequence has ended.</summary>
    private bool Advance(Sequence s, int token) => Append(s, token, forced: false) && Force(s);

    private bool Force(Sequence s)
    {
        while (s.Constraint is { IsComplete: false } c && c.ForcedTokens() is { Count: > 0 } forced)
            foreach (int token in forced)
                if (!Append(s, token, forced: true)) return false;
        return true;
    }

    /// <summary>Appends one token and streams what it completes; finishes the sequence when a stop rule fires.</summary>
    private bool Append(Sequence s, int token, bool forced)
    {
        if (token < 0)
        {
            Finish(s, FinishReason.NoAllowedToken);                         // the constraint allows nothing: end, never spin
            return false;
        }
        if (s.StopTokens.Contains(token))
        {
            Finish(s, FinishReason.Stop);                                   // the stop token is neither emitted nor counted
            return false;
        }
        s.Append(token, forced);
        var piece = s.Output.Push(token);
        if (piece.Stopped || s.Remaining <= 0)
        {
            Finish(s, piece.Stopped ? FinishReason.Stop : FinishReason.Length, token, piece);
            return false;
        }
        _outbox.Add((s, new GenerationUpdate { Text = piece.Text, Reasoning = piece.Reasoning, TokenIds = [token] }, null));
        return true;
    }

    private void Finish(Sequence s, FinishReason reason, int? lastToken = null, OutputPiece last = default)
    {
        if (s.Status == SequenceStatus.Finished) return;
        var rest = s.Output.Finish();
        var calls = s.Output.ToolCalls;
        if (reason == FinishReason.Stop && calls.Count > 0) reason = FinishReason.ToolCalls;
        if (reason == FinishReason.Cancelled) s.CancelledAtStep = StepsStarted;
        End(s, keepPrefix: true);
        _outbox.Add((s, new GenerationUpdate
        {
            Text = last.Text + rest.Text,
            Reasoning = (last.Reasoning ?? "") + rest.Reasoning,
            TokenIds = lastToken is int t ? [t] : [],
            FinishReason = reason,
            Usage = s.Usage(),
            ToolCalls = calls.Count > 0 ? calls : null,
            MalformedToolCalls = s.Output.MalformedToolCalls.Count > 0 ? s.Output.MalformedToolCalls : null,
        }, null));
    }

    private void Fail(Sequence s, Exception error)
    {
        if (s.Status == SequenceStatus.Finished) return;
        End(s, keepPrefix: false);
        _outbox.Add((s, null, error));
    }

    private void End(Sequence s, bool keepPrefix)
    {
        _scheduler.Remove(s, keepPrefix);                                   // frees the KV blocks before the stream completes
        _speculative.Forget(s);
    }

    // Publishes the statistics, then delivers the step's updates: a stream's end is posted after its blocks show as free.
    private void Post()
    {
        _stats.Publish(_scheduler, _speculative);
        foreach (var (s, update, error) in _outbox)
        {
            if (update is not null) s.Updates.Writer.TryWrite(update);
            if (error is not null || update?.FinishReason is not null) s.Updates.Writer.TryComplete(error);
        }
        _outbox.Clear();
    }

    public void Dispose()
    {
        RequestStop();
        _thread.Join();
        _stop.Dispose();
    }

    /// <summary>Stops the loop (every running request ends as cancelled) and completes when its thread has finished.</summary>
    public async ValueTask DisposeAsync()
    {
        RequestStop();
        await _stopped.Task.ConfigureAwait(false);
        _thread.Join();                                   // already past its last statement: returns at once
        _stop.Dispose();
    }

    private void RequestStop()
    {
        _incoming.Writer.TryComplete();
        _stop.Cancel();
    }
}
