using LongCat.Sdk.Compute;
using Microsoft.Extensions.Logging;

namespace LongCat.Sdk;

/// <summary>How <see cref="LongCatEngine"/> loads a model and serves requests. Bindable from configuration (every setting but
/// <see cref="Logger"/>), each with one default.</summary>
public sealed record LongCatOptions
{
    /// <summary>Compute backend (Auto: CUDA when available, else CPU).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    /// <summary>Where CPU weights live (default: copied into huge pages, measured faster for decode; see docs/PERFORMANCE.md).</summary>
    public WeightResidency Residency { get; init; } = WeightResidency.Copied;
    /// <summary>CPU worker threads (0: all cores).</summary>
    public int Threads { get; init; }
    /// <summary>Weights quantized as the model loads (default <see cref="WeightQuantization.None"/>: as stored).</summary>
    public WeightQuantization Quantization { get; init; }
    /// <summary>Bytes of paged KV cache shared by all sequences (default 512 MiB).</summary>
    public long KvCacheMemory { get; init; } = DefaultKvCacheMemory;

    /// <summary>The default of <see cref="KvCacheMemory"/>: 512 MiB.</summary>
    public const long DefaultKvCacheMemory = 512L << 20;
    /// <summary>Explicit number of KV blocks, overriding <see cref="KvCacheMemory"/>.</summary>
    public int? KvCacheBlocks { get; init; }
    /// <summary>Tokens per KV block.</summary>
    public int KvBlockSize { get; init; } = 64;
    /// <summary>Most tokens in one forward step (decode tokens plus prefill chunks).</summary>
    public int MaxBatchTokens { get; init; } = 512;
    /// <summary>Most sequences decoding at once.</summary>
    public int MaxSequences { get; init; } = 16;

    /// <summary>Speculative decoding with the MTP head (default: one draft token per step, as LongCat's deployments use);
    /// falls back to plain decoding, logged once, when the checkpoint has no MTP weights.</summary>
    public SpeculativeOptions Speculative { get; init; } = new();
    /// <summary>Keep full KV blocks of finished requests and reuse them for prompts that start with the same tokens (default on).</summary>
    public bool PrefixCaching { get; init; } = true;
    /// <summary>Where the engine logs: its load, one-off notices (the speculative-decoding fallback), failed steps. Null: nowhere
    /// (dependency injection fills it from the container's <see cref="ILoggerFactory"/>).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Before <see cref="LongCatEngine.LoadAsync"/> returns, decode random tokens on a private engine loop (its own KV pages, no
    /// prefix caching, no statistics) until the runtime has compiled the decode path's code optimized, so that the first request
    /// runs at full speed: without it, the first ~64 tokens of a fresh process run at about half the speed of later ones while
    /// tiered compilation works beside the compute threads. Costs 2.5-4.5 s of load on the 0.4 GB/token benchmark model on a
    /// 2-core machine (at least 64 steps, ended once no method has been compiled for 300 ms, or after 1 s plus twice the time of
    /// those 64 steps; see docs/PERFORMANCE.md). Default off: a library's load does only what is asked; `longcat` turns it on.
    /// </summary>
    public bool WarmUp { get; init; }

    /// <summary>
    /// Bytes the loaded model may take in this process on the CPU backend: resident weights (the tables read by rows stay
    /// mapped and do not count), the KV cache, activations and the runtime. A load whose plan exceeds it fails with
    /// <see cref="MemoryBudgetExceededException"/> before any weight is read. Null: no check.
    /// </summary>
    public long? MemoryBudget { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Speculative, nameof(Speculative));
        Speculative.Validate();
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must not be negative.");
        if (!Enum.IsDefined(Quantization)) throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "Quantization must be None, Q8, Q4Experts or Q4.");
        if (KvCacheMemory <= 0) throw new ArgumentOutOfRangeException(nameof(KvCacheMemory), KvCacheMemory, "KvCacheMemory must be positive.");
        if (KvCacheBlocks is <= 0) throw new ArgumentOutOfRangeException(nameof(KvCacheBlocks), KvCacheBlocks, "KvCacheBlocks must be positive.");
        if (KvBlockSize <= 0) throw new ArgumentOutOfRangeException(nameof(KvBlockSize), KvBlockSize, "KvBlockSize must be positive.");
        if (MaxBatchTokens <= 0) throw new ArgumentOutOfRangeException(nameof(MaxBatchTokens), MaxBatchTokens, "MaxBatchTokens must be positive.");
        if (MaxSequences <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSequences), MaxSequences, "MaxSequences must be positive.");
        if (MemoryBudget is <= 0) throw new ArgumentOutOfRangeException(nameof(MemoryBudget), MemoryBudget, "MemoryBudget must be positive.");
    }
}

/// <summary>What a model will take in memory, before loading it (<see cref="LongCatEngine.EstimateMemory"/>).</summary>
/// <param name="WeightBytes">Checkpoint weights the model uses (the MTP head excluded).</param>
/// <param name="KvCacheBytes">The paged cache.</param>
/// <param name="KvCacheTokens">Tokens the cache holds across all sequences.</param>
/// <param name="ActivationBytes">Scratch activations for a full batch (<see cref="LongCatOptions.MaxBatchTokens"/>).</param>
public sealed record MemoryEstimate(long WeightBytes, long KvCacheBytes, long KvCacheTokens, long ActivationBytes)
{
    /// <summary>Sum of the parts.</summary>
    public long TotalBytes => WeightBytes + KvCacheBytes + ActivationBytes;
}

/// <summary>Engine-wide counters: a snapshot the engine loop publishes at the end of each step (reading it is thread-safe).</summary>
/// <param name="Steps">Forward steps run.</param>
/// <param name="DraftedTokens">Tokens the MTP head drafted.</param>
/// <param name="AcceptedDraftTokens">Drafts the target accepted.</param>
public sealed record EngineStatistics(long Steps, long DraftedTokens, long AcceptedDraftTokens)
{
    /// <summary>Prompt tokens served from the prefix cache instead of being recomputed.</summary>
    public long PrefixCacheHitTokens { get; init; }
    /// <summary>Pages of the KV cache no request holds (blocks kept only by the prefix cache count as free).</summary>
    public int FreeKvBlocks { get; init; }
    /// <summary>Times a running request gave up its KV blocks for others and waited to be recomputed (a sign of a KV cache too
    /// small for the load).</summary>
    public long Preemptions { get; init; }
    /// <summary>Requests decoding or prefilling (at most <see cref="LongCatOptions.MaxSequences"/>).</summary>
    public int RunningRequests { get; init; }
    /// <summary>Requests waiting for a slot or for KV blocks: the engine's queue (preempted ones included).</summary>
    public int WaitingRequests { get; init; }
    /// <summary>AcceptedDraftTokens / DraftedTokens.</summary>
    public double AcceptanceRate => DraftedTokens == 0 ? 0 : (double)AcceptedDraftTokens / DraftedTokens;
    /// <summary>Sequence steps that verified drafts (a batched step counts once per sequence in it).</summary>
    public long VerifySteps { get; init; }
    /// <summary>Drafts accepted per verify step (0 without speculation).</summary>
    public double MeanAcceptedLength => VerifySteps == 0 ? 0 : (double)AcceptedDraftTokens / VerifySteps;

    /// <summary>Forward steps in which every sequence decoded (one new token, plus its drafts when speculating): no prompt rows.</summary>
    public long DecodeForwards { get; init; }
    /// <summary>Time spent in the model's forward over the <see cref="DecodeForwards"/> steps.</summary>
    public TimeSpan DecodeForwardTime { get; init; }
    /// <summary>Of <see cref="DecodeForwards"/>, the steps that verified drafts (k + 1 rows per speculating sequence).</summary>
    public long VerifyForwards { get; init; }
    /// <summary>Time spent in the model's forward over the <see cref="VerifyForwards"/> steps.</summary>
    public TimeSpan VerifyForwardTime { get; init; }
    /// <summary>Time spent in the MTP head drafting (every chained draft included).</summary>
    public TimeSpan DraftTime { get; init; }
    /// <summary>Wall time of the <see cref="DecodeForwards"/> steps but for their drafting (in <see cref="DraftTime"/>): the forward,
    /// sampling and verification, streaming the tokens. Less <see cref="DecodeForwardTime"/>, the engine loop's own work.</summary>
    public TimeSpan DecodeStepTime { get; init; }
}
