namespace LongCat.Sdk.Serving;

/// <summary>
/// Finds stop strings in streamed text, where one may span several tokens. Text that could still be the start of a stop
/// string is held back until it either completes one or can no longer match; the stop string and everything after it
/// are never emitted.
/// </summary>
/// <remarks>
/// When stop strings overlap, the one that completes first in the text wins (ties: the one that starts earliest), so
/// the outcome does not depend on how the text was split into deltas. Matching is ordinal. Each push costs
/// O(held + delta) × (stop strings) × (longest stop). One instance per sequence; not thread-safe.
/// </remarks>
internal sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private string _held = "";

    /// <summary>Creates a matcher for <paramref name="stopSequences"/> (possibly none: then all text passes at once).</summary>
    /// <exception cref="ArgumentException">A stop string is empty.</exception>
    public StopSequenceMatcher(IEnumerable<string> stopSequences)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        _stops = stopSequences.Distinct(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < _stops.Length; i++)
        {
            if (_stops[i] is null) throw new ArgumentNullException(nameof(stopSequences), $"Stop sequence {i} is null.");
            if (_stops[i].Length == 0) throw new ArgumentException($"Stop sequence {i} is empty.", nameof(stopSequences));
            _longest = Math.Max(_longest, _stops[i].Length);
        }
    }

    /// <summary>True once a stop string has been matched; later pushes return no text.</summary>
    public bool IsStopped => MatchedStop is not null;

    /// <summary>The stop string that ended the stream, or null.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Adds a text delta; returns the text safe to emit and whether a stop string has now been seen.</summary>
    public StopMatchResult Push(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (IsStopped) return new StopMatchResult("", true, MatchedStop);
        if (_stops.Length == 0) return new StopMatchResult(delta, false, null);

        string text = _held + delta;
        // Only a match that ends inside the new delta is possible: the held text was checked already.
        int bestStart = -1, bestEnd = int.MaxValue;
        string? best = null;
        int searchFrom = Math.Max(0, _held.Length - _longest + 1);
        foreach (string stop in _stops)
        {
            int at = text.IndexOf(stop, searchFrom, StringComparison.Ordinal);
            if (at < 0) continue;
            int end = at + stop.Length;
            if (end < bestEnd || (end == bestEnd && at < bestStart))
            {
                bestStart = at;
                bestEnd = end;
                best = stop;
            }
        }
        if (best is not null)
        {
            MatchedStop = best;
            _held = "";
            return new StopMatchResult(text[..bestStart], true, best);
        }

        int hold = PossibleStopStart(text);
        _held = text[hold..];
        return new StopMatchResult(text[..hold], false, null);
    }

    /// <summary>Ends the stream: returns the text held back as a possible stop prefix (empty once stopped).</summary>
    public string Flush()
    {
        string rest = _held;
        _held = "";
        return rest;
    }

    // The earliest index from which the text is a proper prefix of some stop string (text.Length when there is none).
    private int PossibleStopStart(string text)
    {
        for (int i = Math.Max(0, text.Length - _longest + 1); i < text.Length; i++)
        {
            var tail = text.AsSpan(i);
            foreach (string stop in _stops)
            {
                if (stop.Length > tail.Length && stop.AsSpan().StartsWith(tail, StringComparison.Ordinal)) return i;
            }
        }
        return text.Length;
    }
}
