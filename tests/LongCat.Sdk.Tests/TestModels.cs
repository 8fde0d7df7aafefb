using System.Text;
using System.Text.Json;

namespace LongCat.Sdk.Tests;

/// <summary>
/// Models for tests that go through text: the bundled demo model when the repository has it (models/longcat-demo), and a copy of
/// the tiny-a fixture with a byte-level BPE tokenizer written for it (vocab 512: the four LongCat special tokens, the 256 byte
/// tokens and 252 merges), so text flows through the real engine in milliseconds.
/// </summary>
internal static class TestModels
{
    private static readonly Lazy<string> TinyWithTokenizerDir = new(CreateTinyWithTokenizer);

    /// <summary>tiny-a with a tokenizer.json, created once per test run in a temp folder.</summary>
    public static string TinyWithTokenizer => TinyWithTokenizerDir.Value;

    /// <summary>The bundled demo model's folder (or LONGCAT_DEMO_MODEL's), or null when this checkout has none.</summary>
    public static string? DemoModel()
    {
        string? dir = Environment.GetEnvironmentVariable("LONGCAT_DEMO_MODEL");
        if (string.IsNullOrEmpty(dir))
        {
            if (Fixtures.RepoRoot() is not { } root) return null;
            dir = Path.Combine(root, "models", "longcat-demo");
        }
        return File.Exists(Path.Combine(dir, "config.json")) && File.Exists(Path.Combine(dir, "tokenizer.json")) ? dir : null;
    }

    /// <summary>The bundled thinking demo model's folder (models/longcat-thinking-demo, or LONGCAT_THINKING_MODEL's), or null when
    /// this checkout has none.</summary>
    public static string? ThinkingDemoModel()
    {
        string? dir = Environment.GetEnvironmentVariable("LONGCAT_THINKING_MODEL");
        if (string.IsNullOrEmpty(dir))
        {
            if (Fixtures.RepoRoot() is not { } root) return null;
            dir = Path.Combine(root, "models", "longcat-thinking-demo");
        }
        return File.Exists(Path.Combine(dir, "config.json")) && File.Exists(Path.Combine(dir, "tokenizer.json")) ? dir : null;
    }

    /// <summary>The thinking demo model's folder, or an inconclusive result naming the missing model.</summary>
    public static string RequireThinkingDemo() =>
        ThinkingDemoModel() ?? throw new AssertInconclusiveException("models/longcat-thinking-demo is not in this checkout.");

    /// <summary>The demo model loaded (for a class's ClassInitialize), or null when this checkout has none.</summary>
    public static async Task<LongCatEngine?> LoadDemoAsync(LongCatOptions? options = null) =>
        DemoModel() is { } dir ? await LongCatEngine.LoadAsync(dir, options) : null;

    private static readonly Lazy<Task<LongCatEngine?>> SharedDemo = new(() => LoadDemoAsync());

    /// <summary>
    /// The demo model with default options, loaded once for every test class that needs nothing else (it is shared: those
    /// classes leave it idle, with every request ended, between tests); disposed when the test run ends. Null when this
    /// checkout has no demo model.
    /// </summary>
    public static Task<LongCatEngine?> SharedDemoAsync() => SharedDemo.Value;

    private static readonly Lazy<Task<LongCatEngine?>> SharedThinkingDemo = new(async () =>
        ThinkingDemoModel() is { } dir ? await LongCatEngine.LoadAsync(dir) : null);

    /// <summary>The thinking demo model with default options, loaded once for the classes that need nothing else (shared as
    /// <see cref="SharedDemoAsync"/>); null when this checkout has none.</summary>
    public static Task<LongCatEngine?> SharedThinkingDemoAsync() => SharedThinkingDemo.Value;

    /// <summary>Disposes the shared demo engines that were loaded (the run's assembly cleanup).</summary>
    public static async Task DisposeSharedDemoAsync()
    {
        if (SharedDemo.IsValueCreated && await SharedDemo.Value is { } engine) await engine.DisposeAsync();
        if (SharedThinkingDemo.IsValueCreated && await SharedThinkingDemo.Value is { } thinking) await thinking.DisposeAsync();
    }

    /// <summary>The engine <see cref="LoadDemoAsync"/> gave, or an inconclusive result naming the missing model.</summary>
    public static LongCatEngine RequireDemo(LongCatEngine? engine) =>
        engine ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    private static string CreateTinyWithTokenizer()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"longcat-tiny-text-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Fixtures.Dir("tiny-a")))
            if (!Path.GetFileName(file).StartsWith("golden", StringComparison.Ordinal)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), ByteLevelBpeJson(512));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        return dir;
    }

    /// <summary>A Hugging Face tokenizer.json: GPT-2 byte-level BPE with LongCat's special tokens at ids 0-3 and
    /// <paramref name="addedTokens"/> (not special) at the top ids.</summary>
    public static string ByteLevelBpeJson(int vocabSize, IReadOnlyList<string>? addedTokens = null)
    {
        string[] specials = ["<longcat_unk>", "<longcat_s>", "</longcat_s>", "<longcat_pad>"];
        addedTokens ??= [];
        var byteChars = ByteToUnicode();
        var vocab = new List<string>(specials);
        vocab.AddRange(byteChars);
        // Merges of frequent letters and a space (GPT-2's Ġ), each a new two-character token.
        var merges = new List<string>();
        string letters = "etaoinshrdlucmfwypvbgkqjxz";
        foreach (char a in "Ġ" + letters)
            foreach (char b in letters)
            {
                if (vocab.Count == vocabSize - addedTokens.Count) break;
                merges.Add($"{a} {b}");
                vocab.Add($"{a}{b}");
            }
        var added = specials.Select((c, i) => (Id: i, Content: c, Special: true))
            .Concat(addedTokens.Select((c, i) => (Id: vocab.Count + i, Content: c, Special: false))).ToList();

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (var (id, content, special) in added)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", content);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", special);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WritePropertyName("pre_tokenizer");
            WriteByteLevel(w);
            w.WriteNull("post_processor");
            w.WritePropertyName("decoder");
            WriteByteLevel(w);
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteStartObject("vocab");
            for (int i = 0; i < vocab.Count; i++) w.WriteNumber(vocab[i], i);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var m in merges) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteByteLevel(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    // GPT-2's reversible byte -> printable character table, in byte order.
    private static List<string> ByteToUnicode()
    {
        var printable = new HashSet<int>();
        for (int b = '!'; b <= '~'; b++) printable.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.Add(b);
        var chars = new List<string>(256);
        int next = 256;
        for (int b = 0; b < 256; b++) chars.Add(((char)(printable.Contains(b) ? b : next++)).ToString());
        return chars;
    }
}
