using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The CPU backend's worker pool: results and exceptions, and its wake-up bookkeeping (no test here times anything; they
/// check the diagnostics: sleepers, pending releases, wake-ups taken). Bounded waits only guard against a hang.
/// </summary>
[TestClass]
public sealed class SpinWorkerPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void For_RunsEveryIndexExactlyOnce(int threads)
    {
        using var pool = new SpinWorkerPool(threads);

        foreach (int count in new[] { 0, 1, 2, 3, 5, 17, 1000 })
        {
            var hits = new int[count];
            pool.For(count, i => Interlocked.Increment(ref hits[i]));

            CollectionAssert.AreEqual(Enumerable.Repeat(1, count).ToArray(), hits, $"count {count}");
        }
    }

    [TestMethod]
    public void For_BodyThrows_RethrowsAfterEveryOtherItemRanAndPoolStaysUsable()
    {
        using var pool = new SpinWorkerPool(4);
        var hits = new int[64];

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => pool.For(64, i =>
        {
            Interlocked.Increment(ref hits[i]);
            if (i == 13) throw new InvalidOperationException("item 13");
        }));

        Assert.AreEqual("item 13", ex.Message);
        CollectionAssert.AreEqual(Enumerable.Repeat(1, 64).ToArray(), hits);
        int sum = 0;
        pool.For(10, i => Interlocked.Add(ref sum, i));
        Assert.AreEqual(45, sum);
    }

    [TestMethod]
    public void AfterBurst_EveryWorkerBlocksAndNoWakeupIsLeftPending()
    {
        using var pool = new SpinWorkerPool(4);
        for (int j = 0; j < 2000; j++) pool.For(1 + j % 7, _ => { });

        WaitUntil(() => pool.SleepingWorkers == pool.Threads - 1, pool, "every worker asleep after the burst");

        Assert.AreEqual(0, pool.PendingWakeups, "a release nobody sleeps for would let the next sleeper pass straight through");
    }

    [TestMethod]
    public void For_CountTwoOnFourThreads_WakesAtMostOneHelper()
    {
        using var pool = new SpinWorkerPool(4);
        WaitUntil(() => pool.SleepingWorkers == 3, pool, "every worker asleep before the job");
        long before = pool.Wakeups;

        pool.For(2, _ => { });
        WaitUntil(() => pool.SleepingWorkers == 3, pool, "every worker asleep after the job");

        Assert.IsTrue(pool.Wakeups - before <= 1, $"{pool.Wakeups - before} workers woken for a job of 2 items");
        Assert.AreEqual(0, pool.PendingWakeups);
    }

    [TestMethod]
    public void For_CountAtLeastThreads_WakesEverySleeper()
    {
        // Each item holds its thread at a barrier, so 4 items finish only if all 4 threads take one.
        using var pool = new SpinWorkerPool(4);
        WaitUntil(() => pool.SleepingWorkers == 3, pool, "every worker asleep before the job");
        using var barrier = new Barrier(4);
        var threadIds = new int[4];

        pool.For(4, i =>
        {
            threadIds[i] = Environment.CurrentManagedThreadId;
            if (!barrier.SignalAndWait(Patience)) throw new TimeoutException("not every sleeper was woken");
        });

        Assert.AreEqual(4, threadIds.Distinct().Count());
    }

    [TestMethod]
    public void SleeperThatFindsTheJobOnItsRecheck_LeavesNoWakeupBehind()
    {
        // The race: a worker counts itself asleep, the publisher reads that count and releases a wake-up, then the worker's
        // re-check finds the job. If it then skips the wait, the release stays in the semaphore and a later sleeper passes
        // straight through it and spins again. The seam holds the worker between its count and its re-check.
        using var pool = new SpinWorkerPool(2);
        using var held = new SemaphoreSlim(0);
        using var resume = new SemaphoreSlim(0);
        int hold = 0;
        pool.SleepRegistered = () =>
        {
            if (Volatile.Read(ref hold) == 0) return;
            held.Release();
            resume.Wait(Patience);
        };
        WaitUntil(() => pool.SleepingWorkers == 1, pool, "the worker asleep");
        Volatile.Write(ref hold, 1);

        pool.For(2, _ => { });                                        // wakes the worker; it next holds at its sleep registration
        Assert.IsTrue(held.Wait(Patience), "the worker never came back to sleep");
        pool.For(2, _ => { });                                        // published while it is counted asleep but has not re-checked
        resume.Release();                                             // re-check: finds the job
        Assert.IsTrue(held.Wait(Patience), "the worker never came back to sleep");

        int pending = pool.PendingWakeups;
        Volatile.Write(ref hold, 0);
        resume.Release();
        Assert.AreEqual(0, pending, "wake-up left in the semaphore when the worker next went to sleep");
        Assert.AreEqual(1, pool.SleepingWorkers);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(2)]
    [DataRow(50)]
    public void Stress_ManyTinyJobsWithRandomCounts_AllCorrectAndNoLeakedWakeup(int spinMicroseconds)
    {
        using var pool = new SpinWorkerPool(4, TimeSpan.FromMicroseconds(spinMicroseconds));
        var random = new Random(1234 + spinMicroseconds);
        var slots = new long[16];
        long helpersNeeded = 0;

        for (int j = 0; j < 20_000; j++)
        {
            int count = random.Next(0, slots.Length + 1);
            int seed = j;
            pool.For(count, i => slots[i] = (long)seed * slots.Length + i);
            for (int i = 0; i < count; i++)
                if (slots[i] != (long)j * slots.Length + i) Assert.Fail($"job {j} (count {count}): item {i} not written");
            if (count > 1) helpersNeeded += Math.Min(count, pool.Threads) - 1;
            if (random.Next(4) == 0) Thread.SpinWait(random.Next(2000));   // gaps of varied length: some workers fall asleep
        }
        WaitUntil(() => pool.SleepingWorkers == pool.Threads - 1, pool, "every worker asleep after the stress");

        Assert.AreEqual(0, pool.PendingWakeups, "leaked wake-up");
        Assert.IsTrue(pool.Wakeups <= helpersNeeded, $"{pool.Wakeups} wake-ups for {helpersNeeded} helpers needed");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Dispose_JoinsEveryWorker(bool asleep)
    {
        var pool = new SpinWorkerPool(4);
        pool.For(100, _ => { });
        if (asleep) WaitUntil(() => pool.SleepingWorkers == 3, pool, "every worker asleep");
        Assert.AreEqual(3, pool.LiveWorkers);

        pool.Dispose();

        Assert.AreEqual(0, pool.LiveWorkers);
    }

    [TestMethod]
    public void Constructor_NegativeSpinBudget_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SpinWorkerPool(2, TimeSpan.FromTicks(-1)));
    }

    private static void WaitUntil(Func<bool> condition, SpinWorkerPool pool, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"gave up waiting for: {what} (sleeping {pool.SleepingWorkers} of {pool.Threads - 1}, pending {pool.PendingWakeups})");
            Thread.Sleep(1);
        }
    }
}
