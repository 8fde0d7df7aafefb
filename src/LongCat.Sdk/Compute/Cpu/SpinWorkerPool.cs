using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// Persistent worker threads for the CPU backend's parallel loops. Decode issues a few hundred short parallel ops per token,
/// so waking sleeping threads for each (tens of microseconds) would cost more than some ops take: after each job a worker
/// spins for <see cref="SpinBudget"/> of wall-clock time and only then blocks. The calling thread takes part in every job.
/// </summary>
/// <remarks>
/// <para>One caller at a time (the backend's engine-loop thread). Jobs are immutable objects published with a full fence,
/// so a late worker can only ever find an exhausted old job.</para>
/// <para>Wake-ups are counted, not broadcast. <c>_sleepers</c> counts workers that have committed to sleep and whose wake-up
/// nobody has claimed. A job of n items needs min(n, Threads) − 1 helpers; the publisher subtracts the workers still awake
/// (they find the job themselves), claims the rest from <c>_sleepers</c> with a compare-exchange and releases exactly that
/// many. A worker that finds a job after counting itself asleep takes its count back; if a publisher claimed it first, it
/// waits anyway, which takes the release made for it. Invariant: sleeping-or-about-to-sleep workers = <c>_sleepers</c> +
/// claimed releases not yet taken, so once the pool is idle every worker is blocked and the semaphore's count is 0.</para>
/// <para>Measured (<c>dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- spin-pool</c>, the 2-core KVM guest,
/// Intel Xeon, .NET 10.0.12, 2026-12-06): a worker's spin, from its item's end to counting itself asleep, median 50.5 µs;
/// <see cref="SemaphoreSlim.Wait()"/> then spins on its own before blocking (~55 µs of CPU), so a worker spends ~130 µs of
/// CPU per job and the idle after it, wake-up included. See docs/PERFORMANCE.md.</para>
/// </remarks>
internal sealed class SpinWorkerPool : IDisposable
{
    /// <summary>
    /// Spin after a job before blocking: covers most of decode's gaps between ops (about 11 per lite-mini token are longer,
    /// mostly a caller finishing a long last item), far under the 1 ms idle promise.
    /// </summary>
    public static readonly TimeSpan DefaultSpinBudget = TimeSpan.FromMicroseconds(50);

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly long _spinTicks;                    // SpinBudget in Stopwatch ticks
    private Job? _job;
    private int _sleepers;
    private long _wakeups;
    private volatile bool _stopping;

    /// <param name="threads">Participating threads, the caller included.</param>
    /// <param name="spinBudget">How long a worker spins after a job before it blocks; <see cref="DefaultSpinBudget"/> when null.</param>
    public SpinWorkerPool(int threads, TimeSpan? spinBudget = null)
    {
        SpinBudget = spinBudget ?? DefaultSpinBudget;
        ArgumentOutOfRangeException.ThrowIfLessThan(SpinBudget, TimeSpan.Zero, nameof(spinBudget));
        _spinTicks = (long)(SpinBudget.TotalSeconds * Stopwatch.Frequency);
        Threads = Math.Max(1, threads);
        _workers = new Thread[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"longcat-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Participating threads, the caller included.</summary>
    public int Threads { get; }

    /// <summary>How long a worker spins for the next job before it blocks.</summary>
    public TimeSpan SpinBudget { get; }

    /// <summary>Diagnostics: workers counted as asleep (blocked, or about to block, on the wake semaphore) and not yet claimed.</summary>
    internal int SleepingWorkers => Volatile.Read(ref _sleepers);

    /// <summary>Diagnostics: wake-ups released and not yet taken by a worker (the semaphore's count).</summary>
    internal int PendingWakeups => _wake.CurrentCount;

    /// <summary>Diagnostics: times a worker has returned from waiting on the wake semaphore.</summary>
    internal long Wakeups => Interlocked.Read(ref _wakeups);

    /// <summary>Diagnostics: worker threads still running (0 after <see cref="Dispose"/>).</summary>
    internal int LiveWorkers => _workers.Count(w => w.IsAlive);

    /// <summary>Test seam: runs on a worker after it has counted itself asleep and before it re-checks for a job.</summary>
    internal Action? SleepRegistered { get; set; }

    /// <summary>Runs body(i) for every i in [0, count) and returns when all are done; rethrows the first exception.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || Threads == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var job = new Job(body, count);
        Interlocked.Exchange(ref _job, job);                          // full fence: the job is visible before the sleeper count is read
        int wake = ClaimSleepers(Math.Min(count, Threads) - 1);
        if (wake > 0) _wake.Release(wake);
        job.Work();
        var spin = new SpinWait();
        while (Volatile.Read(ref job.Remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
        job.Error?.Throw();
    }

    /// <summary>Claims the sleepers to wake for a job that needs <paramref name="helpers"/> helpers; returns how many.</summary>
    private int ClaimSleepers(int helpers)
    {
        while (true)
        {
            int asleep = Volatile.Read(ref _sleepers);
            int wake = Math.Min(asleep, helpers - (_workers.Length - asleep));   // awake workers will find the job on their own
            if (wake <= 0) return 0;
            if (Interlocked.CompareExchange(ref _sleepers, asleep - wake, asleep) == asleep) return wake;
        }
    }

    private void WorkerLoop()
    {
        Job? last = null;
        while (true)
        {
            var job = Volatile.Read(ref _job);
            if (job != last)                                           // _job is never reset to null, so job is not null here
            {
                last = job;
                job!.Work();
                continue;
            }
            if (_stopping) return;
            if (SpinForJob(last)) continue;
            Interlocked.Increment(ref _sleepers);                      // full fence: either the publisher counts us, or we see its job
            SleepRegistered?.Invoke();
            if ((Volatile.Read(ref _job) != last || _stopping) && TryUncountSleeper()) continue;
            // Nothing to do, or a publisher claimed our count before we could take it back: its release is ours to take
            // (skipping the wait would leave it in the semaphore for a later sleeper to pass straight through).
            _wake.Wait();
            Interlocked.Increment(ref _wakeups);
        }
    }

    /// <summary>Spins until a job other than <paramref name="last"/> appears (true) or the spin budget is spent (false).</summary>
    private bool SpinForJob(Job? last)
    {
        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        do
        {
            Thread.SpinWait(1);                                        // a pause, ~50–150 ns; the clock read is ~25 ns (TSC)
            if (Volatile.Read(ref _job) != last || _stopping) return true;
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return false;
    }

    /// <summary>Takes one unclaimed sleeper count back; false when publishers have claimed them all.</summary>
    private bool TryUncountSleeper()
    {
        int asleep;
        while ((asleep = Volatile.Read(ref _sleepers)) > 0)
            if (Interlocked.CompareExchange(ref _sleepers, asleep - 1, asleep) == asleep) return true;
        return false;
    }

    public void Dispose()
    {
        _stopping = true;
        if (_workers.Length > 0) _wake.Release(_workers.Length);   // one thread: no workers, and Release(0) throws
        foreach (var w in _workers) w.Join();
        _wake.Dispose();
    }

    private sealed class Job(Action<int> body, int count)
    {
        private readonly int _count = count;
        private int _next;
        public int Remaining = count;
        public ExceptionDispatchInfo? Error;

        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null);
                }
                Interlocked.Decrement(ref Remaining);
            }
        }
    }
}
