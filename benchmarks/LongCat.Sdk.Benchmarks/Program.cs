using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- --filter '*'          (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/LongCat.Sdk.Benchmarks -- quick-decode [tokens] [--profile]  (a fast sanity run, not a benchmark)
if (args.Length > 0 && args[0] == "quick-decode")
{
    LongCat.Sdk.Benchmarks.QuickDecode.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32,
        profile: args.Contains("--profile"));
    return;
}
if (args.Length > 0 && args[0] == "kernel-peak") { LongCat.Sdk.Benchmarks.KernelPeak.Run(); return; }
BenchmarkSwitcher.FromAssembly(typeof(LongCat.Sdk.Benchmarks.DecodeBenchmarks).Assembly).Run(args);
