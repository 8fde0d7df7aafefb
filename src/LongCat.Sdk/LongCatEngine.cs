using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;
using LongCat.Sdk.Serving;
using LongCat.Sdk.Text;

namespace LongCat.Sdk;

/// <summary>
/// The SDK's front door: a loaded LongCat model served in-process. Requests from any thread are batched continuously by one
/// engine-loop thread; each streams <see cref="GenerationUpdate"/>s and can be cancelled at any time.
/// </summary>
/// <example>
/// <code>
/// await using var engine = await LongCatEngine.LoadAsync(modelDir);
/// await foreach (var u in engine.ChatAsync([ChatMessage.User("Hello")])) Console.Write(u.Text);
/// </code>
/// </example>
public sealed class LongCatEngine : IAsyncDisposable, IDisposable
{
    private readonly LongCatModel _model;
    private readonly EngineLoop _loop;
    private readonly HashSet<int> _eosTokens;
    private int _disposed;
    private IComputeBackend? _ownedBackend;                 // the GPU backend the engine created for ComputeDevice.Auto/Cuda

    /// <summary>The compute backend running the model ("cpu", "ilgpu-cuda").</summary>
    public string BackendName => _model.Backend.Name;

    private LongCatEngine(string directory, LongCatModel model, Tokenizer? tokenizer, HashSet<int> eos, LongCatOptions options)
    {
        ModelDirectory = directory;
        _model = model;
        Tokenizer = tokenizer;
        _eosTokens = eos;
        Options = options;
        _loop = new EngineLoop(model, options.MaxBatchTokens, options.MaxSequences, options.PrefixCaching);
        if (options.Speculative.DraftTokens > 0 && !model.HasMtp)
        {
            SpeculationFallbackReason = $"The checkpoint in '{directory}' has no MTP head (model.mtp.*): speculative decoding is off, decoding is plain.";
            options.Log?.Invoke(SpeculationFallbackReason);
        }
    }

    /// <summary>The end-of-sequence token ids a generation stops at unless <see cref="GenerationOptions.IgnoreEos"/> is set
    /// (config.json's eos_token_id and generation_config.json's).</summary>
    public IReadOnlySet<int> EosTokenIds => _eosTokens;

    /// <summary>Why speculative decoding was requested but is not used (no MTP weights), or null.</summary>
    public string? SpeculationFallbackReason { get; }

    /// <summary>Engine-wide counters: forward steps, drafted and accepted tokens.</summary>
    public EngineStatistics Statistics => new(_loop.Steps, _loop.Drafted, _loop.AcceptedDrafts)
    {
        PrefixCacheHitTokens = _loop.PrefixCache?.HitTokens ?? 0,
        VerifySteps = _loop.VerifySteps,
        DecodeForwards = _loop.DecodeForwards,
        DecodeForwardTime = Stopwatch.GetElapsedTime(0, _loop.DecodeForwardTicks),
        VerifyForwards = _loop.VerifyForwards,
        VerifyForwardTime = Stopwatch.GetElapsedTime(0, _loop.VerifyForwardTicks),
        DraftTime = Stopwatch.GetElapsedTime(0, _loop.DraftTicks),
        DecodeStepTime = Stopwatch.GetElapsedTime(0, _loop.DecodeStepTicks),
    };

    /// <summary>The model's folder.</summary>
    public string ModelDirectory { get; }

    /// <summary>A name for the model: its folder name.</summary>
    public string ModelId => Path.GetFileName(Path.TrimEndingDirectorySeparator(ModelDirectory));

    /// <summary>The checkpoint's configuration.</summary>
    public LongCatConfig Config => _model.Config;

    /// <summary>The model's tokenizer (tokenizer.json), or null when the folder has none (token-id requests still work).</summary>
    public Tokenizer? Tokenizer { get; }

    /// <summary>The options the engine was loaded with.</summary>
    public LongCatOptions Options { get; }

    /// <summary>Free pages of the KV cache (all sequences share the pool).</summary>
    public int FreeKvBlocks => _loop.FreeBlocks;

    /// <summary>Total pages of the KV cache.</summary>
    public int TotalKvBlocks => _model.KvCache.Pool.BlockCount;

    /// <summary>Loads a model folder (config.json, safetensors, optional tokenizer.json and generation_config.json).</summary>
    /// <exception cref="InvalidConfigException">config.json is missing or inconsistent.</exception>
    /// <exception cref="InvalidCheckpointException">A weight file is malformed or does not match the config.</exception>
    /// <exception cref="OperationCanceledException">Loading was cancelled; nothing stays allocated.</exception>
    public static Task<LongCatEngine> LoadAsync(string modelDirectory, LongCatOptions? options = null,
        IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        options ??= new LongCatOptions();
        options.Validate();
        return Task.Run(() =>
        {
            // Cuda without a device fails here, before any loading; Auto falls back to the CPU backend (null: the model creates it).
            var backend = IlgpuBackend.ForDevice(options.Device);
            LongCatModel model;
            try
            {
                model = LongCatModel.Load(modelDirectory, ToModelOptions(options) with { Backend = backend }, progress, cancellationToken);
            }
            catch
            {
                backend?.Dispose();
                throw;
            }
            try
            {
                progress?.Report(new LoadProgress("tokenizer", model.WeightBytes, model.WeightBytes));
                string tokenizerPath = Path.Combine(modelDirectory, "tokenizer.json");
                var tokenizer = File.Exists(tokenizerPath) ? Tokenizer.FromFile(tokenizerPath) : null;
                var eos = ReadEosTokens(modelDirectory, model.Config);
                cancellationToken.ThrowIfCancellationRequested();
                var engine = new LongCatEngine(modelDirectory, model, tokenizer, eos, options) { _ownedBackend = backend };
                progress?.Report(new LoadProgress("ready", model.WeightBytes, model.WeightBytes));
                return engine;
            }
            catch
            {
                model.Dispose();
                backend?.Dispose();
                throw;
            }
        }, cancellationToken);
    }

    private static ModelOptions ToModelOptions(LongCatOptions o) => new()
    {
        Residency = o.Residency,
        Threads = o.Threads,
        KvBlockSize = o.KvBlockSize,
        KvCacheMemory = o.KvCacheMemory,
        KvCacheBlocks = o.KvCacheBlocks,
        DraftVocabularySize = o.Speculative.DraftVocabularySize,
    };

    /// <summary>End-of-turn tokens: config.json's eos_token_id and generation_config.json's (an id or a list).</summary>
    private static HashSet<int> ReadEosTokens(string directory, LongCatConfig config)
    {
        var ids = new HashSet<int> { config.EosTokenId };
        string path = Path.Combine(directory, "generation_config.json");
        if (!File.Exists(path)) return ids;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("eos_token_id", out var e))
            {
                if (e.ValueKind == JsonValueKind.Number) ids.Add(e.GetInt32());
                else if (e.ValueKind == JsonValueKind.Array)
                    foreach (var v in e.EnumerateArray()) if (v.ValueKind == JsonValueKind.Number) ids.Add(v.GetInt32());
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidConfigException("generation_config.json", $"not valid JSON ({ex.Message})");
        }
        return ids;
    }

    /// <summary>Estimates the memory a model folder will take with these options, without loading it (the MTP head included when present).</summary>
    public static MemoryEstimate EstimateMemory(string modelDirectory, LongCatOptions? options = null)
    {
        options ??= new LongCatOptions();
        options.Validate();
        var config = LongCatConfig.Load(Path.Combine(modelDirectory, "config.json"));
        using var index = CheckpointIndex.Open(modelDirectory);
        bool mtp = config.HasMtp && index.Contains(WeightNames.MtpEhProj);
        long weights = index.TensorNames.Where(n => mtp || !n.StartsWith(WeightNames.Mtp, StringComparison.Ordinal)).Sum(n => index.Get(n).Info.Length);
        long perBlock = PagedKvCache.BytesPerBlock(config.NumAttentionSublayers + (mtp ? 1 : 0), config.KvCacheWidth, options.KvBlockSize);
        long blocks = options.KvCacheBlocks ?? Math.Max(1, options.KvCacheMemory / perBlock);
        // Per token of a step: residual, norms, MLA projections (q, latent queries and outputs), MLP hidden, logits row.
        long perToken = 4L * (4 * config.HiddenSize + config.QLoraRank * 2 + config.NumAttentionHeads * (config.QkHeadDim + 2 * config.KvLoraRank
            + config.QkRopeHeadDim + config.VHeadDim) + config.KvCacheWidth + config.FfnHiddenSize + 2 * config.MoeTopK + config.VocabSize);
        return new MemoryEstimate(weights, blocks * perBlock, blocks * options.KvBlockSize, perToken * options.MaxBatchTokens);
    }

    /// <summary>Continues a text prompt (tokenized as is: no chat template, no BOS).</summary>
    /// <exception cref="InvalidOperationException">The model folder has no tokenizer.json.</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return GenerateAsync(RequireTokenizer().Encode(prompt), options, cancellationToken);
    }

    /// <summary>Answers a conversation rendered through the LongCat chat template (with the tools of <paramref name="options"/>).</summary>
    /// <remarks>With <see cref="ToolChoiceMode.Required"/> the answer starts with the forced opening of a tool call, which is part
    /// of the output (held back, like all tool-call markup, and returned as <see cref="GenerationUpdate.ToolCalls"/>), and names
    /// the required function, or, when any tool will do, the one the model prefers among the offered names (decoded with every
    /// other token masked out, so a small model cannot call a tool that is not there); with
    /// <see cref="ToolChoiceMode.None"/> the tools are described and generation stops where a call would begin.</remarks>
    public IAsyncEnumerable<GenerationUpdate> ChatAsync(IReadOnlyList<ChatMessage> messages, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new GenerationOptions();
        options.Validate();
        bool tools = options.Tools is { Count: > 0 };
        // Required without a named function: the name is decoded first, constrained to the offered ones (RequiredToolName).
        return tools && options.ToolChoice is { Mode: ToolChoiceMode.Required, FunctionName: null }
            ? ChatWithChosenToolAsync(messages, options, cancellationToken)
            : Chat(messages, options, cancellationToken);
    }

    private IAsyncEnumerable<GenerationUpdate> Chat(IReadOnlyList<ChatMessage> messages, GenerationOptions options, CancellationToken cancellationToken)
    {
        bool tools = options.Tools is { Count: > 0 };
        string forced = "";
        if (tools && options.ToolChoice.Mode == ToolChoiceMode.Required)
            forced = options.ToolChoice.FunctionName is { } required
                ? ChatTemplate.RenderToolCallPrefix(options.Tools!.First(t => t.Name == required))      // Validate: it is offered
                : ChatTemplate.RenderToolCallPrefix();
        else if (tools && options.ToolChoice.Mode == ToolChoiceMode.None)
            options = options with { StopSequences = [.. options.StopSequences, ToolCallParser.OpenTag] };
        // Special-token text inside messages stays text: a user cannot end the turn or fake a tool result by typing markup.
        var prompt = ChatTemplate.RenderPrompt(messages, options.Tools);
        var ids = RequireTokenizer().Encode(prompt.Text + forced, prompt.PlainTextRanges);
        return Generate(ids, options, parseToolCalls: tools, cancellationToken, forced);
    }

    private async IAsyncEnumerable<GenerationUpdate> ChatWithChosenToolAsync(IReadOnlyList<ChatMessage> messages, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prompt = ChatTemplate.RenderPrompt(messages, options.Tools);
        string? name = await RequiredToolName.ChooseAsync(RequireTokenizer(), prompt, [.. options.Tools!.Select(t => t.Name)],
            (context, allowed, ct) => NextTokenAsync(context, allowed, options, ct), cancellationToken).ConfigureAwait(false);
        // null (names that do not tokenize apart from the opening): only the tag is forced, the model writes the name.
        var chosen = name is null ? options : options with { ToolChoice = ToolChoice.Required(name) };
        await foreach (var update in Chat(messages, chosen, cancellationToken).ConfigureAwait(false)) yield return update;
    }

    // One constrained token with the request's sampling settings (no drafts, no stops): a step of RequiredToolName's walk.
    private async Task<int> NextTokenAsync(int[] context, int[] allowed, GenerationOptions options, CancellationToken cancellationToken)
    {
        var one = options with { MaxTokens = 1, DraftTokens = 0, IgnoreEos = true, StopSequences = [], StopTokenIds = [], Tools = null, ToolChoice = ToolChoice.Auto };
        await foreach (var update in Generate(context, one, parseToolCalls: false, cancellationToken, allowedTokens: allowed).ConfigureAwait(false))
            if (update.TokenIds.Count > 0) return update.TokenIds[0];
        throw new InvalidOperationException("The constrained step produced no token.");
    }

    /// <summary>Continues a prompt given as token ids.</summary>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Generate(promptTokens, options ?? new GenerationOptions(), parseToolCalls: false, cancellationToken);

    /// <summary>Renders and tokenizes a conversation exactly as <see cref="ChatAsync"/> would.</summary>
    public IReadOnlyList<int> TokenizeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools = null) =>
        ChatTemplate.RenderPrompt(messages, tools).Encode(RequireTokenizer());

    private Tokenizer RequireTokenizer() =>
        Tokenizer ?? throw new InvalidOperationException($"The model folder '{ModelDirectory}' has no tokenizer.json; use the token-id overloads.");

    // forcedOutput: text at the end of the prompt that belongs to the answer (a forced tool-call opening); it goes through the
    // output pipeline first, so the stream reads as if the model had written it.
    private IAsyncEnumerable<GenerationUpdate> Generate(IReadOnlyList<int> promptTokens, GenerationOptions options, bool parseToolCalls,
        CancellationToken cancellationToken, string forcedOutput = "", int[]? allowedTokens = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentNullException.ThrowIfNull(promptTokens);
        options.Validate();
        var prompt = promptTokens.ToArray();
        if (prompt.Length == 0) throw new ArgumentException("The prompt has no tokens.", nameof(promptTokens));
        foreach (int id in prompt)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(promptTokens), id, $"Token id outside the vocabulary [0, {Config.VocabSize}).");
        // Admission: a prompt that cannot fit is a typed error now, not a failure mid-generation.
        if (prompt.Length >= Config.MaxPositionEmbeddings) throw new ContextOverflowException(prompt.Length + 1, Config.MaxPositionEmbeddings);
        int blocksNeeded = (prompt.Length + 1 + Options.KvBlockSize - 1) / Options.KvBlockSize;
        if (blocksNeeded > TotalKvBlocks) throw new KvCacheExhaustedException(blocksNeeded, TotalKvBlocks);

        var stops = options.IgnoreEos ? new HashSet<int>() : new HashSet<int>(_eosTokens);
        stops.UnionWith(options.StopTokenIds);
        int drafts = _model.HasMtp && allowedTokens is null ? options.DraftTokens ?? Options.Speculative.DraftTokens : 0;
        var sequence = new Sequence(prompt, options, new Sampler(options.ToSampling()),
            new OutputPipeline(Tokenizer, options.StopSequences, parseToolCalls, forcedOutput), stops, Config.MaxPositionEmbeddings, drafts)
        { AllowedTokens = allowedTokens };
        return Stream(sequence, cancellationToken);
    }

    // Submitted when enumeration starts, so an unread stream costs nothing.
    private async IAsyncEnumerable<GenerationUpdate> Stream(Sequence sequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _loop.Submit(sequence);
        using var registration = cancellationToken.Register(sequence.RequestCancel);
        try
        {
            await foreach (var update in sequence.Updates.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                yield return update;
        }
        finally
        {
            // The caller stopped reading (or the stream ended): the loop frees the sequence at its next step.
            sequence.RequestCancel();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _loop.Dispose();
        _model.Dispose();
        _ownedBackend?.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
