using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Tests;

/// <summary>
/// A LongCat-Flash checkpoint (tiny-a's shapes) whose greedy output is written by hand, for end-to-end tool-calling tests that must
/// not depend on what a trained model happens to say. Every block's contribution is zeroed (attention and MLP output projections,
/// expert down projections; the router picks real experts), so the final hidden state is the last token's embedding and the next
/// token is a lookup: lm_head rows are built from the embeddings of the tokens that must precede them. The tokenizer has four extra
/// tokens (the tool-call tags, a call body and an answer), so the script reads:
/// <list type="bullet">
/// <item>after <c>:</c> (the end of <c> ASSISTANT:</c>): <see cref="Answer"/>, then end of turn: a text answer;</item>
/// <item>after <c>\n</c> (the end of the forced opening <c>&lt;longcat_tool_call&gt;\n</c> of a required tool call):
/// <see cref="CallBody"/>, the close tag, then end of turn: a complete call to <c>Clock-Now</c>;</item>
/// <item>after <see cref="ArgumentsOpening"/> (the end of the forced opening when the engine names the function itself):
/// <see cref="ArgumentsBody"/>, the close tag, then end of turn.</item>
/// </list>
/// </summary>
internal static class ScriptedModel
{
    /// <summary>The call the model writes: Semantic Kernel's hosted-connector spelling of plugin Clock's function Now.</summary>
    public const string CallBody = "{\"name\": \"Clock-Now\", \"arguments\": {}}\n";
    /// <summary>The same call as Semantic Kernel's function-calling names the function: <c>Clock_Now</c>.</summary>
    public const string KernelCallBody = "{\"name\": \"Clock_Now\", \"arguments\": {}}\n";
    public const string Answer = "It is 14:30.";
    /// <summary>The end of a forced opening that names the function (<c>{"name": "f", "arguments":</c>), one token here.</summary>
    public const string ArgumentsOpening = "\", \"arguments\":";
    /// <summary>What the model writes after it: empty arguments and the end of the JSON object.</summary>
    public const string ArgumentsBody = " {}}\n";
    /// <summary>What <see cref="MalformedDir"/>'s model writes there instead: arguments that are not JSON.</summary>
    public const string MalformedArgumentsBody = " {\"x\": 3, \"51}}\n";

    private static readonly Lazy<string> DirValue = new(() => Create(malformed: false));
    private static readonly Lazy<string> MalformedDirValue = new(() => Create(malformed: true));

    /// <summary>The model folder, created once per test run.</summary>
    public static string Dir => DirValue.Value;

    /// <summary>The same model, except that after a forced opening naming the function it writes
    /// <see cref="MalformedArgumentsBody"/>: a required tool call it cannot get right. Its tokenizer has no single token for
    /// the closing tag, so the engine cannot constrain the arguments to the tool's schema (as with such real tokenizers).</summary>
    public static string MalformedDir => MalformedDirValue.Value;

    private static string Create(bool malformed)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"longcat-scripted{(malformed ? "-malformed" : "")}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        // The malformed model's closing tag is " </longcat_tool_call>": no token is the tag alone, so the engine cannot hold the
        // arguments to their schema (the fallback for such tokenizers) and the malformed arguments come through.
        string[] extra = ["<longcat_tool_call>", malformed ? " </longcat_tool_call>" : "</longcat_tool_call>", CallBody, Answer, ArgumentsOpening,
            malformed ? MalformedArgumentsBody : ArgumentsBody, KernelCallBody];
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TestModels.ByteLevelBpeJson(512, extra));
        File.Copy(Path.Combine(Fixtures.Dir("tiny-a"), "config.json"), Path.Combine(dir, "config.json"), overwrite: true);

        const int vocab = 512, hidden = 64, eos = 2;
        int first = vocab - extra.Length;                                          // the extra tokens take the top ids, in order
        int open = first, close = first + 1, body = first + 2, answer = first + 3, argsOpening = first + 4, argsBody = first + 5, kernelBody = first + 6;
        int colon = 4 + ':', newline = 4 + '\n';                                  // byte tokens follow the four specials
        // After a newline both call bodies score alike: where the engine holds the call to the offered tool's name, the one
        // that names it is the only one allowed (Microsoft.Extensions.AI names the function Clock-Now, Semantic Kernel Clock_Now).
        (int From, int To)[] next =
        [
            (colon, answer), (answer, eos), (open, newline), (newline, body), (newline, kernelBody), (body, close), (kernelBody, close),
            (close, eos), (argsOpening, argsBody), (argsBody, close),
        ];

        var rng = new Random(20261201);
        var embed = new float[vocab * hidden];
        for (int i = 0; i < embed.Length; i++) embed[i] = (float)(rng.NextDouble() * 2 - 1) * 1.7f;   // unit variance
        var head = new float[vocab * hidden];
        foreach (var (from, to) in next)
        {
            var e = embed.AsSpan(from * hidden, hidden);
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(e));
            for (int d = 0; d < hidden; d++) head[to * hidden + d] += 8 * e[d] / norm;
        }

        var writer = new SafetensorsWriter();
        using var source = CheckpointIndex.Open(Fixtures.Dir("tiny-a"));
        foreach (var name in source.TensorNames.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (name.StartsWith(WeightNames.Mtp, StringComparison.Ordinal)) continue;   // no speculation: plain greedy
            var (info, file) = source.Get(name);
            float[]? values = name switch
            {
                "model.embed_tokens.weight" => embed,
                "lm_head.weight" => head,
                "model.norm.weight" => Enumerable.Repeat(1f, hidden).ToArray(),
                _ when name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal)
                    || name.EndsWith("router.classifier.weight", StringComparison.Ordinal) => new float[info.ElementCount],
                _ when name.EndsWith("e_score_correction_bias", StringComparison.Ordinal) =>
                    Enumerable.Range(0, (int)info.ElementCount).Select(e => e < 8 ? 1f : 0f).ToArray(),   // real experts win: no identity term
                _ => null,
            };
            if (values is null) writer.Add(name, info.DType, info.Shape, file.GetBytes(info).ToArray());
            else writer.AddFloats(name, info.DType, info.Shape, values);
        }
        writer.Write(Path.Combine(dir, "model.safetensors"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        return dir;
    }
}
