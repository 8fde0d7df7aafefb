using System.Diagnostics;
using System.Reflection;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The CPU worker pool after its last job: how long a worker spins before it counts itself asleep, and the CPU it burns per
/// job and the idle after it;
/// then how often a worker falls asleep and is woken during decode on lite-mini (each wake-up costs tens of µs).
/// </summary>
internal static class SpinPoolProbe
{
    public static void Run(int rounds, int tokens)
    {
        int threads = Environment.ProcessorCount;
        using (var pool = new SpinWorkerPool(threads))
        {
            // The spin, timed on the worker: from the end of its item to counting itself asleep (the seam runs right after).
            long itemEnd = 0, registered = 0;
            pool.SleepRegistered = () => Volatile.Write(ref registered, Stopwatch.GetTimestamp());
            var spin = new List<double>();
            var workerCpu = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                WaitAllAsleep(pool);
                long cpu0 = WorkerCpuNanoseconds();
                Volatile.Write(ref registered, 0);
                RunOnEveryThread(pool, onWorkerItemEnd: () => Volatile.Write(ref itemEnd, Stopwatch.GetTimestamp()));
                WaitAllAsleep(pool);
                workerCpu.Add((WorkerCpuNanoseconds() - cpu0) / 1e3 / (threads - 1));
                spin.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref itemEnd), Volatile.Read(ref registered)).TotalMicroseconds);
            }
            Console.WriteLine($"{threads} threads, spin budget {pool.SpinBudget.TotalMicroseconds} µs");
            Console.WriteLine($"  spin, worker's item end to counted asleep ({rounds} rounds): median {Median(spin):F1} µs, " +
                              $"p90 {Percentile(spin, 0.9):F1} µs, max {spin.Max():F1} µs");
            Console.WriteLine($"  CPU per worker for one job and the idle after it (wake-up, item, spin, the semaphore's own spin, block): " +
                              $"median {Median(workerCpu):F1} µs, p90 {Percentile(workerCpu, 0.9):F1} µs");
        }

        if (tokens <= 0) return;
        string dir = BenchCheckpoint.EnsureLiteMini();
        using var backend = new CpuBackend(WeightResidency.Copied);
        var decodePool = (SpinWorkerPool)typeof(CpuBackend).GetField("_pool", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(backend)!;
        using var model = LongCatModel.Load(dir, new ModelOptions { Backend = backend });
        using var session = model.CreateSession();
        var logits = session.Prefill(Enumerable.Range(100, 16).ToArray());
        for (int i = 0; i < 4; i++) logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
        long wakeups = decodePool.Wakeups;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < tokens; i++) logits = session.Decode(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
        sw.Stop();
        Console.WriteLine($"  decode lite-mini (Copied, {tokens} tokens): {tokens / sw.Elapsed.TotalSeconds:F2} tok/s, " +
                          $"{(decodePool.Wakeups - wakeups) / (double)tokens:F2} worker wake-ups per token");
    }

    /// <summary>
    /// One item per thread, each spinning until all have arrived (no blocking, so no thread is late to leave): every worker
    /// takes part.
    /// </summary>
    private static void RunOnEveryThread(SpinWorkerPool pool, Action onWorkerItemEnd)
    {
        int arrived = 0;
        int caller = Environment.CurrentManagedThreadId;
        pool.For(pool.Threads, _ =>
        {
            Interlocked.Increment(ref arrived);
            while (Volatile.Read(ref arrived) < pool.Threads) Thread.SpinWait(1);
            if (Environment.CurrentManagedThreadId != caller) onWorkerItemEnd();
        });
    }

    /// <summary>Time on CPU of the pool's workers (threads named longcat-cpu-*), from /proc/self/task/*/schedstat in nanoseconds.</summary>
    private static long WorkerCpuNanoseconds()
    {
        long sum = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("longcat-cpu", StringComparison.Ordinal)) continue;
                sum += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // the thread exited between the listing and the read
            }
        }
        return sum;
    }

    private static void WaitAllAsleep(SpinWorkerPool pool)
    {
        while (pool.SleepingWorkers < pool.Threads - 1) Thread.Sleep(1);
        Thread.Sleep(5);
    }

    private static double Median(List<double> v) => Percentile(v, 0.5);

    private static double Percentile(List<double> v, double p)
    {
        var s = v.Order().ToArray();
        return s[(int)Math.Round(p * (s.Length - 1))];
    }
}
