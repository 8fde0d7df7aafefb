using LongCat.Sdk.Compute;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Tests.Checkpoints;

/// <summary>
/// Loads a model folder through <see cref="LongCatEngine.LoadAsync"/> or <see cref="LongCatModel.Load(string, ModelOptions?)"/>
/// the way a test of a bad folder needs: with a time limit (a hang fails the test instead of stalling the run), on the CPU with
/// mapped weights and a 4-block cache, and returning the <see cref="LongCatException"/> the load threw, or null when it loaded.
/// Any other exception, a hang, or an allocation above <see cref="MaxAllocatedBytes"/> fails the test, naming
/// <c>what</c> (the mutation).
/// </summary>
internal static class GuardedLoad
{
    /// <summary>Far above what loading a tiny fixture takes (milliseconds); only a hang reaches it.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>What one load of a tiny fixture may allocate on the managed heap: its files are kilobytes, so only an unbounded
    /// read or a table sized by a corrupt field comes near.</summary>
    public const long MaxAllocatedBytes = 256L << 20;

    public static readonly ModelOptions ModelOptions = new() { Residency = WeightResidency.Mapped, KvCacheBlocks = 4, Threads = 1 };

    public static readonly LongCatOptions EngineOptions = new()
    {
        Device = ComputeDevice.Cpu, Residency = WeightResidency.Mapped, KvCacheBlocks = 4, Threads = 1,
    };

    /// <summary>Loads with <see cref="LongCatModel.Load(string, ModelOptions?, IProgress{LoadProgress}?, CancellationToken)"/>
    /// on a thread of its own, measuring what that thread allocates.</summary>
    /// <param name="fifo">A FIFO in the folder, opened for writing if the load hangs, so its thread ends.</param>
    public static LongCatException? Model(string directory, string what, string? fifo = null) =>
        Run(what, fifo, null, token => Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                LongCatModel.Load(directory, ModelOptions, null, token).Dispose();
            }
            finally
            {
                CheckAllocated(GC.GetAllocatedBytesForCurrentThread() - before, what);
            }
        }));

    /// <summary>Loads with <see cref="LongCatEngine.LoadAsync"/>, cancelling it at the time limit; allocation is measured for the
    /// whole process (the tests run one at a time).</summary>
    /// <param name="cancelAfter">Cancels the load this soon instead; the OperationCanceledException that may bring counts as no
    /// error (null).</param>
    public static LongCatException? Engine(string directory, string what, string? fifo = null, TimeSpan? cancelAfter = null) =>
        Run(what, fifo, cancelAfter, async token =>
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            try
            {
                await using var engine = await LongCatEngine.LoadAsync(directory, EngineOptions, null, token);
            }
            finally
            {
                CheckAllocated(GC.GetTotalAllocatedBytes(precise: true) - before, what);
            }
        });

    private static LongCatException? Run(string what, string? fifo, TimeSpan? cancelAfter, Func<CancellationToken, Task> load)
    {
        using var cancel = new CancellationTokenSource(cancelAfter ?? Limit);
        var task = load(cancel.Token);
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(Limit + TimeSpan.FromSeconds(5)))
        {
            if (fifo is not null) ReleaseFifo(fifo);
            Assert.Fail($"{what}: the load hung (no result {Limit.TotalSeconds:F0} s after it was cancelled)");
        }
        try
        {
            task.GetAwaiter().GetResult();
            return null;
        }
        catch (LongCatException e)
        {
            return e;
        }
        catch (OperationCanceledException) when (cancelAfter is not null && cancel.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Assert.Fail($"{what}: the load ran past {Limit.TotalSeconds:F0} s (it stopped when cancelled, but nothing should take that long)");
            return null;
        }
        catch (Exception e) when (e is not AssertFailedException)
        {
            Assert.Fail($"{what}: {e.GetType().FullName} escaped the load: {e.Message}");
            return null;
        }
    }

    private static void CheckAllocated(long bytes, string what) =>
        Assert.IsTrue(bytes <= MaxAllocatedBytes, $"{what}: the load allocated {bytes >> 20} MiB (limit {MaxAllocatedBytes >> 20} MiB)");

    // A reader blocked opening a FIFO returns once a writer opens it; closing at once gives it end-of-file.
    private static void ReleaseFifo(string fifo)
    {
        try
        {
            Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write).Dispose()).Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException) { }
    }
}
