namespace LongCat.Sdk.Serving;

/// <summary>What <see cref="StopSequenceMatcher.Push"/> decided about a text delta.</summary>
/// <param name="Text">Text that is safe to emit now: it cannot be part of a stop string. Never contains the stop string.</param>
/// <param name="Stopped">True once a stop string has been seen; generation should end.</param>
/// <param name="MatchedStop">The stop string that ended the stream, when <paramref name="Stopped"/>.</param>
internal readonly record struct StopMatchResult(string Text, bool Stopped, string? MatchedStop);
