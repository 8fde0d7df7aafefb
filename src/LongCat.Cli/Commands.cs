using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LongCat.Sdk;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Text;

namespace LongCat.Cli;

internal static partial class Commands
{
    private static readonly string[] SamplingOptions =
        ["temperature", "top-k", "top-p", "min-p", "repetition-penalty", "presence-penalty", "frequency-penalty", "seed", "max-tokens", "stop", "stop-id",
         "draft-tokens", "draft-vocab", "json-schema", "regex", "choice", "enable-thinking", "thinking-budget", "heavy"];

    /// <summary>--model, else the bundled demo model found from the working directory or the tool's folder upwards.</summary>
    private static string ModelDir(CliArgs a)
    {
        if (a.Get("model") is { } dir) return dir;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "models", "longcat-demo");
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        throw new UsageException("no --model given and the bundled demo model (models/longcat-demo) was not found");
    }

    private static GenerationOptions Generation(CliArgs a) => new()
    {
        Temperature = a.Float("temperature") ?? 0.7f,
        TopK = a.Int("top-k") ?? 0,
        TopP = a.Float("top-p") ?? 1f,
        MinP = a.Float("min-p") ?? 0f,
        RepetitionPenalty = a.Float("repetition-penalty") ?? 1f,
        PresencePenalty = a.Float("presence-penalty") ?? 0f,
        FrequencyPenalty = a.Float("frequency-penalty") ?? 0f,
        Seed = a.Int("seed"),
        MaxTokens = a.Int("max-tokens") ?? 512,
        StopSequences = a.All("stop").ToArray(),
        StopTokenIds = a.All("stop-id").Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
        DraftTokens = a.Int("draft-tokens"),
        Constraint = Constraint(a),
        EnableThinking = Bool(a, "enable-thinking"),
        ThinkingBudget = a.Int("thinking-budget"),
        HeavyThinking = a.Int("heavy") is int paths ? new HeavyThinkingOptions(paths) : null,
    };

    private static bool? Bool(CliArgs a, string name) => a.Get(name) switch
    {
        null => null,
        "true" => true,
        "false" => false,
        var other => throw new UsageException($"--{name} must be true or false, not '{other}'"),
    };

    /// <summary>--json-schema FILE, --regex PATTERN or --choice TEXT (repeatable): at most one kind.</summary>
    private static OutputConstraint? Constraint(CliArgs a)
    {
        string? schemaFile = a.Get("json-schema"), pattern = a.Get("regex");
        var choices = a.All("choice").ToArray();
        if ((schemaFile is null ? 0 : 1) + (pattern is null ? 0 : 1) + (choices.Length == 0 ? 0 : 1) > 1)
            throw new UsageException("give at most one of --json-schema, --regex and --choice");
        if (pattern is not null) return OutputConstraint.Regex(pattern);
        if (choices.Length > 0) return OutputConstraint.Choice(choices);
        if (schemaFile is null) return null;
        if (!LongCat.Sdk.Checkpoints.RegularFile.Exists(schemaFile)) throw new UsageException($"--json-schema '{schemaFile}' does not exist");
        using var schema = LongCat.Sdk.Checkpoints.JsonFile.Read(schemaFile, LongCat.Sdk.Checkpoints.RegularFile.MaxConfigBytes,
            (problem, inner) => new JsonSchemaException($"--json-schema '{schemaFile}': {problem}", inner));
        return OutputConstraint.JsonSchema(schema.RootElement);
    }

    /// <summary>--quantize q8|q4-experts|q4 (default: none, the weights as stored).</summary>
    internal static WeightQuantization Quantization(CliArgs a) =>
        a.Get("quantize") is { } value ? QuantizeCommand.ParsePreset(value, "--quantize") : WeightQuantization.None;

    private static ComputeDevice Device(CliArgs a) => a.Get("device") switch
    {
        null or "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" => ComputeDevice.Cuda,
        var other => throw new UsageException($"--device must be auto, cpu or cuda, not '{other}'"),
    };

    private static async Task<LongCatEngine> LoadAsync(CliArgs a)
    {
        var device = Device(a);
        var quantization = Quantization(a);
        string dir = ModelDir(a);
        var sw = Stopwatch.StartNew();
        // Warmed up: the first answer runs optimized code (issue 17: the first ~64 tokens of a cold process ran at about half the speed).
        var options = new LongCatOptions { Device = device, Quantization = quantization, WarmUp = true };
        if (a.Int("draft-vocab") is { } draftVocab)
        {
            if (draftVocab < 0) throw new UsageException($"--draft-vocab must be 0 (the whole vocabulary) or a token count, not {draftVocab}");
            options = options with { Speculative = SpeculativeOptions.Mtp(options.Speculative.DraftTokens, draftVocab) };
        }
        var bar = new LoadProgressBar(Console.Error, enabled: !Console.IsErrorRedirected);
        var engine = await LongCatEngine.LoadAsync(dir, options, bar);
        bar.Finish();
        Console.Error.WriteLine($"[loaded {engine.ModelId}: {engine.Config.Architecture}, {engine.Config.NumLayers} blocks, on {engine.BackendName}, " +
                                $"in {sw.Elapsed.TotalSeconds:F1} s]");
        return engine;
    }

    public static async Task<int> GenerateAsync(CliArgs a)
    {
        if (a.Has("help")) { Console.WriteLine(Help.For("generate")); return 0; }
        a.RejectUnknown([.. SamplingOptions, "model", "device", "quantize", "prompt", "prompt-ids"]);
        var options = Generation(a);
        options.Validate();
        await using var engine = await LoadAsync(a);
        IAsyncEnumerable<GenerationUpdate> stream;
        if (a.Get("prompt-ids") is { } idText)
            stream = engine.GenerateAsync(ParseIds(idText), options);
        else if (a.Get("prompt") is { } prompt)
            stream = a.Has("chat") ? engine.ChatAsync([LongCatMessage.User(prompt)], options) : engine.GenerateAsync(prompt, options);
        else throw new UsageException("give --prompt TEXT or --prompt-ids 1,2,3");
        await Print(stream, idsOnly: engine.Tokenizer is null, a.Has("show-thinking"), Console.Out, Console.Error);
        return 0;
    }

    public static Task<int> ChatAsync(CliArgs a) => ChatAsync(a, Console.In, Console.Out, Console.Error);

    /// <summary><c>longcat chat</c>: turns from <paramref name="stdin"/> (an empty line or its end stops), answers streamed to
    /// <paramref name="stdout"/>, usage lines to <paramref name="stderr"/>; over a local model, or with <c>--endpoint</c> a
    /// remote engine.</summary>
    public static async Task<int> ChatAsync(CliArgs a, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("chat")); return 0; }
        a.RejectUnknown([.. SamplingOptions, "model", "device", "quantize", "system", .. RemoteOptions]);
        var options = Generation(a);
        options.Validate();
        if (a.Get("endpoint") is { } endpoint)
        {
            await RemoteChatAsync(a, endpoint, options, stdin, stdout, stderr);
            return 0;
        }
        await using var engine = await LoadAsync(a);
        var history = new List<LongCatMessage>();
        if (a.Get("system") is { } system) history.Add(LongCatMessage.System(system));
        await ChatLoopAsync(stdin, stdout, async line =>
        {
            history.Add(LongCatMessage.User(line));
            string answer = await Print(engine.ChatAsync(history, options), idsOnly: false, a.Has("show-thinking"), stdout, stderr);
            history.Add(LongCatMessage.Assistant(answer));
        });
        return 0;
    }

    /// <summary>Reads turns until an empty line or the end of <paramref name="stdin"/>; a turn read from a pipe is echoed.</summary>
    private static async Task ChatLoopAsync(TextReader stdin, TextWriter stdout, Func<string, Task> answer)
    {
        bool interactive = stdin == Console.In && !Console.IsInputRedirected;
        while (true)
        {
            if (interactive) stdout.Write("> ");
            string? line = await stdin.ReadLineAsync();
            if (string.IsNullOrWhiteSpace(line)) break;
            if (!interactive) stdout.WriteLine($"> {line}");
            await answer(line);
        }
    }

    /// <summary>Streams the answer to <paramref name="stdout"/> (with <paramref name="showThinking"/>, a thinking model's reasoning before it,
    /// dimmed on a terminal) and a usage line to <paramref name="stderr"/>; returns the answer's text.</summary>
    private static async Task<string> Print(IAsyncEnumerable<GenerationUpdate> stream, bool idsOnly, bool showThinking, TextWriter stdout, TextWriter stderr)
    {
        var text = new System.Text.StringBuilder();
        GenerationUpdate? last = null;
        bool dim = stdout == Console.Out && !Console.IsOutputRedirected, inReasoning = false;
        await foreach (var u in stream)
        {
            if (u.Path is { } path)
            {
                if (path.Usage is { } pathUsage)
                    stderr.WriteLine($"[heavy thinking: path {path.Index + 1} {path.FinishReason}, {pathUsage.CompletionTokens} tokens ({pathUsage.ReasoningTokens} reasoning)]");
                continue;
            }
            if (idsOnly) foreach (var id in u.TokenIds) stdout.Write($"{id} ");
            else
            {
                if (showThinking && u.Reasoning.Length > 0)
                {
                    if (!inReasoning) stdout.Write(dim ? "\u001b[2m" : "<think>\n");
                    inReasoning = true;
                    stdout.Write(u.Reasoning);
                }
                if (inReasoning && (u.Text.Length > 0 || u.FinishReason is not null))
                {
                    stdout.Write(dim ? "\u001b[0m\n" : "\n</think>\n");
                    inReasoning = false;
                }
                stdout.Write(u.Text);
            }
            text.Append(u.Text);
            last = u;
        }
        stdout.WriteLine();
        if (last?.Usage is { } usage)
            stderr.WriteLine($"[{last.FinishReason}: {usage.PromptTokens} prompt + {usage.CompletionTokens} generated tokens" +
                                    (usage.ReasoningTokens > 0 ? $" ({usage.ReasoningTokens} reasoning)" : "") +
                                    $", first token {usage.TimeToFirstToken.TotalMilliseconds:F0} ms, {usage.TokensPerSecond:F1} tokens/s]");
        foreach (var call in last?.ToolCalls ?? []) stderr.WriteLine($"[tool call: {call.Name}({call.ArgumentsJson})]");
        return text.ToString();
    }

    private static int[] ParseIds(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"'{s}' is not a token id"))
            .ToArray();

    public static int Template(CliArgs a) => Template(a, Console.Out);

    /// <summary><c>longcat template</c>: prints the prompt a conversation renders to, exactly (nothing added).</summary>
    public static int Template(CliArgs a, TextWriter stdout)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("template")); return 0; }
        a.RejectUnknown("model", "messages", "tools", "enable-thinking", "template", "kwargs");
        string messagesFile = a.Get("messages") ?? throw new UsageException("give --messages FILE (a JSON array of messages in the OpenAI chat shape)");
        using var messagesJson = ReadJsonFile(messagesFile, "--messages");
        var messages = OpenAIChatJson.ParseMessages(messagesJson.RootElement, "--messages");
        List<ToolDefinition>? tools = null;
        if (a.Get("tools") is { } toolsFile)
        {
            using var toolsJson = ReadJsonFile(toolsFile, "--tools");
            tools = OpenAIChatJson.ParseTools(toolsJson.RootElement, "--tools");
        }
        Dictionary<string, object?>? kwargs = null;
        if (a.Get("kwargs") is { } kwargsFile)
        {
            using var kwargsJson = ReadJsonFile(kwargsFile, "--kwargs");
            if (kwargsJson.RootElement.ValueKind != JsonValueKind.Object) throw new UsageException("--kwargs must hold a JSON object");
            kwargs = kwargsJson.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
        }
        ChatFormat format;
        if (a.Get("template") is { } templateFile)
        {
            if (!RegularFile.Exists(templateFile)) throw new UsageException($"--template '{templateFile}' does not exist");
            format = ChatFormat.FromSource(System.Text.Encoding.UTF8.GetString(RegularFile.ReadAll(templateFile, 16L << 20)), origin: templateFile);
        }
        else format = ChatFormat.Load(ModelDir(a));
        var prompt = format.Render(messages, tools, addGenerationPrompt: !a.Has("no-generation-prompt"), Bool(a, "enable-thinking"), kwargs);
        stdout.Write(prompt.Text);
        stdout.Flush();
        return 0;
    }

    private static JsonDocument ReadJsonFile(string path, string option)
    {
        if (!RegularFile.Exists(path)) throw new UsageException($"{option} '{path}' does not exist");
        return JsonFile.Read(path, 64L << 20, (problem, inner) => new InvalidCheckpointException($"{option} '{path}': {problem}", inner));
    }

    public static int Tokenize(CliArgs a) => Tokenize(a, Console.In, Console.Out);

    /// <summary><c>longcat tokenize</c> over the given standard input and output (tests call it in-process).</summary>
    public static int Tokenize(CliArgs a, TextReader stdin, TextWriter stdout)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("tokenize")); return 0; }
        a.RejectUnknown("tokenizer", "input");
        string path = a.Get("tokenizer") ?? throw new UsageException("--tokenizer PATH is required");
        if (Directory.Exists(path)) path = Path.Combine(path, "tokenizer.json");     // a model folder
        var tokenizer = Tokenizer.FromFile(path);
        string input = a.Get("input") is { } file ? File.ReadAllText(file) : stdin.ReadToEnd();
        bool special = !a.Has("no-special");
        var json = CliJson.Readable;
        if (a.Has("decode"))
        {
            if (a.Has("lines"))
            {
                var lists = Parse(input, json.Int32ArrayArray, "a JSON array of id arrays");
                stdout.WriteLine(JsonSerializer.Serialize(lists.Select(ids => tokenizer.Decode(ids ?? throw new UsageException("expected a JSON array of id arrays"))).ToArray(), json.StringArray));
            }
            else stdout.Write(tokenizer.Decode(Parse(input, json.Int32Array, "a JSON array of ids")));
            return 0;
        }
        if (a.Has("lines"))
        {
            var lines = Parse(input, json.StringArray, "a JSON array of strings");
            stdout.WriteLine(JsonSerializer.Serialize(lines.Select(l => tokenizer.Encode(l ?? throw new UsageException("expected a JSON array of strings"), special)).ToArray(), json.Int32ArrayArray));
        }
        else stdout.WriteLine(JsonSerializer.Serialize(tokenizer.Encode(input, special), json.Int32Array));
        return 0;
    }

    private static T Parse<T>(string input, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string expected) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(input, type) ?? throw new UsageException($"expected {expected}, found null");
        }
        catch (JsonException e)
        {
            throw new UsageException($"expected {expected}: {e.Message}");
        }
    }

    public static int DraftVocab(CliArgs a) => DraftVocab(a, Console.Out);

    /// <summary>
    /// <c>longcat draft-vocab</c>: counts the tokens of text the model is to write (the tokenizer of the model folder, special tokens
    /// parsed), ranks them, most frequent first (ties: lower id first), and writes the model folder's mtp_draft_vocab.json
    /// (or --out), drafting from the first --size (default: a quarter of the vocabulary, as EAGLE-3 and FR-Spec use).
    /// </summary>
    public static int DraftVocab(CliArgs a, TextWriter stdout)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("draft-vocab")); return 0; }
        a.RejectUnknown("model", "text", "size", "out");
        string dir = ModelDir(a);
        var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
        string tokenizerPath = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new UsageException($"the model folder '{dir}' has no tokenizer.json to count tokens with");
        var texts = a.All("text");
        if (texts.Count == 0) throw new UsageException("give at least one --text FILE of the kind of text the model is to write");
        var tokenizer = Tokenizer.FromFile(tokenizerPath);
        var counts = new long[config.VocabSize];
        long total = 0;
        var ids = new List<int>();
        foreach (var file in texts)
        {
            if (!File.Exists(file)) throw new UsageException($"--text '{file}' does not exist");
            foreach (var line in File.ReadLines(file))
            {
                ids.Clear();
                tokenizer.Encode(line + "\n", parseSpecialTokens: true, ids);
                foreach (int id in ids)
                {
                    if ((uint)id >= (uint)counts.Length)
                        throw new InvalidOperationException($"the tokenizer gave id {id}, outside the model's vocabulary [0, {counts.Length})");
                    counts[id]++;
                    total++;
                }
            }
        }
        var ranked = Enumerable.Range(0, counts.Length).Where(i => counts[i] > 0).OrderByDescending(i => counts[i]).ThenBy(i => i).ToArray();
        if (ranked.Length == 0) throw new UsageException("the --text files hold no tokens");
        int size = Math.Min(a.Int("size") ?? Math.Max(1, config.VocabSize / 4), ranked.Length);
        if (size <= 0) throw new UsageException("--size must be positive");
        long covered = ranked.Take(size).Sum(i => counts[i]);
        string outPath = a.Get("out") ?? Path.Combine(dir, LongCat.Sdk.Model.DraftVocabulary.FileName);
        using (var stream = File.Create(outPath))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("description", $"tokens of {string.Join(", ", texts.Select(Path.GetFileName))} ranked by count ({total} tokens; longcat draft-vocab)");
            json.WriteNumber("size", size);
            json.WriteStartArray("tokens");
            foreach (int id in ranked) json.WriteNumberValue(id);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        stdout.WriteLine($"{total} tokens counted, {ranked.Length} distinct; the first {size} cover {100.0 * covered / total:F2}% of them; wrote {outPath}");
        return 0;
    }

    public static int Inspect(CliArgs a) => Inspect(a, Console.Out);

    /// <summary><c>longcat inspect</c> writing to the given output (tests call it in-process).</summary>
    public static int Inspect(CliArgs a, TextWriter stdout)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("inspect")); return 0; }
        a.RejectUnknown("model");
        string dir = ModelDir(a);
        var config = LongCatConfig.Load(Path.Combine(dir, "config.json"));
        stdout.WriteLine("config:");
        foreach (var p in typeof(LongCatConfig).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
            stdout.WriteLine($"  {p.Name,-28} {Show(p.GetValue(config))}");
        using var index = CheckpointIndex.Open(dir);
        foreach (var name in index.TensorNames.Order(StringComparer.Ordinal))
        {
            var (t, f) = index.Get(name);
            stdout.WriteLine($"{name,-70} {t.DType.SafetensorsName(),-8} {t.ShapeText,-18} {t.Length,14:N0} B  {Path.GetFileName(f.Path)}");
        }
        stdout.WriteLine($"{index.TotalBytes:N0} bytes of tensors in {index.Files.Count} file(s)");
        var m = LongCatEngine.EstimateMemory(dir);
        stdout.WriteLine($"memory estimate (default options): weights {m.WeightBytes:N0} B + KV cache {m.KvCacheBytes:N0} B ({m.KvCacheTokens:N0} tokens) " +
                         $"+ activations {m.ActivationBytes:N0} B = {m.TotalBytes:N0} B");
        return 0;
    }

    // A config value as text: lists as [a, b], absent values as (none), numbers invariant.
    private static string Show(object? value) => value switch
    {
        null => "(none)",
        string s => s,
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Show)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static Task<int> BenchAsync(CliArgs a) => BenchAsync(a, Console.Out);

    /// <summary>
    /// `longcat bench`, writing its report to <paramref name="output"/>; with --json, one JSON object to <paramref name="output"/>
    /// and the report to <paramref name="diagnostics"/> (default: standard error).
    /// </summary>
    public static async Task<int> BenchAsync(CliArgs a, TextWriter output, TextWriter? diagnostics = null)
    {
        if (a.Has("help")) { output.WriteLine(Help.For("bench")); return 0; }
        var report = a.Has("json") ? diagnostics ?? Console.Error : output;
        a.RejectUnknown("model", "device", "quantize", "prompt-tokens", "tokens", "draft-tokens", "draft-vocab", "prompt", "chat", "rounds", "temperature", "streams");
        // Defaults chosen for a steady figure (issue 17): 64 tokens and 5 rounds printed speed-ups of 0.58 and 1.45 in two runs in
        // a row on the demo model; 256 tokens over 9 rounds after warm-ups until the JIT has settled stayed within a few percent
        // on the quiet Xeon but not on the noisy 2-core EPYC guest (0.84-1.10 over 13 runs), so 21 rounds, each pair's order
        // swapped every other round, against sampling error and order bias. That did not make the guest steady (0.76-1.04 over
        // ten runs in a noisier hour): there the demo's speed-up itself moved with the machine's load, while MTP's two-row verify
        // read its weights without a software prefetch; with one (2026-12-07) two groups of five runs gave 1.09-1.14 and 1.08-1.11.
        int promptTokens = a.Int("prompt-tokens") ?? 128, tokens = a.Int("tokens") ?? 256, rounds = a.Int("rounds") ?? 21, streams = a.Int("streams") ?? 1;
        if (promptTokens <= 0 || tokens <= 0 || rounds <= 0) throw new UsageException("--prompt-tokens, --tokens and --rounds must be positive");
        if (streams is <= 0 or > 256) throw new UsageException($"--streams must be 1 to 256, not {streams}");
        float temperature = a.Float("temperature") ?? 0;
        if (!(temperature >= 0) || float.IsInfinity(temperature)) throw new UsageException($"--temperature must be a finite number >= 0, not {a.Get("temperature")}");
        await using var engine = await LoadAsync(a);
        int[] prompt;
        if (a.Get("prompt") is { } text)
        {
            // A real prompt, so that drafts can be accepted: continued as is (like `generate`), or as a chat turn with --chat.
            if (engine.Tokenizer is null) throw new UsageException($"--prompt needs the model's tokenizer.json in '{engine.ModelDirectory}'");
            prompt = a.Has("chat") ? engine.TokenizeChat([LongCatMessage.User(text)]).ToArray() : engine.Tokenizer.Encode(text);
        }
        else
        {
            if (a.Has("chat")) throw new UsageException("--chat needs --prompt");
            var rng = new Random(1);
            prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(4, engine.Config.VocabSize)).ToArray();
        }
        // The decode figures need exactly --tokens tokens, so the end-of-sequence token does not stop the run; what comes after
        // it is not text the model would serve (a chat answer ends in a few tokens, then the model repeats the end token, which
        // drafts trivially), so the bench says when that happened.
        // With --temperature the modes sample, each round's pair from the same seed: speculation changes no token (a draw is keyed
        // by the token's index), so both modes of a round write the same text, which the bench checks.
        var options = new GenerationOptions { Temperature = temperature, MaxTokens = tokens, IgnoreEos = true, Seed = temperature > 0 ? 1 : null };
        int drafts = a.Int("draft-tokens") ?? engine.Options.Speculative.DraftTokens;
        bool speculate = engine.SpeculationFallbackReason is null && drafts > 0;
        // Warm-up: whole runs of each mode until two plain runs in a row agree within 5% (at most MaxWarmups), so both modes run
        // optimized JIT code on touched weights when timed. Then rounds that alternate the modes (whatever else the machine does
        // hits both alike); each mode's median round is reported.
        var (warm, greedy, _) = await Measure(engine, prompt, options with { DraftTokens = 0 });
        int warmups = 1;
        for (double previous = 0; warmups < MaxWarmups && Math.Abs(warm.TokensPerSecond / previous - 1) > 0.05; warmups++)
        {
            previous = warm.TokensPerSecond;
            if (speculate) await Measure(engine, prompt, options with { DraftTokens = drafts });
            (warm, _, _) = await Measure(engine, prompt, options with { DraftTokens = 0 });
        }
        if (speculate) await Measure(engine, prompt, options with { DraftTokens = drafts });
        var plainRuns = new List<GenerationUsage>();
        var specRuns = new List<GenerationUsage>();
        var plainCosts = new List<StepCost>();
        var specCosts = new List<StepCost>();
        int differing = 0;
        async Task<List<int>> MeasureSpec()
        {
            var (usage, tokens, cost) = await Measure(engine, prompt, options with { DraftTokens = drafts });
            specRuns.Add(usage);
            specCosts.Add(cost);
            return tokens;
        }
        for (int r = 0; r < rounds; r++)
        {
            if (temperature > 0) options = options with { Seed = r + 2 };
            // Odd rounds run the speculative half first: a pair's second run finds the caches as its first run left them and
            // a steady drift of the machine favours one position, so alternating the order keeps both out of the median.
            bool specFirst = speculate && r % 2 == 1;
            List<int>? specTokens = null;
            if (specFirst) specTokens = await MeasureSpec();
            var (usage, plainTokens, cost) = await Measure(engine, prompt, options with { DraftTokens = 0 });
            plainRuns.Add(usage);
            plainCosts.Add(cost);
            if (!speculate) continue;
            if (!specFirst) specTokens = await MeasureSpec();
            if (!plainTokens.SequenceEqual(specTokens!)) differing++;
        }
        var plain = Median(plainRuns);
        report.WriteLine($"prefill: {prompt.Length} tokens, first token after {plain.TimeToFirstToken.TotalMilliseconds:F1} ms " +
                          $"({prompt.Length / plain.TimeToFirstToken.TotalSeconds:F1} tokens/s)");
        int eos = greedy.FindIndex(engine.EosTokenIds.Contains);
        if (eos >= 0)
            report.WriteLine($"warning: the {(temperature > 0 ? "sampled" : "greedy")} output reaches an end-of-sequence token at generated token {eos + 1} of {greedy.Count}; " +
                              "the figures below include the tokens after it, which the model would not serve (a prompt that runs longer, " +
                              "or fewer --tokens, measures real text)");
        report.WriteLine($"decode without MTP: {plain.CompletionTokens} tokens, {plain.TokensPerSecond:F2} tokens/s (median of {rounds})" +
                         (temperature > 0 ? $", sampled at temperature {temperature}" : ""));
        double? aggregate = null, scaling = null;
        if (streams > 1)
        {
            var (many, ratio) = await MeasureStreams(engine, streams, prompt.Length, options with { DraftTokens = 0 }, rounds);
            (aggregate, scaling) = (many, ratio);
            report.WriteLine($"aggregate decode, {streams} concurrent requests: {many:F2} tokens/s (median of {rounds}), " +
                             $"{ratio:F2}× one stream's (median over rounds of each round's pair)");
        }
        if (!speculate)
        {
            report.WriteLine($"decode with MTP: not run ({engine.SpeculationFallbackReason ?? "--draft-tokens 0"})");
            report.WriteLine("speedup: 1.00");
            if (a.Has("json")) output.WriteLine(BenchJson(engine, prompt.Length, plain, null, null, rounds, streams, aggregate, scaling));
            return 0;
        }
        var spec = Median(specRuns);
        report.WriteLine($"decode with MTP ({drafts} draft token(s) per step): {spec.CompletionTokens} tokens, {spec.TokensPerSecond:F2} tokens/s " +
                          $"(median of {rounds}), acceptance {spec.AcceptanceRate:P1} ({spec.AcceptedDraftTokens}/{spec.DraftedTokens}), " +
                          $"{spec.MeanAcceptedLength:F2} accepted per verify step, {spec.TokensPerStep:F2} tokens per step");
        // Each round's ratio against the plain run just before it: a drift of the machine's speed hits both halves of a pair
        // alike, so the median of the pairs is steadier than the ratio of the two medians.
        report.WriteLine(differing == 0 ? $"output: the same tokens with and without MTP in all {rounds} rounds"
            : $"warning: the output with MTP differs from the output without it in {differing} of {rounds} rounds");
        var ratios = specRuns.Zip(plainRuns, (sp, pl) => sp.TokensPerSecond / pl.TokensPerSecond).Order().ToArray();
        report.WriteLine($"speedup per round: median {ratios[ratios.Length / 2]:F3}, quartiles {ratios[ratios.Length / 4]:F3}-{ratios[3 * ratios.Length / 4]:F3}, " +
                         $"ratio of the medians {spec.TokensPerSecond / plain.TokensPerSecond:F3}");
        // Where a step goes, each the median over rounds of its mean per decode step: the model's forward, the MTP head, and the
        // loop's own work (sampling and verification, streaming). A speculative step emits `tokens per step` tokens for
        // (its cost / a plain step's cost) plain steps of work: that quotient predicts the speed-up.
        double plainForward = MedianOf(plainCosts, c => c.ForwardMicroseconds), plainRest = MedianOf(plainCosts, c => c.RestMicroseconds);
        double verify = MedianOf(specCosts, c => c.ForwardMicroseconds), head = MedianOf(specCosts, c => c.DraftMicroseconds);
        double specRest = MedianOf(specCosts, c => c.RestMicroseconds);
        double plainStep = plainForward + plainRest, specStep = verify + head + specRest;
        report.WriteLine($"step cost: plain forward {plainForward:F0} µs + rest {plainRest:F0} µs = {plainStep:F0} µs; with MTP, " +
                         $"verify forward ({drafts + 1} rows) {verify:F0} µs ({verify / plainStep:F2} plain steps) + head {head:F0} µs ({head / plainStep:F2}) " +
                         $"+ rest {specRest:F0} µs ({specRest / plainStep:F2}) = {specStep / plainStep:F2} plain steps for {spec.TokensPerStep:F2} tokens: " +
                         $"predicted speedup {spec.TokensPerStep * plainStep / specStep:F2}");
        report.WriteLine($"speedup: {ratios[ratios.Length / 2]:F2}");
        if (a.Has("json")) output.WriteLine(BenchJson(engine, prompt.Length, plain, spec, ratios[ratios.Length / 2], rounds, streams, aggregate, scaling));
        return 0;
    }

    /// <summary>Warm-up runs at most, before the timed rounds.</summary>
    private const int MaxWarmups = 5;

    /// <summary>
    /// Aggregate decode tokens/s of <paramref name="streams"/> requests started together (each its own random prompt of
    /// <paramref name="promptTokens"/> tokens, so no prefix is shared): the tokens generated after the last first token, over the
    /// time from then to the last request's end; the median of <paramref name="rounds"/> timed rounds after one warm-up. Each round
    /// also runs one request alone, measured the same way, and its ratio is the round's scaling: the machine's speed drifts by
    /// tens of percent within minutes here, so a ratio of two figures taken minutes apart (the plain rounds', then these) moved
    /// 2.15-2.64× at four streams between runs; the median of the pairs' ratios is the figure the issue's targets compare.
    /// </summary>
    private static async Task<(double Aggregate, double Scaling)> MeasureStreams(LongCatEngine engine, int streams, int promptTokens,
        GenerationOptions options, int rounds)
    {
        var rng = new Random(7);
        var aggregates = new List<double>();
        var scalings = new List<double>();
        async Task<double> Round(int count)
        {
            var prompts = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, promptTokens).Select(_ => rng.Next(4, engine.Config.VocabSize)).ToArray()).ToArray();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var tokenTimes = new List<long>[count];
            async Task Run(int i)
            {
                tokenTimes[i] = new List<long>(options.MaxTokens);
                await foreach (var u in engine.GenerateAsync(prompts[i], options))
                    foreach (var _ in u.TokenIds) tokenTimes[i].Add(clock.ElapsedTicks);
            }
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => Run(i))));
            // Decode only: from the moment every request has its first token (all prefills done) to the end.
            long start = tokenTimes.Max(t => t[0]), end = tokenTimes.Max(t => t[^1]);
            long decoded = tokenTimes.Sum(t => t.Count(x => x > start));
            return decoded / ((end - start) / (double)System.Diagnostics.Stopwatch.Frequency);
        }
        await Round(streams);
        await Round(1);
        for (int r = 0; r < rounds; r++)
        {
            // Odd rounds run the lone request first, so a steady drift favours neither side.
            bool loneFirst = r % 2 == 1;
            double one = loneFirst ? await Round(1) : 0, many = await Round(streams);
            if (!loneFirst) one = await Round(1);
            aggregates.Add(many);
            scalings.Add(many / one);
        }
        return (aggregates.Order().ElementAt(aggregates.Count / 2), scalings.Order().ElementAt(scalings.Count / 2));
    }

    /// <summary>The bench's figures as one JSON object (MTP's null when it did not run).</summary>
    private static string BenchJson(LongCatEngine engine, int promptTokens, GenerationUsage plain, GenerationUsage? spec, double? speedup, int rounds,
        int streams, double? aggregate, double? scaling)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            Number(json, "prefill_tokens_per_s", promptTokens / plain.TimeToFirstToken.TotalSeconds);
            Number(json, "decode_tokens_per_s", plain.TokensPerSecond);
            Number(json, "mtp_decode_tokens_per_s", spec?.TokensPerSecond);
            Number(json, "speedup", speedup);
            Number(json, "acceptance_rate", spec?.AcceptanceRate);
            json.WriteNumber("weight_bytes_per_token", engine.Model.WeightBytesPerToken());
            json.WriteNumber("prompt_tokens", promptTokens);
            json.WriteNumber("decode_tokens", plain.CompletionTokens);
            json.WriteNumber("rounds", rounds);
            json.WriteNumber("streams", streams);
            Number(json, "aggregate_decode_tokens_per_s", aggregate ?? plain.TokensPerSecond);
            Number(json, "aggregate_over_one_stream", scaling ?? 1);
            json.WriteString("backend", engine.BackendName);
            json.WriteString("quantization", QuantizeName(engine.Options.Quantization));
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static GenerationUsage Median(List<GenerationUsage> runs) => runs.OrderBy(u => u.TokensPerSecond).ElementAt(runs.Count / 2);

    private static double MedianOf(List<StepCost> costs, Func<StepCost, double> value) => costs.Select(value).Order().ElementAt(costs.Count / 2);

    /// <summary>One run's decode steps: their count and mean forward, head and other time per step (engine statistics before and after).</summary>
    private readonly record struct StepCost(long Steps, double ForwardMicroseconds, double DraftMicroseconds, double RestMicroseconds)
    {
        public static StepCost Between(EngineStatistics before, EngineStatistics after)
        {
            long steps = after.DecodeForwards - before.DecodeForwards;
            if (steps == 0) return default;
            var forward = after.DecodeForwardTime - before.DecodeForwardTime;
            return new(steps, forward.TotalMicroseconds / steps, (after.DraftTime - before.DraftTime).TotalMicroseconds / steps,
                (after.DecodeStepTime - before.DecodeStepTime - forward).TotalMicroseconds / steps);
        }
    }

    private static async Task<(GenerationUsage Usage, List<int> Tokens, StepCost Cost)> Measure(LongCatEngine engine, int[] prompt, GenerationOptions options)
    {
        GenerationUsage? usage = null;
        var tokens = new List<int>(options.MaxTokens);
        var before = engine.Statistics;
        await foreach (var u in engine.GenerateAsync(prompt, options))
        {
            tokens.AddRange(u.TokenIds);
            usage = u.Usage ?? usage;
        }
        var cost = StepCost.Between(before, engine.Statistics);
        return (usage ?? throw new InvalidOperationException("the run produced no usage"), tokens, cost);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(int[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int[][]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>Writes non-ASCII text as is ("你好", not "\u4F60\u597D"): the output is read by people as well as programs.</summary>
    public static CliJson Readable { get; } = new(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
