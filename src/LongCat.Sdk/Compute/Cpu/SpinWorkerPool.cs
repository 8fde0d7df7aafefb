using System.Runtime.ExceptionServices;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// Persistent worker threads for the CPU backend's parallel loops. Decode issues a few hundred short parallel ops per token,
/// so waking sleeping threads for each (tens of microseconds) would cost more than some ops take: workers spin for a while
/// after each job and only then block. The calling thread takes part in every job.
/// </summary>
/// <remarks>Jobs are immutable objects published with a full fence, so a late worker can only ever find an exhausted old job.</remarks>
internal sealed class SpinWorkerPool : IDisposable
{
    private const int SpinIterations = 20_000;        // roughly 50–100 µs of spinning before a worker sleeps
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _wake = new(0);
    private Job? _job;
    private int _sleepers;
    private long _wakeups;
    private volatile bool _stopping;

    public SpinWorkerPool(int threads)
    {
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

    /// <summary>Diagnostics: workers counted as asleep (blocked, or about to block, on the wake semaphore).</summary>
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
        int sleepers = Volatile.Read(ref _sleepers);
        if (sleepers > 0) _wake.Release(sleepers);
        job.Work();
        var spin = new SpinWait();
        while (Volatile.Read(ref job.Remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
        job.Error?.Throw();
    }

    private void WorkerLoop()
    {
        Job? last = null;
        while (!_stopping)
        {
            var job = Volatile.Read(ref _job);
            if (job is not null && job != last)
            {
                last = job;
                job.Work();
                continue;
            }
            bool found = false;
            for (int i = 0; i < SpinIterations && !found; i++)
            {
                Thread.SpinWait(8);
                var j = Volatile.Read(ref _job);
                found = j is not null && j != last;
            }
            if (found) continue;
            Interlocked.Increment(ref _sleepers);                    // full fence: either the publisher sees us, or we see its job
            SleepRegistered?.Invoke();
            var again = Volatile.Read(ref _job);
            if ((again is null || again == last) && !_stopping)
            {
                _wake.Wait();
                Interlocked.Increment(ref _wakeups);
            }
            Interlocked.Decrement(ref _sleepers);
        }
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
