using System.Diagnostics;
using System.Globalization;
using LongCat.Sdk.Compute.Ilgpu;

// dotnet run --project tools/LongCat.Ptx -- --out DIR [--arch sm_80,sm_90] [--filter TEXT]
// Compiles every GPU kernel (one per weight format for the generic ones) with ILGPU's PTX backend at PTX ISA 7.8, without a GPU,
// writes DIR/<kernel>.<arch>.ptx and prints a table. Assemble the files with `ptxas -v -arch=<arch>` (see docs/GPU.md).
string? outDir = null, filter = null;
var archs = PtxCompiler.Architectures.ToList();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: outDir = args[++i]; break;
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        case "--arch" when i + 1 < args.Length:
            var wanted = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            archs = PtxCompiler.Architectures.Where(a => wanted.Contains(PtxCompiler.ArchName(a))).ToList();
            if (archs.Count != wanted.Length)
                return Fail($"--arch: known architectures are {string.Join(", ", PtxCompiler.Architectures.Select(PtxCompiler.ArchName))}");
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: LongCat.Ptx --out DIR [--arch sm_80,sm_90] [--filter TEXT]");
            return 0;
        default: return Fail($"unknown argument '{args[i]}' (usage: --out DIR [--arch sm_80,sm_90] [--filter TEXT])");
    }
}
if (outDir is null) return Fail("--out DIR is required");
Directory.CreateDirectory(outDir);

var kernels = KernelCatalog.All.Where(k => filter is null || k.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
using var compiler = new PtxCompiler();
Console.WriteLine($"{"kernel",-34} {"family",-12} {"arch",-6} {"PTX lines",9} {"shared B",9} {"ms",6}");
int files = 0;
foreach (var kernel in kernels)
    foreach (var arch in archs)
    {
        var sw = Stopwatch.StartNew();
        string ptx;
        try
        {
            ptx = compiler.Compile(kernel, arch);
        }
        catch (Exception e)
        {
            return Fail($"{kernel.Name} ({PtxCompiler.ArchName(arch)}): {e.GetType().Name}: {e.Message}");
        }
        string path = Path.Combine(outDir, $"{kernel.Name}.{PtxCompiler.ArchName(arch)}.ptx");
        File.WriteAllText(path, ptx);
        files++;
        int lines = ptx.Count(c => c == '\n');
        Console.WriteLine($"{kernel.Name,-34} {kernel.Family,-12} {PtxCompiler.ArchName(arch),-6} {lines,9} {SharedBytes(ptx),9} {sw.ElapsedMilliseconds,6}");
    }
Console.WriteLine($"{files} PTX files ({kernels.Count} kernels × {archs.Count} architectures) in {Path.GetFullPath(outDir)}");
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine("LongCat.Ptx: " + message);
    return 1;
}

// Static shared memory declared by the kernel: ".shared .align A .b8 name[N];" lines.
static long SharedBytes(string ptx)
{
    long total = 0;
    foreach (var line in ptx.Split('\n'))
    {
        var t = line.Trim();
        if (!t.StartsWith(".shared", StringComparison.Ordinal)) continue;
        int open = t.LastIndexOf('['), close = t.LastIndexOf(']');
        if (open > 0 && close > open && long.TryParse(t.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n)) total += n;
    }
    return total;
}
