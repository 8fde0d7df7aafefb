using System.Diagnostics;
using System.Threading.Channels;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Serving;

/// <summary>
/// One request inside the engine loop: its tokens (prompt, then generated), its KV blocks, sampler and output pipeline.
/// Only the loop thread mutates it; <see cref="RequestCancel"/> may be called from any thread.
/// </summary>
internal sealed class Sequence
{
    private static long _nextId;
    private readonly List<int> _tokens;
    private volatile bool _cancelRequested;

    public Sequence(int[] prompt, GenerationOptions options, Sampler sampler, OutputPipeline output, IReadOnlySet<int> stopTokens, int maxPositions,
        int draftTokens)
    {
        DraftTokens = draftTokens;
        // Speculative acceptance draws its own uniforms; seeded like the sampler so a seeded request stays reproducible.
        Random = options.Seed is int seed ? new Random(unchecked(seed * 31 + 17)) : new Random();
        Id = Interlocked.Increment(ref _nextId);
        _tokens = [.. prompt];
        PromptLength = prompt.Length;
        Options = options;
        Sampler = sampler;
        Output = output;
        StopTokens = stopTokens;
        MaxLength = Math.Min(maxPositions, prompt.Length + options.MaxTokens);
        Updates = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    public long Id { get; }
    public List<int> Tokens => _tokens;
    public int PromptLength { get; }
    public int GeneratedCount => _tokens.Count - PromptLength;
    public GenerationOptions Options { get; }
    public Sampler Sampler { get; }
    public OutputPipeline Output { get; }
    public IReadOnlySet<int> StopTokens { get; }
    /// <summary>Prompt + MaxTokens, capped by the context window.</summary>
    public int MaxLength { get; }
    public BlockTable Table { get; } = new();
    /// <summary>Tokens whose latents are in the cache (= Table.TokenCount).</summary>
    public int Cached => Table.TokenCount;
    public Channel<GenerationUpdate> Updates { get; }
    public Stopwatch Clock { get; } = Stopwatch.StartNew();
    public TimeSpan? FirstTokenAt { get; set; }
    public bool Finished { get; set; }
    public bool CancelRequested => _cancelRequested;

    /// <summary>Tokens the MTP head drafts per step for this request (0: plain decoding).</summary>
    public int DraftTokens { get; }
    /// <summary>When set, every sampled token is one of these (the others' logits are masked out before sampling); only for
    /// plain decoding (<see cref="DraftTokens"/> = 0). The engine uses it to pick a required tool's name.</summary>
    public int[]? AllowedTokens { get; init; }
    /// <summary>Drafts proposed for the next step (not yet in <see cref="Tokens"/>).</summary>
    public List<int> Drafts { get; } = [];
    /// <summary>The head's distribution for each draft (sampling only): <see cref="DraftBuffer"/>s, valid until the drafts are verified.</summary>
    public List<float[]> DraftProbabilities { get; } = [];
    private readonly List<float[]> _draftBuffers = [];

    /// <summary>The reusable [vocab] row for draft <paramref name="index"/>'s distribution (one per draft position, kept across steps).</summary>
    public float[] DraftBuffer(int index, int vocab)
    {
        while (_draftBuffers.Count <= index) _draftBuffers.Add(new float[vocab]);
        if (_draftBuffers[index].Length != vocab) _draftBuffers[index] = new float[vocab];
        return _draftBuffers[index];
    }
    public Random Random { get; }
    public int Drafted { get; set; }
    public int Accepted { get; set; }
    /// <summary>Steps that sampled tokens for this request (the prompt's last chunk, decode and verify steps).</summary>
    public int DecodeSteps { get; set; }
    /// <summary>Of <see cref="DecodeSteps"/>, those that verified drafts.</summary>
    public int VerifySteps { get; set; }

    public void RequestCancel() => _cancelRequested = true;

    public ReadOnlySpan<int> Prompt => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens)[..PromptLength];
    public ReadOnlySpan<int> Generated => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens)[PromptLength..];

    public GenerationUsage Usage()
    {
        var ttft = FirstTokenAt ?? Clock.Elapsed;
        double decodeSeconds = (Clock.Elapsed - ttft).TotalSeconds;
        double tps = GeneratedCount > 1 && decodeSeconds > 0 ? (GeneratedCount - 1) / decodeSeconds : 0;
        return new GenerationUsage(PromptLength, GeneratedCount, ttft, tps) { DraftedTokens = Drafted, AcceptedDraftTokens = Accepted, DecodeSteps = DecodeSteps, VerifySteps = VerifySteps };
    }
}
