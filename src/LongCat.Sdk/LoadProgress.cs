namespace LongCat.Sdk;

/// <summary>Progress of <see cref="LongCatEngine.LoadAsync"/>: which stage, and how many weight bytes are in place.</summary>
/// <param name="Stage">"config", "checkpoint", "weights", "tokenizer", "warm-up" (with <see cref="LongCatOptions.WarmUp"/>) or "ready".</param>
/// <param name="BytesLoaded">Weight bytes loaded so far.</param>
/// <param name="TotalBytes">Weight bytes to load.</param>
public readonly record struct LoadProgress(string Stage, long BytesLoaded, long TotalBytes)
{
    /// <summary>During "weights": what the last tensor's load did: <see cref="Mapping"/>, <see cref="Copying"/>,
    /// <see cref="Quantizing"/> or <see cref="Repacking"/>; null in the other stages.</summary>
    public string? Phase { get; init; }

    /// <summary>During "weights": tensors loaded so far (a weight with its scales counts each).</summary>
    public int Tensors { get; init; }

    /// <summary>The tensor was left memory-mapped (a mapped residency, or a table read by rows).</summary>
    public const string Mapping = "mapping";

    /// <summary>The tensor was copied into process or device memory as stored.</summary>
    public const string Copying = "copying";

    /// <summary>The tensor was quantized as it loaded (<see cref="LongCatOptions.Quantization"/>).</summary>
    public const string Quantizing = "quantizing";

    /// <summary>A GPTQ / AutoRound int4 weight was repacked to the SDK's 4-bit format.</summary>
    public const string Repacking = "repacking";

    /// <summary>BytesLoaded / TotalBytes, in [0, 1].</summary>
    public double Fraction => TotalBytes <= 0 ? 0 : Math.Clamp((double)BytesLoaded / TotalBytes, 0, 1);
}
