namespace LongCat.Sdk.Tests;

/// <summary>Reports on the reporting thread, in order (<see cref="Progress{T}"/> posts to the thread pool, out of order).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
