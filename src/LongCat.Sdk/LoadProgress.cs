namespace LongCat.Sdk;

/// <summary>Progress of <see cref="LongCatEngine.LoadAsync"/>: which stage, and how many weight bytes are in place.</summary>
/// <param name="Stage">"config", "checkpoint", "weights", "tokenizer" or "ready".</param>
/// <param name="BytesLoaded">Weight bytes loaded so far.</param>
/// <param name="TotalBytes">Weight bytes to load.</param>
public readonly record struct LoadProgress(string Stage, long BytesLoaded, long TotalBytes)
{
    /// <summary>BytesLoaded / TotalBytes, in [0, 1].</summary>
    public double Fraction => TotalBytes <= 0 ? 0 : Math.Clamp((double)BytesLoaded / TotalBytes, 0, 1);
}
