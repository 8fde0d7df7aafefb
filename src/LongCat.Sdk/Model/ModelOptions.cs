using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>How a <see cref="LongCatModel"/> is loaded and how much KV cache it gets.</summary>
internal sealed record ModelOptions
{
    /// <summary>Backend to run on; null creates a <see cref="Compute.Cpu.CpuBackend"/> owned by the model.</summary>
    public IComputeBackend? Backend { get; init; }

    /// <summary>Where the CPU backend keeps weights when it creates one (default: copied into huge pages, measured faster for decode).</summary>
    public WeightResidency Residency { get; init; } = WeightResidency.Copied;

    /// <summary>Weights quantized as they load (<see cref="QuantizationPlan"/>).</summary>
    public WeightQuantization Quantization { get; init; }

    /// <summary>
    /// For a CPU backend the model creates: products with Q8/Q4 weights quantize the activations to int8 blocks and use integer
    /// dot products (default, llama.cpp's scheme, fast); false dequantizes the weights against F32 activations (exact to the
    /// dequantized weights, slow: the golden tests of quantized checkpoints use it).
    /// </summary>
    public bool Int8Activations { get; init; } = true;

    /// <summary>Worker threads for a backend the model creates (0: all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Tokens per KV block.</summary>
    public int KvBlockSize { get; init; } = 64;

    /// <summary>Bytes for the KV cache (all sequences together).</summary>
    public long KvCacheMemory { get; init; } = LongCatOptions.DefaultKvCacheMemory;

    /// <summary>Explicit block count, overriding <see cref="KvCacheMemory"/>.</summary>
    public int? KvCacheBlocks { get; init; }

    /// <summary>Load the MTP head (model.mtp.*) when the checkpoint has one (speculative decoding needs it).</summary>
    public bool LoadMtp { get; init; } = true;

    /// <summary>
    /// Tokens the MTP head drafts from (<see cref="DraftVocabulary"/>): null, the model folder's mtp_draft_vocab.json at its own
    /// size when there is one, else the whole vocabulary; 0, the whole vocabulary; N, the file's N most frequent tokens.
    /// </summary>
    public int? DraftVocabularySize { get; init; }

    /// <summary>Validates the options; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (KvBlockSize <= 0) throw new ArgumentOutOfRangeException(nameof(KvBlockSize), KvBlockSize, "must be positive");
        if (KvCacheMemory <= 0) throw new ArgumentOutOfRangeException(nameof(KvCacheMemory), KvCacheMemory, "must be positive");
        if (KvCacheBlocks is <= 0) throw new ArgumentOutOfRangeException(nameof(KvCacheBlocks), KvCacheBlocks, "must be positive");
        if (DraftVocabularySize is < 0) throw new ArgumentOutOfRangeException(nameof(DraftVocabularySize), DraftVocabularySize, "must not be negative");
        if (!Enum.IsDefined(Quantization)) throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "not a WeightQuantization value");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must not be negative");
    }
}
