using Microsoft.Extensions.Logging;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;
using LongCat.Sdk.Serving;
using LongCat.Sdk.Structured;
using LongCat.Sdk.Text;

namespace LongCat.Sdk;

/// <summary>
/// The SDK's front door: a loaded LongCat model served in-process. Requests from any thread are batched continuously by one
/// engine-loop thread; each streams <see cref="GenerationUpdate"/>s and can be cancelled at any time.
/// </summary>
/// <example>
/// <code>
/// await using var engine = await LongCatEngine.LoadAsync(modelDir);
/// await foreach (var u in engine.ChatAsync([LongCatMessage.User("Hello")])) Console.Write(u.Text);
/// </code>
/// </example>
public sealed class LongCatEngine : IAsyncDisposable, IDisposable
{
    private readonly LongCatModel _model;
    private readonly EngineLoop _loop;
    private readonly HashSet<int> _eosTokens;
    private StructuredOutputCache? _structuredOutput;
    private StructuredOutputCache? _xmlToolCallOutput;
    private readonly (int Open, int Close)? _thinkTags;      // <longcat_think>, </longcat_think> when both are tokens
    private int _disposed;
    private IComputeBackend? _ownedBackend;                 // the GPU backend the engine created for ComputeDevice.Auto/Cuda

    /// <summary>The compute backend running the model ("cpu", "ilgpu-cuda").</summary>
    public string BackendName => _model.Backend.Name;

    private LongCatEngine(string directory, LongCatModel model, Tokenizer? tokenizer, HashSet<int> eos, ChatFormat chatFormat, LongCatOptions options)
    {
        ModelDirectory = directory;
        _model = model;
        Tokenizer = tokenizer;
        ChatFormat = chatFormat;
        if (tokenizer?.TokenToId(ReasoningSplitter.OpenTag) is int open && tokenizer.TokenToId(ReasoningSplitter.CloseTag) is int close)
            _thinkTags = (open, close);
        _eosTokens = eos;
        Options = options;
        _loop = new EngineLoop(model, options.MaxBatchTokens, options.MaxSequences, options.PrefixCaching);
        if (options.Speculative.DraftTokens > 0 && !model.HasMtp)
        {
            SpeculationFallbackReason = $"The checkpoint in '{directory}' has no MTP head (model.mtp.*): speculative decoding is off, decoding is plain.";
            options.Logger?.LogWarning("{Reason}", SpeculationFallbackReason);
        }
    }

    /// <summary>The end-of-sequence token ids a generation stops at unless <see cref="GenerationOptions.IgnoreEos"/> is set
    /// (config.json's eos_token_id and generation_config.json's).</summary>
    public IReadOnlySet<int> EosTokenIds => _eosTokens;

    /// <summary>Why speculative decoding was requested but is not used (no MTP weights), or null.</summary>
    public string? SpeculationFallbackReason { get; }

    /// <summary>Engine-wide counters (forward steps, drafted and accepted tokens, timings, free KV blocks) as of the end of the
    /// last engine step; thread-safe.</summary>
    public EngineStatistics Statistics => _loop.Statistics;

    /// <summary>The model's folder.</summary>
    public string ModelDirectory { get; }

    /// <summary>A name for the model: its folder name.</summary>
    public string ModelId => Path.GetFileName(Path.TrimEndingDirectorySeparator(ModelDirectory));

    /// <summary>The checkpoint's configuration.</summary>
    public LongCatConfig Config => _model.Config;

    /// <summary>The loaded model (the CLI's bench reads its weight sizes).</summary>
    internal LongCatModel Model => _model;

    /// <summary>How conversations are rendered and outputs read (the checkpoint's chat template, its tool-call syntax).</summary>
    internal ChatFormat ChatFormat { get; }

    /// <summary>The model's tokenizer (tokenizer.json), or null when the folder has none (token-id requests still work).</summary>
    public Tokenizer? Tokenizer { get; }

    /// <summary>The options the engine was loaded with.</summary>
    public LongCatOptions Options { get; }

    /// <summary>Free pages of the KV cache (all sequences share the pool; blocks only the prefix cache keeps count as free),
    /// as of the end of the last engine step; thread-safe.</summary>
    public int FreeKvBlocks => _loop.Statistics.FreeKvBlocks;

    /// <summary>Total pages of the KV cache.</summary>
    public int TotalKvBlocks => _model.KvCacheBlocks;

    /// <summary>Loads a model folder (config.json, safetensors, optional tokenizer.json and generation_config.json).</summary>
    /// <exception cref="InvalidConfigException">config.json is missing or inconsistent.</exception>
    /// <exception cref="InvalidCheckpointException">A weight file is malformed or does not match the config.</exception>
    /// <exception cref="OperationCanceledException">Loading was cancelled; nothing stays allocated.</exception>
    /// <exception cref="NotSupportedException">A weight format the chosen backend cannot compute with (on a GPU: a 4-bit weight whose group
    /// size is not 32, 64 or 128).</exception>
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
            if (backend is null && options.MemoryBudget is { } budget) CheckMemoryBudget(modelDirectory, options, budget);   // CPU: nothing to free yet
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
                var tokenizer = RegularFile.Exists(tokenizerPath) ? Tokenizer.FromFile(tokenizerPath, model.Config.VocabSize) : null;
                var eos = GenerationConfig.EosTokens(modelDirectory, model.Config);
                var chatFormat = ChatFormat.Load(modelDirectory);
                cancellationToken.ThrowIfCancellationRequested();
                var engine = new LongCatEngine(modelDirectory, model, tokenizer, eos, chatFormat, options) { _ownedBackend = backend };
                if (options.WarmUp)
                {
                    try
                    {
                        progress?.Report(new LoadProgress("warm-up", model.WeightBytes, model.WeightBytes));
                        engine.WarmUp(cancellationToken);
                    }
                    catch
                    {
                        engine._loop.Dispose();               // the model and the backend are freed below
                        throw;
                    }
                }
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

    /// <summary>Steps a warm-up runs at least: past the runtime's 30 calls before a method is promoted, twice (tiered PGO first
    /// promotes to an instrumented tier, then to the optimized one).</summary>
    private const int WarmUpMinSteps = 64;

    /// <summary>
    /// <see cref="LongCatOptions.WarmUp"/>: greedy requests of random tokens on a private <see cref="EngineLoop"/> (the engine's own
    /// loop stays idle, its statistics and prefix cache untouched; the private loop's KV pages are the same memory, rewritten
    /// by any later prefill before they are read), one step at a time until <see cref="WarmUpMinSteps"/> steps have run and
    /// the runtime has compiled no method for 300 ms, or, where it never goes quiet (other code compiling in the process),
    /// until 1 s plus twice the time of those first steps. The requests take the engine's default path (speculation as
    /// configured, and every other request plain), each of 48 tokens after a prompt of 32 (fewer where the cache is smaller), so
    /// prefill runs too.
    /// </summary>
    private void WarmUp(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int drafts = _model.HasMtp ? Options.Speculative.DraftTokens : 0;
        int capacity = Math.Min(Config.MaxPositionEmbeddings, TotalKvBlocks * Options.KvBlockSize) - 2 - drafts;
        int promptLength = Math.Clamp(capacity / 4, 1, 32), perRequest = Math.Min(48, capacity - promptLength);
        if (perRequest < 1)
        {
            Options.Logger?.LogInformation("Warm-up skipped: the KV cache holds too few tokens ({Tokens}) to decode in", TotalKvBlocks * Options.KvBlockSize);
            return;
        }
        var loop = new EngineLoop(_model, Options.MaxBatchTokens, Options.MaxSequences, prefixCaching: false);
        int steps = 0;
        try
        {
            var rng = new Random(0x5EED);
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            TimeSpan lastCompile = TimeSpan.Zero, limit = TimeSpan.MaxValue;
            for (int request = 0; ; request++)
            {
                // With speculation on, every other request decodes plainly: a request may turn it off (DraftTokens = 0).
                var options = new GenerationOptions { MaxTokens = perRequest, IgnoreEos = true, DraftTokens = drafts > 0 && request % 2 == 1 ? 0 : null };
                int[] prompt = [.. Enumerable.Range(0, promptLength).Select(_ => rng.Next(Config.VocabSize))];
                var stream = Generate(prompt, options, new OutputPipeline(null, options.StopSequences), null, cancellationToken, loop);
                var updates = stream.GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (updates.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                    {
                        if (updates.Current.FinishReason == FinishReason.Cancelled) cancellationToken.ThrowIfCancellationRequested();
                        steps++;
                        long now = System.Runtime.JitInfo.GetCompiledMethodCount();
                        if (now != compiled) (compiled, lastCompile) = (now, clock.Elapsed);
                        if (steps == WarmUpMinSteps) limit = TimeSpan.FromSeconds(1) + 2 * clock.Elapsed;
                        if (steps >= WarmUpMinSteps && (clock.Elapsed - lastCompile >= TimeSpan.FromMilliseconds(300) || clock.Elapsed >= limit))
                        {
                            Options.Logger?.LogInformation("Warmed up in {Seconds:F2} s ({Steps} steps)", clock.Elapsed.TotalSeconds, steps);
                            return;
                        }
                    }
                }
                finally
                {
                    updates.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }
        }
        finally
        {
            loop.Dispose();                                   // joins its thread: no forward of it overlaps the engine's
        }
    }

    private static ModelOptions ToModelOptions(LongCatOptions o) => new()
    {
        Residency = o.Residency,
        Threads = o.Threads,
        Quantization = o.Quantization,
        KvBlockSize = o.KvBlockSize,
        KvCacheMemory = o.KvCacheMemory,
        KvCacheBlocks = o.KvCacheBlocks,
        DraftVocabularySize = o.Speculative.DraftVocabularySize,
    };

    /// <summary>
    /// Throws <see cref="MemoryBudgetExceededException"/> when the model's resident weights (tables read by rows excluded: they
    /// stay mapped), KV cache, activations and runtime estimate exceed <paramref name="budget"/>; reads headers only.
    /// </summary>
    private static void CheckMemoryBudget(string modelDirectory, LongCatOptions options, long budget)
    {
        var config = LongCatConfig.Load(Path.Combine(modelDirectory, "config.json"));
        using var index = CheckpointIndex.Open(modelDirectory);
        var estimate = Estimate(config, index, options);
        var plan = MemoryPlan.Create(config, options.Quantization);
        bool mtp = config.HasMtp && index.Contains(WeightNames.MtpEhProj);            // as EstimateMemory counts the MTP head
        long tables = WeightNames.RowTables(config).Where(n => index.Contains(n) && (mtp || n != WeightNames.MtpEmbedding)).Sum(n => index.Get(n).Info.Length);
        long required = estimate.WeightBytes - tables + estimate.KvCacheBytes + estimate.ActivationBytes + MemoryPlan.RuntimeReserveBytes;
        if (required <= budget) return;
        string largest = string.Join(", ", plan.Groups.Where(g => g.Placement == MemoryPlacement.Resident).OrderByDescending(g => g.Bytes).Take(3)
            .Select(g => $"{g.Name} {g.Bytes / (double)(1L << 30):F2} GiB ({g.Format})"));
        string advice = options.Quantization is WeightQuantization.Q4 or WeightQuantization.Q4Experts
            ? $"a smaller KvCacheMemory (now {estimate.KvCacheBytes / (double)(1L << 20):F0} MiB) or a larger budget"
            : $"Quantization = Q4Experts (experts 4-bit, the rest 8-bit), a smaller KvCacheMemory (now {estimate.KvCacheBytes / (double)(1L << 20):F0} MiB) or a larger budget";
        throw new MemoryBudgetExceededException(required, budget,
            $"The model in '{modelDirectory}' needs {required / (double)(1L << 30):F2} GiB (weights {(estimate.WeightBytes - tables) / (double)(1L << 30):F2} GiB, " +
            $"KV cache {estimate.KvCacheBytes / (double)(1L << 30):F2} GiB, activations and runtime {(estimate.ActivationBytes + MemoryPlan.RuntimeReserveBytes) / (double)(1L << 30):F2} GiB) " +
            $"of a MemoryBudget of {budget / (double)(1L << 30):F2} GiB. Largest: {largest}. Try {advice}.");
    }

    /// <summary>Estimates the memory a model folder will take with these options, without loading it (the MTP head included when present).</summary>
    public static MemoryEstimate EstimateMemory(string modelDirectory, LongCatOptions? options = null)
    {
        options ??= new LongCatOptions();
        options.Validate();
        var config = LongCatConfig.Load(Path.Combine(modelDirectory, "config.json"));
        using var index = CheckpointIndex.Open(modelDirectory);
        return Estimate(config, index, options);
    }

    private static MemoryEstimate Estimate(LongCatConfig config, CheckpointIndex index, LongCatOptions options)
    {
        bool mtp = config.HasMtp && index.Contains(WeightNames.MtpEhProj);
        long weights = index.TensorNames.Where(n => mtp || !n.StartsWith(WeightNames.Mtp, StringComparison.Ordinal))
            .Sum(n => QuantizationPlan.LoadedBytes(options.Quantization, index, n));
        long perBlock = PagedKvCache.BytesPerBlock(config.NumAttentionSublayers + (mtp ? 1 : 0), config.KvCacheWidth, options.KvBlockSize);
        long blocks = options.KvCacheBlocks ?? Math.Max(1, options.KvCacheMemory / perBlock);
        // Per token of a step: residual, norms, MLA projections (q, latent queries and outputs), MLP hidden, logits row.
        long perToken = 4L * (4 * config.HiddenSize + config.QLoraRank * 2 + config.NumAttentionHeads * (config.QkHeadDim + 2 * config.KvLoraRank
            + config.QkRopeHeadDim + config.VHeadDim) + config.KvCacheWidth + config.FfnHiddenSize + 2 * config.MoeTopK + config.VocabSize);
        return new MemoryEstimate(weights, blocks * perBlock, blocks * options.KvBlockSize, perToken * options.MaxBatchTokens);
    }

    /// <summary>Continues a text prompt (tokenized as is: no chat template, no BOS).</summary>
    /// <remarks>Everything is validated at the call; the returned stream runs the request when it is enumerated, once (a second
    /// enumeration throws <see cref="InvalidOperationException"/>). Cancelling (<paramref name="cancellationToken"/>, the
    /// enumerator's token, or breaking out of the <c>await foreach</c>) ends the stream within one engine step with a last update
    /// whose <see cref="GenerationUpdate.FinishReason"/> is <see cref="FinishReason.Cancelled"/>: it never throws for it.</remarks>
    /// <exception cref="ArgumentException">An option or token is invalid (the message names it).</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context window.</exception>
    /// <exception cref="KvCacheExhaustedException">The prompt needs more KV blocks than the cache has.</exception>
    /// <exception cref="InvalidOperationException">The model folder has no tokenizer.json.</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return GenerateAsync(RequireTokenizer().Encode(prompt), options, cancellationToken);
    }

    /// <summary>Continues a prompt given as token ids (see <see cref="GenerateAsync(string, GenerationOptions?, CancellationToken)"/>
    /// for validation, streaming and cancellation).</summary>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        options ??= new GenerationOptions();
        options.Validate();
        return Generate([.. promptTokens], options, new OutputPipeline(Tokenizer, options.StopSequences), OutputConstraintFor(options), cancellationToken);
    }

    /// <summary>For tests: a prompt continued under <paramref name="constraint"/> (what the public overloads build from options).</summary>
    internal IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions options, TokenConstraint constraint,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        return Generate([.. promptTokens], options, new OutputPipeline(Tokenizer, options.StopSequences), constraint, cancellationToken);
    }

    /// <summary>The token constraint of <see cref="GenerationOptions.Constraint"/> (null: none), compiled now (cached by text), so
    /// a bad schema or pattern throws at the call. The output ends with one of the end-of-turn or stop tokens.</summary>
    /// <exception cref="JsonSchemaException">The schema or pattern is invalid or uses what the compiler does not support.</exception>
    private JsonSchemaConstraint? OutputConstraintFor(GenerationOptions options)
    {
        if (options.Constraint is not { } c) return null;
        var cache = StructuredOutput;
        int[] ends = [.. _eosTokens.Union(options.StopTokenIds).Where(id => id < cache.Vocabulary.Size)];
        if (ends.Length == 0)
            throw new ArgumentException("An output constraint needs an end-of-turn or stop token to end on; the model has none (give StopTokenIds).", nameof(options));
        return c.Kind switch
        {
            OutputConstraintKind.Json => cache.ForAnyJson(ends),
            OutputConstraintKind.JsonSchema => cache.ForJsonSchema(c.Text, ends),
            OutputConstraintKind.Regex => cache.ForRegex(c.Text, ends),
            _ => cache.ForChoice(c.Choices, ends),
        };
    }

    /// <summary>
    /// Tool calls with their arguments held to the called tool's parameter schema (<see cref="ToolCallConstraint"/>); null when
    /// the tokenizer has no single tokens for the call's tags (the names are then constrained only when a call is required).
    /// </summary>
    /// <exception cref="JsonSchemaException">A tool's parameter schema is invalid or unsupported.</exception>
    private ToolCallConstraint? ToolCallConstraintFor(Tokenizer tokenizer, IReadOnlyList<ToolDefinition> tools, ToolCallSyntax syntax, bool required,
        TokenConstraint? free)
    {
        if (tokenizer.TokenToId(ToolCallParser.OpenTag) is not int open || tokenizer.TokenToId(ToolCallParser.CloseTag) is not int close) return null;
        var cache = syntax == ToolCallSyntax.Json ? StructuredOutput : XmlToolCallOutput;
        string key = (syntax == ToolCallSyntax.Json ? "tools:" : "xmltools:")
            + string.Join("\u0000", tools.Select(t => t.Name + "\u0001" + (t.Parameters.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "" : t.Parameters.GetRawText())));
        var masks = cache.Masks(key, () => syntax == ToolCallSyntax.Json ? JsonSchemaCompiler.ToolCalls(tools) : JsonSchemaCompiler.XmlToolCalls(tools));
        return new ToolCallConstraint(open, () => new JsonSchemaConstraint(masks, [close]), required, free);
    }

    /// <summary>The same for XML tool calls, whose grammar places the argument tags (single tokens, markup elsewhere).</summary>
    private StructuredOutputCache XmlToolCallOutput
    {
        get
        {
            var tokenizer = RequireTokenizer();
            return LazyInitializer.EnsureInitialized(ref _xmlToolCallOutput, () => new StructuredOutputCache(tokenizer,
                new HashSet<string>(StringComparer.Ordinal) { XmlToolCallReader.KeyOpen, XmlToolCallReader.KeyClose, XmlToolCallReader.ValueOpen, XmlToolCallReader.ValueClose }));
        }
    }

    /// <summary>Compiled output constraints and the vocabulary's token bytes, made on first use and kept with the engine.</summary>
    private StructuredOutputCache StructuredOutput
    {
        get
        {
            var tokenizer = RequireTokenizer();
            return LazyInitializer.EnsureInitialized(ref _structuredOutput, () => new StructuredOutputCache(tokenizer));
        }
    }

    /// <summary>Answers a conversation rendered through the model's chat template (the checkpoint's own, else LongCat-Flash-Chat's
    /// format), with the tools of <paramref name="options"/>; validation, streaming and cancellation as
    /// <see cref="GenerateAsync(string, GenerationOptions?, CancellationToken)"/>.</summary>
    /// <remarks>With <see cref="ToolChoiceMode.Required"/> the answer is constrained to open a tool call naming the required
    /// function, or, when any tool will do, the offered name the model prefers (decoded with every token that does not continue
    /// an offered name masked out, so a small model cannot call a tool that is not there); the opening is part of the output
    /// (held back, like all tool-call markup, and returned as <see cref="GenerationUpdate.ToolCalls"/>). With
    /// <see cref="ToolChoiceMode.None"/> the tools are described and generation stops where a call would begin.
    /// A thinking model's reasoning streams as <see cref="GenerationUpdate.Reasoning"/>, apart from the answer; constraints
    /// (tool calls, <see cref="GenerationOptions.Constraint"/>) apply to the answer, after the reasoning.</remarks>
    /// <exception cref="ChatTemplateException">The model's chat template raised an error for this conversation.</exception>
    public IAsyncEnumerable<GenerationUpdate> ChatAsync(IReadOnlyList<LongCatMessage> messages, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new GenerationOptions();
        options.Validate();
        if (options.HeavyThinking is { } heavy) return HeavyThinking(messages, options, heavy, cancellationToken);
        var tokenizer = RequireTokenizer();
        var tools = options.Tools is { Count: > 0 } offered ? offered : null;
        if (tools is not null && options.ToolChoice.Mode == ToolChoiceMode.None)
            options = options with { StopSequences = [.. options.StopSequences, ToolCallParser.OpenTag] };
        // Special-token text inside messages stays text: a user cannot end the turn or fake a tool result by typing markup.
        var prompt = ChatFormat.Render(messages, tools, addGenerationPrompt: true, options.EnableThinking, options.ChatTemplateArguments);
        var ids = tokenizer.Encode(prompt.Text, prompt.PlainTextRanges);
        bool reasoning = _thinkTags is { } tags && EndsInsideThinkBlock(ids, tags.Open, tags.Close);
        TokenConstraint? constraint = OutputConstraintFor(options);
        var syntax = ChatFormat.ToolSyntax;
        if (tools is not null && options.ToolChoice.Mode != ToolChoiceMode.None)
        {
            var callable = options.ToolChoice.FunctionName is { } name ? tools.Where(t => t.Name == name).ToArray() : tools;
            bool required = options.ToolChoice.Mode == ToolChoiceMode.Required;
            constraint = ToolCallConstraintFor(tokenizer, callable, syntax, required, constraint)
                ?? (required
                    ? new TokenTrieConstraint(ToolCallOpenings.Tokenize(tokenizer, prompt, ids, callable, syntax, afterReasoning: reasoning))
                    : constraint);
        }
        // A thinking model: its reasoning is free (up to the budget) and the answer's constraint applies after it, whether the
        // prompt opened the think block or the model opens it itself.
        if (_thinkTags is { } think && (reasoning || options.ThinkingBudget is not null || constraint is not null))
            constraint = new ReasoningConstraint(think.Open, think.Close, tokenizer.Encode("\n", parseSpecialTokens: false), options.ThinkingBudget, constraint,
                startsInReasoning: reasoning);
        var output = new OutputPipeline(Tokenizer, options.StopSequences, tools is null ? null : syntax.Reader(tools),
            _thinkTags is { } t ? (reasoning, t.Open, t.Close) : null);
        return Generate(ids, options, output, constraint, cancellationToken);
    }

    // The paths (each validated and admitted now, so a bad request throws at the call), then the summary over their answers.
    private HeavyThinkingRun HeavyThinking(IReadOnlyList<LongCatMessage> messages, GenerationOptions options, HeavyThinkingOptions heavy,
        CancellationToken cancellationToken)
    {
        if (options.Tools is { Count: > 0 })
            throw new ArgumentException("HeavyThinking with Tools is not supported: the paths would each call tools; run the tool loop without it.", nameof(options));
        var (questionIndex, question) = HeavyThinkingRun.LastUserTurn(messages);
        int seed = options.Seed ?? Random.Shared.Next();
        var paths = new IAsyncEnumerable<GenerationUpdate>[heavy.Paths];
        for (int i = 0; i < paths.Length; i++)
        {
            var path = options with
            {
                HeavyThinking = null, Constraint = null, Temperature = heavy.Temperature, TopP = heavy.TopP,
                Seed = unchecked(seed + i), MaxTokens = heavy.PathMaxTokens ?? options.MaxTokens,
            };
            paths[i] = ChatAsync(messages, path, cancellationToken);
        }
        var summaryOptions = options with { HeavyThinking = null };
        return new HeavyThinkingRun(paths, answers =>
            ChatAsync([.. messages.Take(questionIndex), LongCatMessage.User(heavy.SummaryPrompt(question, answers))], summaryOptions, cancellationToken));
    }

    /// <summary>Whether the prompt's last think-block tag opens one (its generation prompt starts the reasoning). Decided on token
    /// ids: a tag typed into a message is text, never the token.</summary>
    private static bool EndsInsideThinkBlock(int[] ids, int open, int close)
    {
        int lastOpen = Array.LastIndexOf(ids, open), lastClose = Array.LastIndexOf(ids, close);
        return lastOpen >= 0 && lastOpen > lastClose;
    }

    /// <summary>Renders and tokenizes a conversation exactly as <see cref="ChatAsync"/> would.</summary>
    /// <exception cref="ChatTemplateException">The model's chat template raised an error for this conversation.</exception>
    public IReadOnlyList<int> TokenizeChat(IReadOnlyList<LongCatMessage> messages, IReadOnlyList<ToolDefinition>? tools = null) =>
        ChatFormat.Render(messages, tools).Encode(RequireTokenizer());

    /// <summary>Renders a conversation as the prompt text <see cref="ChatAsync"/> feeds the model (what <c>longcat template</c> prints).</summary>
    /// <exception cref="ChatTemplateException">The model's chat template raised an error for this conversation.</exception>
    public string RenderChat(IReadOnlyList<LongCatMessage> messages, GenerationOptions? options = null, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new GenerationOptions();
        options.Validate();
        return ChatFormat.Render(messages, options.Tools is { Count: > 0 } t ? t : null, addGenerationPrompt, options.EnableThinking, options.ChatTemplateArguments).Text;
    }

    private Tokenizer RequireTokenizer() =>
        Tokenizer ?? throw new InvalidOperationException($"The model folder '{ModelDirectory}' has no tokenizer.json; use the token-id overloads.");

    // Admission: everything that can be known before the first step is checked here, so the call throws, not the stream.
    private GenerationStream Generate(int[] prompt, GenerationOptions options, OutputPipeline output, TokenConstraint? constraint,
        CancellationToken cancellationToken, EngineLoop? loop = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (prompt.Length == 0) throw new ArgumentException("The prompt has no tokens.", "promptTokens");
        foreach (int id in prompt)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException("promptTokens", id, $"Token id outside the vocabulary [0, {Config.VocabSize}).");
        foreach (int id in options.StopTokenIds)
            if ((uint)id >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(GenerationOptions.StopTokenIds), id, $"StopTokenIds: token id {id} is outside the vocabulary [0, {Config.VocabSize}).");
        if (prompt.Length >= Config.MaxPositionEmbeddings) throw new ContextOverflowException(prompt.Length + 1, Config.MaxPositionEmbeddings);
        if (options.MaxPromptTokens is int maxPrompt && prompt.Length > maxPrompt) throw new ContextOverflowException(prompt.Length, maxPrompt);
        int blocksNeeded = (prompt.Length + 1 + Options.KvBlockSize - 1) / Options.KvBlockSize;
        if (blocksNeeded > TotalKvBlocks) throw new KvCacheExhaustedException(blocksNeeded, FreeKvBlocks, TotalKvBlocks);

        var stops = options.IgnoreEos ? new HashSet<int>() : new HashSet<int>(_eosTokens);
        stops.UnionWith(options.StopTokenIds);
        int drafts = _model.HasMtp ? options.DraftTokens ?? Options.Speculative.DraftTokens : 0;
        var sequence = new Sequence(prompt, options, output, stops, Config.MaxPositionEmbeddings, drafts, constraint);
        return new GenerationStream(loop ?? _loop, sequence, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _loop.Dispose();
        _model.Dispose();
        _ownedBackend?.Dispose();
    }

    /// <summary>Ends every running request (as cancelled), waits for the engine loop to stop without blocking a thread, then
    /// frees the model and the backend.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _loop.DisposeAsync().ConfigureAwait(false);
        _model.Dispose();
        _ownedBackend?.Dispose();
    }
}
