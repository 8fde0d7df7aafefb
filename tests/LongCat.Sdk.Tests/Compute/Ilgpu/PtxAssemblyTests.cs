using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// Every kernel compiled to PTX offline and assembled by NVIDIA's ptxas for real GPU targets: no assembly errors, and no register
/// spill stores in the matrix, attention and MoE kernels. ptxas comes from LONGCAT_PTXAS, PATH, or install-ptxas's default cache;
/// without it these tests are reported as skipped (CI installs it first, so there they run).
/// </summary>
[TestClass]
[TestCategory("Ptx")]
public sealed partial class PtxAssemblyTests
{
    public static string? FindPtxas()
    {
        var env = Environment.GetEnvironmentVariable("LONGCAT_PTXAS");
        if (!string.IsNullOrWhiteSpace(env)) return File.Exists(env) ? env : null;
        if (ChildProcess.FindOnPath("ptxas") is { } onPath) return onPath;
        string cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "longcat", "ptxas", "ptxas");
        return File.Exists(cache) ? cache : null;
    }

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex Registers();

    [GeneratedRegex(@"(\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex Spills();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SharedBytes();

    [TestMethod]
    [DataRow("sm_80")]
    [DataRow("sm_90")]
    public void EveryKernel_AssemblesWithPtxas_NoSpillsInHotKernels(string arch)
    {
        var ptxas = FindPtxas();
        if (ptxas is null) Assert.Inconclusive("ptxas not found (set LONGCAT_PTXAS or run ../shared/tools/install-ptxas).");
        var target = PtxCompiler.Architectures.Single(a => PtxCompiler.ArchName(a) == arch);
        string dir = Path.Combine(Path.GetTempPath(), "longcat-ptx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            using var compiler = new PtxCompiler();
            var files = KernelCatalog.All.Select(k =>
            {
                string path = Path.Combine(dir, $"{k.Name}.{arch}.ptx");
                File.WriteAllText(path, compiler.Compile(k, target));
                return (Kernel: k, Path: path);
            }).ToList();
            var failures = new List<string>();
            var report = new StringBuilder($"| kernel | {arch} registers | spill stores (B) | spill loads (B) | shared (B) |\n|---|---|---|---|---|\n");
            foreach (var (kernel, path) in files)
            {
                var (code, output) = ChildProcess.Run(ptxas, ["-v", $"-arch={arch}", path, "-o", "/dev/null"]);
                if (code != 0)
                {
                    failures.Add($"{kernel.Name}: ptxas exit {code}: {output.Trim()}");
                    continue;
                }
                var regs = Registers().Match(output);
                var spill = Spills().Match(output);
                var smem = SharedBytes().Match(output);
                if (!regs.Success || !spill.Success)
                {
                    failures.Add($"{kernel.Name}: cannot read ptxas -v output: {output.Trim()}");
                    continue;
                }
                int stores = int.Parse(spill.Groups[1].Value), loads = int.Parse(spill.Groups[2].Value);
                report.Append($"| {kernel.Name} | {regs.Groups[1].Value} | {stores} | {loads} | {(smem.Success ? smem.Groups[1].Value : "0")} |\n");
                if (kernel.IsHot && stores > 0) failures.Add($"{kernel.Name}: {stores} bytes of spill stores ({arch})");
            }
            Console.WriteLine(report);
            if (Environment.GetEnvironmentVariable("LONGCAT_PTX_REPORT") is { Length: > 0 } reportDir)
                File.WriteAllText(Path.Combine(reportDir, $"ptxas-{arch}.md"), report.ToString());
            Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The catalog the PTX tool and CI compile lists every kernel entry point (one per weight format for generic ones).</summary>
[TestClass]
public sealed class KernelCatalogTests
{
    [TestMethod]
    public void Catalog_ListsEveryKernelMethod()
    {
        var kernelTypes = typeof(IlgpuBackend).Assembly.GetTypes()
            .Where(t => t.Namespace == "LongCat.Sdk.Compute.Ilgpu.Kernels" && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels", StringComparison.Ordinal));
        var entryPoints = kernelTypes.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters() is [var p] && p.ParameterType.Name.Contains("Args", StringComparison.Ordinal))
            .ToList();
        var listed = KernelCatalog.All.Select(k => k.Method.IsGenericMethod ? k.Method.GetGenericMethodDefinition() : k.Method).ToHashSet();
        Assert.IsTrue(entryPoints.Count >= 15, $"found only {entryPoints.Count} kernel methods");
        foreach (var m in entryPoints) Assert.IsTrue(listed.Contains(m), $"{m.DeclaringType!.Name}.{m.Name} is missing from KernelCatalog");
        Assert.AreEqual(KernelCatalog.All.Count, KernelCatalog.All.Select(k => k.Name).Distinct().Count(), "kernel names are unique");
        // One kernel per weight format (F32, BF16, F16, FP8, Q8, Q4); kernels over two formats also for the mixes the presets and
        // checkpoints produce (an F32 classifier beside the MLP's weights; q_b quantized beside kv_b as stored; Q8 dense MLPs beside Q4
        // experts; the GPTQ fixtures' mixes).
        Type[] formats = [typeof(F32Weights), typeof(Bf16Weights), typeof(F16Weights), typeof(Fp8Weights), typeof(Q8Weights), typeof(Q4Weights)];
        foreach (var generic in entryPoints.Where(m => m.IsGenericMethodDefinition))
        {
            var instances = KernelCatalog.All.Where(k => k.Method.IsGenericMethod && k.Method.GetGenericMethodDefinition() == generic)
                .Select(k => k.Method.GetGenericArguments()).ToList();
            foreach (var f in formats)
                Assert.AreEqual(1, instances.Count(a => a.All(t => t == f)), $"{generic.Name}: one kernel for {f.Name}");
            Assert.AreEqual(instances.Count, instances.Select(a => string.Join(",", a.Select(t => t.Name))).Distinct().Count(), $"{generic.Name}: no duplicates");
        }
        Assert.AreEqual(110, KernelCatalog.All.Count, "the kernel count docs/GPU.md gives");
    }
}
