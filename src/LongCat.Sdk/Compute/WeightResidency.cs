namespace LongCat.Sdk.Compute;

/// <summary>How a backend holds checkpoint weights.</summary>
public enum WeightResidency
{
    /// <summary>Read in place from the memory-mapped files: instant load, memory shared through the page cache.</summary>
    Mapped,
    /// <summary>Copied once into anonymous memory backed by transparent huge pages (fewer TLB misses in decode).</summary>
    Copied,
}
