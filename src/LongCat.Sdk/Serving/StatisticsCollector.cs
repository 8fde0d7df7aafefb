using System.Diagnostics;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The engine's counters, kept by the loop thread alone, and published as an immutable <see cref="EngineStatistics"/> snapshot:
/// every public read is of the last snapshot, so it is thread-safe and never sees a step half counted.
/// </summary>
internal sealed class StatisticsCollector
{
    private EngineStatistics _snapshot = new(0, 0, 0);
    private long _steps, _verifySteps, _decodeForwards, _decodeForwardTicks, _verifyForwards, _verifyForwardTicks, _draftTicks, _decodeStepTicks;

    /// <summary>The last published snapshot (any thread).</summary>
    public EngineStatistics Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>A forward of <paramref name="plan"/> took <paramref name="ticks"/>.</summary>
    public void Forward(StepPlan plan, long ticks)
    {
        _steps++;
        if (!plan.IsDecode) return;
        _decodeForwards++;
        _decodeForwardTicks += ticks;
        if (!plan.Verifies) return;
        _verifyForwards++;
        _verifyForwardTicks += ticks;
    }

    /// <summary>An entry verified drafts.</summary>
    public void Verified() => _verifySteps++;

    /// <summary>A decode step spent <paramref name="stepTicks"/> up to its drafting, and <paramref name="draftTicks"/> drafting.</summary>
    public void Step(StepPlan plan, long stepTicks, long draftTicks)
    {
        _draftTicks += draftTicks;
        if (plan.IsDecode) _decodeStepTicks += stepTicks;
    }

    /// <summary>Publishes the counters with the KV and speculation figures their owners keep.</summary>
    public void Publish(Scheduler scheduler, SpeculativeDecoder speculative) => Volatile.Write(ref _snapshot,
        new EngineStatistics(_steps, speculative.Drafted, speculative.Accepted)
        {
            PrefixCacheHitTokens = scheduler.PrefixHitTokens,
            FreeKvBlocks = scheduler.FreeBlocks,
            Preemptions = scheduler.Preemptions,
            RunningRequests = scheduler.RunningCount,
            WaitingRequests = scheduler.WaitingCount,
            VerifySteps = _verifySteps,
            DecodeForwards = _decodeForwards,
            DecodeForwardTime = Stopwatch.GetElapsedTime(0, _decodeForwardTicks),
            VerifyForwards = _verifyForwards,
            VerifyForwardTime = Stopwatch.GetElapsedTime(0, _verifyForwardTicks),
            DraftTime = Stopwatch.GetElapsedTime(0, _draftTicks),
            DecodeStepTime = Stopwatch.GetElapsedTime(0, _decodeStepTicks),
        });
}
