using System.Globalization;
using System.Text.Json;
using LongCat.Sdk;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Compute.Ilgpu;
using LongCat.Sdk.Evaluation;
using LongCat.Sdk.Model;
using LongCat.Sdk.Text;

namespace LongCat.Cli;

internal static partial class Commands
{
    public static int Perplexity(CliArgs a) => Perplexity(a, Console.Out, Console.Error);

    /// <summary>
    /// <c>longcat perplexity</c>: the model's perplexity over a text file (<see cref="PerplexityEvaluator"/>'s windows) and, with
    /// --quantize, the quantized model against the same weights unquantized. The report (or, with --json, one JSON object) goes to
    /// <paramref name="stdout"/>, progress to <paramref name="stderr"/>.
    /// </summary>
    public static int Perplexity(CliArgs a, TextWriter stdout, TextWriter stderr)
    {
        if (a.Has("help")) { stdout.WriteLine(Help.For("perplexity")); return 0; }
        a.RejectUnknown("model", "device", "quantize", "text", "context", "max-tokens");
        var quantization = Quantization(a);
        var device = Device(a);
        int context = a.Int("context") ?? 512;
        if (context < 2) throw new UsageException($"--context must be at least 2 tokens, not {context}");
        int? maxTokens = a.Int("max-tokens");
        if (maxTokens is < 2) throw new UsageException($"--max-tokens must be at least 2, not {maxTokens}");
        string file = a.Get("text") ?? throw new UsageException("--text FILE is required: the text to score");
        if (!File.Exists(file)) throw new UsageException($"--text '{file}' does not exist");
        string dir = ModelDir(a);
        string tokenizerPath = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new UsageException($"the model folder '{dir}' has no tokenizer.json to tokenize the text with");

        using var backend = IlgpuBackend.ForDevice(device) ?? new CpuBackend();       // both models run on it, one after the other
        using var model = LoadForPerplexity(dir, backend, quantization, context);
        var tokens = Tokenizer.FromFile(tokenizerPath, model.Config.VocabSize).Encode(File.ReadAllText(file), parseSpecialTokens: false);
        if (maxTokens < tokens.Length) tokens = tokens[..maxTokens.Value];
        if (tokens.Length < 2) throw new UsageException($"--text '{file}' holds {tokens.Length} token(s); perplexity needs at least 2");
        using var baseline = quantization == WeightQuantization.None ? null : LoadForPerplexity(dir, backend, WeightQuantization.None, context);
        string name = QuantizeName(quantization);
        stderr.WriteLine($"[{tokens.Length} tokens of {Path.GetFileName(file)}, windows of {context} tokens strided by {context / 2}, on {backend.Name}" +
                         (baseline is null ? "]" : $"; {name} against the unquantized weights]"));
        var report = PerplexityEvaluator.Evaluate(model, tokens, context, baseline, new WriterProgress(stderr));

        if (a.Has("json")) stdout.WriteLine(PerplexityJson(report, name));
        else
        {
            var f = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Create(f, $"perplexity: {report.Perplexity:F4} over {report.Tokens} tokens ({report.Windows} windows of {report.Context})"));
            if (baseline is null) return 0;
            stdout.WriteLine(string.Create(f, $"{name}: perplexity {report.Perplexity:F4}, unquantized {report.BasePerplexity:F4}, ratio {report.PerplexityRatio:F5}"));
            stdout.WriteLine(string.Create(f, $"KL divergence (unquantized || {name}): mean {report.MeanKld:G5}, 99th percentile {report.KldPercentile(99):G5}, max {report.MaxKld:G5}"));
            stdout.WriteLine(string.Create(f, $"top-1 agreement: {100 * report.Top1Agreement:F2} %, RMS delta p: {100 * report.RmsDeltaP:F3} %"));
        }
        return 0;
    }

    private static LongCatModel LoadForPerplexity(string dir, IComputeBackend backend, WeightQuantization quantization, int context) =>
        LongCatModel.Load(dir, new ModelOptions
        {
            Backend = backend,
            Quantization = quantization,
            LoadMtp = false,
            KvCacheBlocks = (context + 63) / 64 + 1,            // one window at a time
            KvBlockSize = 64,
        });

    private static string QuantizeName(WeightQuantization q) => q switch
    {
        WeightQuantization.Q8 => "q8",
        WeightQuantization.Q4Experts => "q4-experts",
        WeightQuantization.Q4 => "q4",
        _ => "none",
    };

    /// <summary>One JSON object: ppl, ppl_base, ppl_ratio, mean_kld, kld_p99, kld_max, top1_agreement, rms_delta_p (null without a
    /// baseline, or when not finite), tokens, windows, context, quantization.</summary>
    private static string PerplexityJson(PerplexityReport r, string quantization)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            Number(json, "ppl", r.Perplexity);
            Number(json, "ppl_base", r.BasePerplexity);
            Number(json, "ppl_ratio", r.PerplexityRatio);
            Number(json, "mean_kld", r.MeanKld);
            Number(json, "kld_p99", r.KldPercentile(99));
            Number(json, "kld_max", r.MaxKld);
            Number(json, "top1_agreement", r.Top1Agreement);
            Number(json, "rms_delta_p", r.RmsDeltaP);
            json.WriteNumber("tokens", r.Tokens);
            json.WriteNumber("windows", r.Windows);
            json.WriteNumber("context", r.Context);
            json.WriteString("quantization", quantization);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A number, or null when absent or not finite (JSON has no NaN).</summary>
    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    /// <summary>Reports each window on its own line, synchronously (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class WriterProgress(TextWriter writer) : IProgress<PerplexityProgress>
    {
        public void Report(PerplexityProgress p) =>
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[window {p.Windows}/{p.TotalWindows}: {p.Tokens} tokens, perplexity {p.Perplexity:F3}]"));
    }
}
