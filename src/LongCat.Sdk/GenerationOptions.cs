using LongCat.Sdk.Serving;
using LongCat.Sdk.Text;

namespace LongCat.Sdk;

/// <summary>Per-request sampling, length and stop settings. Validated when the request is submitted.</summary>
public sealed record GenerationOptions
{
    /// <summary>Softmax temperature; 0 selects the most likely token (greedy).</summary>
    public float Temperature { get; init; } = 0.7f;
    /// <summary>Keep only the k most likely tokens (0: off).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of tokens whose probability reaches p (1: off).</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less likely than min-p × the top probability (0: off).</summary>
    public float MinP { get; init; }
    /// <summary>Divide positive (multiply negative) logits of tokens already seen by this (1: off).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Subtracted once from the logit of every token already generated (0: off).</summary>
    public float PresencePenalty { get; init; }
    /// <summary>Subtracted per occurrence from the logit of tokens already generated (0: off).</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Random seed: the same seed, prompt and options give the same output.</summary>
    public int? Seed { get; init; }
    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 512;
    /// <summary>Strings that end generation; they are never part of the output, even when they span tokens.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    /// <summary>Token ids that end generation, besides the model's end-of-turn token.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Draft tokens per step for this request (null: the engine's <see cref="LongCatOptions.Speculative"/>; 0: no speculation).</summary>
    public int? DraftTokens { get; init; }
    /// <summary>Keep generating past the model's end-of-turn token (benchmarks); stop token ids and sequences still apply.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Tools advertised to the model in chat requests; tool calls end the turn with <see cref="FinishReason.ToolCalls"/>.</summary>
    public IReadOnlyList<ToolDefinition>? Tools { get; init; }
    /// <summary>Whether the model may, must or must not call <see cref="Tools"/> (default: it decides); enforced by the engine.</summary>
    public ToolChoice ToolChoice { get; init; } = ToolChoice.Auto;
    /// <summary>What the output must be (JSON, a JSON schema's value, a pattern's match, one of several strings), enforced while
    /// decoding; null: anything. Tools' arguments are constrained to their parameter schemas whether or not this is set.</summary>
    public OutputConstraint? Constraint { get; init; }

    /// <summary>Whether a thinking model reasons before it answers: passed to the model's chat template as <c>enable_thinking</c>
    /// (null: not passed, the template's default). Models without a chat template ignore it.</summary>
    public bool? EnableThinking { get; init; }
    /// <summary>The most tokens a thinking model's reasoning may hold: at that length a line break and <c>&lt;/longcat_think&gt;</c>
    /// are forced (the line break is the budget's last token; the forced tokens do not count toward <see cref="MaxTokens"/>) and
    /// the answer follows. Null: no limit. Applies when the prompt opens a think block.</summary>
    public int? ThinkingBudget { get; init; }
    /// <summary>Further variables for the model's chat template (Hugging Face's <c>chat_template_kwargs</c>, e.g.
    /// <c>save_history_reasoning_content</c>): null, bool, string, numbers or <see cref="System.Text.Json.JsonElement"/>.</summary>
    public IReadOnlyDictionary<string, object?>? ChatTemplateArguments { get; init; }

    /// <summary>Heavy Thinking for a chat request: several reasoning paths in parallel, then a summary over their answers that
    /// streams as the response (the paths stream as <see cref="GenerationUpdate.Path"/> updates). Null: one path.</summary>
    public HeavyThinkingOptions? HeavyThinking { get; init; }

    /// <summary>The most tokens the prompt may have (null: the context window decides); a longer prompt throws
    /// <see cref="ContextOverflowException"/> at the call, with this as its <see cref="ContextOverflowException.Limit"/>. The
    /// HTTP server's <c>MaxPromptTokens</c>.</summary>
    internal int? MaxPromptTokens { get; init; }

    /// <summary>The sampler's settings.</summary>
    internal SamplingOptions ToSampling() => new()
    {
        Temperature = Temperature, TopK = TopK, TopP = TopP, MinP = MinP, RepetitionPenalty = RepetitionPenalty,
        PresencePenalty = PresencePenalty, FrequencyPenalty = FrequencyPenalty, Seed = Seed,
    };

    /// <summary>Throws <see cref="ArgumentException"/> (or a subclass) naming the first invalid option.</summary>
    public void Validate()
    {
        ToSampling().Validate();
        if (DraftTokens is < 0 or > 8) throw new ArgumentOutOfRangeException(nameof(DraftTokens), DraftTokens, "DraftTokens must be between 0 and 8 (null: the engine's setting).");
        if (MaxTokens <= 0) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be positive.");
        if (StopSequences is null) throw new ArgumentNullException(nameof(StopSequences), "StopSequences must not be null (use an empty list).");
        for (int i = 0; i < StopSequences.Count; i++)
            if (string.IsNullOrEmpty(StopSequences[i])) throw new ArgumentException($"StopSequences[{i}] is null or empty.", nameof(StopSequences));
        if (StopTokenIds is null) throw new ArgumentNullException(nameof(StopTokenIds), "StopTokenIds must not be null (use an empty list).");
        if (Tools is not null)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < Tools.Count; i++)
            {
                var tool = Tools[i] ?? throw new ArgumentException($"Tools[{i}] is null.", nameof(Tools));
                if (!names.Add(tool.Name)) throw new ArgumentException($"Tools[{i}]: a tool named '{tool.Name}' is already offered; names must be unique.", nameof(Tools));
            }
        }
        HeavyThinking?.Validate();
        if (MaxPromptTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxPromptTokens), MaxPromptTokens, "MaxPromptTokens must be positive (null: the context window).");
        if (ThinkingBudget is < 0) throw new ArgumentOutOfRangeException(nameof(ThinkingBudget), ThinkingBudget, "ThinkingBudget must not be negative (null: no limit).");
        if (ChatTemplateArguments is not null)
            foreach (var (name, value) in ChatTemplateArguments)
                if (string.IsNullOrEmpty(name)) throw new ArgumentException("ChatTemplateArguments has an empty name.", nameof(ChatTemplateArguments));
                else _ = ChatFormat.TemplateArgument(name, value);
        if (ToolChoice is null) throw new ArgumentNullException(nameof(ToolChoice), "ToolChoice must not be null (ToolChoice.Auto is the default).");
        ToolChoice.Validate(Tools);
    }
}

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>An end-of-turn token, a stop token id or a stop sequence.</summary>
    Stop,
    /// <summary>MaxTokens or the context window was reached.</summary>
    Length,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
    /// <summary>The model called tools (see <see cref="GenerationUpdate.ToolCalls"/>).</summary>
    ToolCalls,
    /// <summary>The output constraint (<see cref="GenerationOptions.Constraint"/>, or a tool's parameter schema) allows no token
    /// of the vocabulary at this point, e.g. a pattern whose characters no token spells; the text so far is returned.</summary>
    NoAllowedToken,
}

/// <summary>Token counts and timings of one request.</summary>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="TimeToFirstToken">From submission to the first generated token.</param>
/// <param name="TokensPerSecond">Generated tokens per second after the first.</param>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, TimeSpan TimeToFirstToken, double TokensPerSecond)
{
    /// <summary>Of <see cref="CompletionTokens"/>, those a thinking model wrote inside its reasoning (before <c>&lt;/longcat_think&gt;</c>).</summary>
    public int ReasoningTokens { get; init; }
    /// <summary>Tokens the MTP head drafted for this request.</summary>
    public int DraftedTokens { get; init; }
    /// <summary>Drafted tokens the target accepted.</summary>
    public int AcceptedDraftTokens { get; init; }
    /// <summary>AcceptedDraftTokens / DraftedTokens (0 without speculation).</summary>
    public double AcceptanceRate => DraftedTokens == 0 ? 0 : (double)AcceptedDraftTokens / DraftedTokens;
    /// <summary>Forward steps that produced this request's tokens: one per token in plain decoding, fewer with speculation.</summary>
    public int DecodeSteps { get; init; }
    /// <summary>Of <see cref="DecodeSteps"/>, the steps that verified drafts.</summary>
    public int VerifySteps { get; init; }
    /// <summary>Drafts accepted per verify step (0 without speculation).</summary>
    public double MeanAcceptedLength => VerifySteps == 0 ? 0 : (double)AcceptedDraftTokens / VerifySteps;
    /// <summary>
    /// CompletionTokens / DecodeSteps: the speed-up in forward steps over plain decoding of the same request (which takes one
    /// step per token). The wall-clock speed-up is this divided by what a verify step costs against a plain one
    /// (<c>longcat bench</c> measures both in one run).
    /// </summary>
    public double TokensPerStep => DecodeSteps == 0 ? 0 : (double)CompletionTokens / DecodeSteps;
}

/// <summary>One step of a streamed generation.</summary>
public sealed record GenerationUpdate
{
    /// <summary>New answer text (possibly empty while a multi-byte character, a possible stop sequence or a tool call is held back).</summary>
    public string Text { get; init; } = "";
    /// <summary>New reasoning text of a thinking model (what it writes between <c>&lt;longcat_think&gt;</c> and
    /// <c>&lt;/longcat_think&gt;</c>, without the tags and the line breaks around them); empty for other models and once the
    /// answer has begun.</summary>
    public string Reasoning { get; init; } = "";
    /// <summary>For Heavy Thinking: what one of the parallel paths wrote in this step (<see cref="Text"/> and <see cref="Reasoning"/>
    /// are then empty: they carry the summary, which is the response). Null otherwise.</summary>
    public PathUpdate? Path { get; init; }
    /// <summary>Token ids generated in this step.</summary>
    public IReadOnlyList<int> TokenIds { get; init; } = [];
    /// <summary>Set on the last update.</summary>
    public FinishReason? FinishReason { get; init; }
    /// <summary>Set on the last update.</summary>
    public GenerationUsage? Usage { get; init; }
    /// <summary>Tool calls parsed from the output (last update of a chat with tools).</summary>
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    /// <summary>Tool-call blocks that could not be parsed (a chat with tools never shows tool-call markup as text: a malformed
    /// block is reported here, tags included).</summary>
    public IReadOnlyList<string>? MalformedToolCalls { get; init; }
}
