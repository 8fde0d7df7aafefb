using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Serving;

/// <summary>Where a sequence is in the engine.</summary>
internal enum SequenceStatus
{
    /// <summary>Queued, or preempted and waiting to be recomputed.</summary>
    Waiting,
    /// <summary>In the running batch.</summary>
    Running,
    /// <summary>Ended (its final update posted or about to be): no step touches it again.</summary>
    Finished,
}

/// <summary>
/// One request inside the engine: its tokens (prompt, then generated), its KV block table (changed only by the scheduler's
/// <see cref="KvCacheManager"/>), how it chooses tokens (sampler, constraint) and turns them into updates (output pipeline).
/// Only the engine loop thread changes it; <see cref="RequestCancel"/> may be called from any thread.
/// </summary>
internal sealed class Sequence
{
    private static long _nextId;
    private readonly List<int> _tokens;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _firstTokenAt;
    private volatile bool _cancelRequested;

    public Sequence(int[] prompt, GenerationOptions options, OutputPipeline output, IReadOnlySet<int> stopTokens, int maxPositions,
        int draftTokens, TokenConstraint? constraint = null)
    {
        Id = Interlocked.Increment(ref _nextId);
        _tokens = [.. prompt];
        PromptLength = prompt.Length;
        Options = options;
        Sampler = new Sampler(options.ToSampling());
        Output = output;
        StopTokens = stopTokens;
        MaxPositions = maxPositions;
        DraftTokens = draftTokens;
        Constraint = constraint;
        Updates = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    public long Id { get; }
    public GenerationOptions Options { get; }
    /// <summary>Chooses tokens at their position's draw (seeded requests are reproducible whatever runs beside them).</summary>
    public Sampler Sampler { get; }
    public OutputPipeline Output { get; }
    /// <summary>What may come next (a forced tool-call opening), or null.</summary>
    public TokenConstraint? Constraint { get; }
    public IReadOnlySet<int> StopTokens { get; }
    /// <summary>The context window: no sequence grows past it.</summary>
    public int MaxPositions { get; }
    /// <summary>Tokens the MTP head drafts per step for this request (0: plain decoding).</summary>
    public int DraftTokens { get; }
    public Channel<GenerationUpdate> Updates { get; }
    public SequenceStatus Status { get; set; }

    public int PromptLength { get; }
    /// <summary>Prompt and generated tokens.</summary>
    public int Count => _tokens.Count;
    public int this[int index] => _tokens[index];
    public ReadOnlySpan<int> Tokens => CollectionsMarshal.AsSpan(_tokens);
    public ReadOnlySpan<int> Prompt => Tokens[..PromptLength];
    public ReadOnlySpan<int> Generated => Tokens[PromptLength..];

    /// <summary>The KV blocks; only the scheduler's block manager changes them.</summary>
    public BlockTable Blocks { get; } = new();
    /// <summary>Tokens whose latents are in the cache.</summary>
    public int Cached => Blocks.TokenCount;
    /// <summary>Tokens known but not yet run through the model (1 while decoding).</summary>
    public int Pending => _tokens.Count - Blocks.TokenCount;

    /// <summary>Tokens it may still generate: <see cref="GenerationOptions.MaxTokens"/> counts the tokens the model chose
    /// (forced tokens are output but do not use it up), and the context window bounds them all.</summary>
    public int Remaining => Math.Min(MaxPositions - _tokens.Count, Options.MaxTokens - (_tokens.Count - PromptLength - _forced));

    /// <summary>Appends a generated token (chosen, or <paramref name="forced"/> by the constraint) and tells the constraint.</summary>
    public void Append(int token, bool forced)
    {
        _firstTokenAt ??= _clock.Elapsed;
        Constraint?.Accept(token);
        _tokens.Add(token);
        if (forced) _forced++;
    }

    // ---- usage ----
    private int _drafted, _accepted, _decodeSteps, _verifySteps, _forced;

    /// <summary>A step chose tokens for this request, after verifying <paramref name="drafted"/> drafts of which <paramref name="accepted"/> held.</summary>
    public void RecordStep(int drafted, int accepted)
    {
        _decodeSteps++;
        if (drafted == 0) return;
        _verifySteps++;
        _drafted += drafted;
        _accepted += accepted;
    }

    public GenerationUsage Usage()
    {
        var ttft = _firstTokenAt ?? _clock.Elapsed;
        int generated = _tokens.Count - PromptLength;
        double decodeSeconds = (_clock.Elapsed - ttft).TotalSeconds;
        double tps = generated > 1 && decodeSeconds > 0 ? (generated - 1) / decodeSeconds : 0;
        return new GenerationUsage(PromptLength, generated, ttft, tps)
        {
            DraftedTokens = _drafted, AcceptedDraftTokens = _accepted, DecodeSteps = _decodeSteps, VerifySteps = _verifySteps,
            ReasoningTokens = Output.ReasoningTokens,
        };
    }

    // ---- cancellation ----
    /// <summary>Whether the caller cancelled or stopped reading.</summary>
    public bool CancelRequested => _cancelRequested;
    /// <summary>The engine's count of started steps when the cancellation was first requested, and when the loop ended the
    /// sequence for it (the difference is the steps that ran in between: at most the one in flight).</summary>
    public long CancelRequestedAtStep { get; private set; } = -1;
    public long CancelledAtStep { get; set; } = -1;

    public void RequestCancel(long stepsStarted)
    {
        if (_cancelRequested) return;
        CancelRequestedAtStep = stepsStarted;
        _cancelRequested = true;                   // volatile write after the step count: a reader that sees the flag sees the count
    }
}
