using System.Diagnostics;
using LongCat.Sdk;

namespace LongCat.Cli;

/// <summary>
/// A one-line load progress bar on standard error for loads longer than a second: percent, bytes and what the last tensor's
/// load did (mapping, copying, quantizing), redrawn at most ten times a second; nothing when the stream is redirected.
/// Reports arrive on the loading thread (an <see cref="IProgress{T}"/> that does not post to the thread pool, so they stay in order).
/// </summary>
internal sealed class LoadProgressBar(TextWriter output, bool enabled) : IProgress<LoadProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1;
    private bool _drawn;

    public void Report(LoadProgress value)
    {
        if (!enabled || value.Stage != "weights" || _clock.ElapsedMilliseconds < 1000) return;
        long now = _clock.ElapsedMilliseconds;
        if (_lastDraw >= 0 && now - _lastDraw < 100 && value.Fraction < 1) return;
        _lastDraw = now;
        _drawn = true;
        output.Write($"\rloading: {value.Fraction * 100,3:F0}%  {value.BytesLoaded / 1e9:F2} / {value.TotalBytes / 1e9:F2} GB  {value.Phase,-10}  {now / 1000.0:F0} s ");
    }

    /// <summary>Ends the bar's line when one was drawn.</summary>
    public void Finish()
    {
        if (_drawn) output.WriteLine();
    }
}
