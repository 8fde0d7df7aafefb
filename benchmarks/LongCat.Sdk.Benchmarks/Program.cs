using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- --filter '*'          (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quick-decode [tokens] [--profile] [--copied-first]  (Mapped and Copied decode, a fast sanity run, not a benchmark)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quick-prefill [tokens [runs]] [--profile] [--preset none|q8|q4-experts|q4]  (prefill and the BF16 product over many rows, a fast sanity run)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quick-quant [tokens [rounds [prefill]]] [--profile]  (lite-mini decode and prefill: unquantized, Q8, Q4, alternating)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quant-peak [rounds]         (the Q8/Q4 row kernels on every path, one thread)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- kernel-ab [rounds]          (the BF16 kernels before batch invariance against the current ones, one process)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- spec-profile models/longcat-demo [steps [prompt [draft-vocab]]]  (ops of a plain and a k=1 speculative step)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- engine-overhead [tokens [rounds]]   (single-stream decode: engine vs TokenSession, same run)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- attn-micro                       (the CPU attention kernels and op, demo shape)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- gpu-decode [tokens] [none|q8|q4-experts|q4]   (CUDA through ILGPU; skips without a GPU)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- spin-pool [rounds [tokens]]     (the CPU worker pool's spin after a job; wake-ups per decoded token)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- load-memory PRESET [--mapped]    (resident memory after loading lite-mini with a preset)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quick-constraint [steps]   (a JSON-schema constraint's cost per step on a 131,072-token vocabulary against a lite-mini decode step; compile times)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- fresh-decode [tokens [none|q8|q4-experts|q4 [model|engine|engine-warm]]]  (a fresh process: load, then the first tokens one by one against the read)
// serve-load [clients [requests [max_tokens [rounds]]]]: streaming clients on the OpenAI endpoint over loopback against the same requests in-process (issue 21).
if (args.Length > 0 && args[0] == "serve-load")
{
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    Environment.ExitCode = LongCat.Sdk.Benchmarks.ServeLoad.Run(Arg(1, 64), Arg(2, 500), Arg(3, 64), Arg(4, 1));
    return;
}
if (args.Length > 0 && args[0] == "fresh-decode")
{
    LongCat.Sdk.Benchmarks.FreshDecode.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 128, PresetArg("fresh-decode"),
        args.Length > 3 ? args[3] : "model");
    return;
}
// lite-width [blocks [ngram-ratio]]: Flash-Lite's real widths, a few blocks, q4-experts: RSS against the memory plan (issue 18).
if (args.Length > 0 && args[0] == "lite-width")
{
    LongCat.Sdk.Benchmarks.LiteWidth.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2);
    return;
}
// rows-sweep [rows cols [runs [T,T,...]]] [--cached]: the BF16 product T × W, W streamed from memory (or one W, in cache), T = 1..16 or the list given.
if (args.Length > 0 && args[0] == "rows-sweep")
{
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    LongCat.Sdk.Benchmarks.RowsSweep.Run(Arg(1, 2048), Arg(2, 1024), Arg(3, 5),
        args.Length > 4 ? args[4].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : null,
        cached: args.Contains("--cached"));
    return;
}
// moe-sweep [runs] [--tiny]: the routed experts of a decode step, 1..16 tokens, weights streamed (lite-mini or the demo shape).
if (args.Length > 0 && args[0] == "moe-sweep") { LongCat.Sdk.Benchmarks.MoeSweep.Run(args.Length > 1 && args[1] != "--tiny" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5, args.Contains("--tiny")); return; }
// batch-decode [streams [steps [rounds [model]]]] [--profile] [--preset none|q8|q4-experts|q4]: N sequences' decode steps straight
// through the model against one's.
if (args.Length > 0 && args[0] == "batch-decode")
{
    int preset = Array.IndexOf(args, "--preset");
    var quantization = preset > 0 && preset + 1 < args.Length ? Preset(args[preset + 1], "batch-decode") : LongCat.Sdk.WeightQuantization.None;
    var rest = args.Skip(1).Where((a, i) => a != "--profile" && a != "--preset" && i != preset).ToArray();
    int Arg(int i, int fallback) => rest.Length > i ? int.Parse(rest[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    LongCat.Sdk.Benchmarks.BatchDecode.Run(Arg(0, 16), Arg(1, 32), Arg(2, 5), args.Contains("--profile"), rest.Length > 3 ? rest[3] : null, quantization);
    return;
}
if (args.Length > 0 && args[0] == "heavy-thinking")
{
    // heavy-thinking [paths [tokens [rounds [model]]]]
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    LongCat.Sdk.Benchmarks.HeavyThinkingBench.Run(args.Length > 4 ? args[4] : null, Arg(1, 4), Arg(2, 128), Arg(3, 5));
    return;
}
if (args.Length > 0 && args[0] == "quick-constraint")
{
    LongCat.Sdk.Benchmarks.QuickConstraint.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 256);
    return;
}
if (args.Length > 1 && args[0] == "load-memory") { LongCat.Sdk.Benchmarks.LoadMemory.Run(args[1], args.Contains("--mapped")); return; }
if (args.Length > 0 && args[0] == "quick-decode")
{
    LongCat.Sdk.Benchmarks.QuickDecode.Run(args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32,
        profile: args.Contains("--profile"), copiedFirst: args.Contains("--copied-first"));
    return;
}
if (args.Length > 0 && args[0] == "quick-prefill")
{
    LongCat.Sdk.Benchmarks.QuickPrefill.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64,
        args.Length > 2 && !args[2].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5, args.Contains("--profile"),
        Array.IndexOf(args, "--preset") is int p && p > 0 && p + 1 < args.Length ? Preset(args[p + 1], "quick-prefill") : LongCat.Sdk.WeightQuantization.None);
    return;
}
if (args.Length > 1 && args[0] == "spec-profile")
{
    LongCat.Sdk.Benchmarks.SpecProfile.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200, args.Length > 3 ? args[3] : null,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : null);
    return;
}
if (args.Length > 0 && args[0] == "engine-overhead")
{
    LongCat.Sdk.Benchmarks.EngineOverhead.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 128,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
    return;
}
if (args.Length > 0 && args[0] == "spin-pool")
{
    LongCat.Sdk.Benchmarks.SpinPoolProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64);
    return;
}
if (args.Length > 0 && args[0] == "attn-micro") { LongCat.Sdk.Benchmarks.AttnMicro.Run(); return; }
// attn-batch S CTX: the attention op of a batched decode step at the demo shape, S sequences at context CTX.
if (args.Length > 2 && args[0] == "attn-batch")
{
    LongCat.Sdk.Benchmarks.AttnMicro.Batch(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    return;
}
if (args.Length > 0 && args[0] == "quick-quant")
{
    int Arg(int i, int fallback) => args.Length > i && args[i] != "--profile" ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    LongCat.Sdk.Benchmarks.QuickQuant.Run(Arg(1, 64), Arg(2, 5), Arg(3, 64), profile: args.Contains("--profile"));
    return;
}
if (args.Length > 0 && args[0] == "quant-peak") { LongCat.Sdk.Benchmarks.QuantPeak.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7); return; }
if (args.Length > 0 && args[0] == "kernel-peak") { LongCat.Sdk.Benchmarks.KernelPeak.Run(); return; }
if (args.Length > 0 && args[0] == "kernel-ab") { LongCat.Sdk.Benchmarks.KernelAb.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 41); return; }
// gpu-check: the ILGPU conformance, golden and launch-budget tests on CUDA, without a test host (for GPU machines without the SDK).
if (args.Length > 0 && args[0] == "gpu-check")
{
    // --emulator: on ILGPU's CPU accelerator instead (checks the runner); --filter TEXT: only cases whose name contains TEXT.
    bool emulator = args.Contains("--emulator");
    int f = Array.IndexOf(args, "--filter");
    if (!emulator && !LongCat.Sdk.Compute.Ilgpu.IlgpuBackend.IsCudaAvailable()) { Console.WriteLine("gpu-check: skipped: ILGPU finds no CUDA device."); return; }
    Environment.ExitCode = LongCat.Sdk.Tests.Compute.Ilgpu.GpuCheckRunner.Run(Console.Out, cuda: !emulator, filter: f >= 0 && f + 1 < args.Length ? args[f + 1] : null) == 0 ? 0 : 1;
    return;
}
// gpu-decode [tokens]: decode on CUDA through the ILGPU backend against a device-copy baseline (skips without a CUDA device).
if (args.Length > 0 && args[0] == "gpu-decode")
{
    Environment.ExitCode = LongCat.Sdk.Benchmarks.GpuDecode.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 128, PresetArg("gpu-decode"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(LongCat.Sdk.Benchmarks.DecodeBenchmarks).Assembly).Run(args);

// args[2] as a quantization preset (none when absent), for the commands that take one.
LongCat.Sdk.WeightQuantization PresetArg(string command) => args.Length <= 2 ? LongCat.Sdk.WeightQuantization.None : Preset(args[2], command);

static LongCat.Sdk.WeightQuantization Preset(string name, string command) => name switch
{
    "none" => LongCat.Sdk.WeightQuantization.None,
    "q8" => LongCat.Sdk.WeightQuantization.Q8,
    "q4-experts" => LongCat.Sdk.WeightQuantization.Q4Experts,
    "q4" => LongCat.Sdk.WeightQuantization.Q4,
    _ => throw new ArgumentException($"{command}: unknown preset '{name}' (none, q8, q4-experts, q4)"),
};
