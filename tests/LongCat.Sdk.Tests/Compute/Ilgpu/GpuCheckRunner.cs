using System.Reflection;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// Runs the ILGPU test classes on CUDA without a test host, for GPU machines that have no .NET SDK (benchmarks/gpu-check.sh carries a
/// self-contained build there): each [TestMethod] with its data rows, class set-up and clean-up, a line per case and a totals line.
/// </summary>
public static class GpuCheckRunner
{
    private static readonly Type[] Classes =
        [typeof(IlgpuConformanceTests), typeof(IlgpuQuantizedConformanceTests), typeof(IlgpuGoldenTests), typeof(IlgpuLaunchBudgetTests),
         typeof(Quantization.IlgpuQuantizedModelTests)];

    /// <summary>Runs the cases whose name contains <paramref name="filter"/> (all when null) on CUDA, or on the CPU accelerator when
    /// <paramref name="cuda"/> is false (to check the runner itself); returns the number of failed cases.</summary>
    public static int Run(TextWriter log, bool cuda = true, string? filter = null)
    {
        Environment.SetEnvironmentVariable("LONGCAT_TEST_CUDA", cuda ? "1" : null);
        int passed = 0, failed = 0, skipped = 0;
        foreach (var type in Classes)
        {
            var init = type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<ClassInitializeAttribute>() is not null);
            var cleanup = type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<ClassCleanupAttribute>() is not null);
            init?.Invoke(null, [null]);
            try
            {
                foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<TestMethodAttribute>() is not null))
                {
                    var sources = method.GetCustomAttributes().OfType<ITestDataSource>().ToList();
                    var rows = sources.Count == 0 ? [[]] : sources.SelectMany(s => s.GetData(method)).ToList();
                    foreach (var row in rows)
                    {
                        string name = $"{type.Name}.{method.Name}({string.Join(", ", row.Select(a => a is string s ? Path.GetFileName(s) : a))})";
                        if (filter is not null && !name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
                        var sw = System.Diagnostics.Stopwatch.StartNew();
                        try
                        {
                            var result = method.Invoke(Activator.CreateInstance(type), row);
                            if (result is Task task) task.GetAwaiter().GetResult();
                            passed++;
                            log.WriteLine($"  passed  {name} [{sw.Elapsed.TotalSeconds:F1} s]");
                        }
                        catch (TargetInvocationException e) when (e.InnerException is AssertInconclusiveException)
                        {
                            skipped++;
                            log.WriteLine($"  skipped {name}: {e.InnerException.Message}");
                        }
                        catch (TargetInvocationException e)
                        {
                            failed++;
                            log.WriteLine($"  FAILED  {name}: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                        }
                    }
                }
            }
            finally
            {
                cleanup?.Invoke(null, []);
            }
        }
        log.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed;
    }
}
