using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LongCat.Sdk.Tests.Packaging;

/// <summary>The public API is small, declared and usable beside Microsoft.Extensions.AI and Semantic Kernel (issue 15).</summary>
[TestClass]
public sealed partial class PublicApiTests
{
    private static readonly Assembly[] Ours =
    [
        typeof(LongCatEngine).Assembly, typeof(LongCat.Sdk.SemanticKernel.LongCatChatCompletionService).Assembly,
        typeof(LongCat.Sdk.Server.LongCatServerOptions).Assembly,
    ];

    private static readonly Assembly[] Theirs =
    [
        typeof(Microsoft.Extensions.AI.IChatClient).Assembly, typeof(Microsoft.Extensions.AI.ChatClientBuilder).Assembly,
        typeof(Microsoft.SemanticKernel.Kernel).Assembly, typeof(Microsoft.SemanticKernel.KernelExtensions).Assembly,
    ];

    [TestMethod]
    public void NoPublicType_SharesANameWithMicrosoftExtensionsAIOrSemanticKernel()
    {
        var theirs = Theirs.SelectMany(a => a.GetExportedTypes()).Select(t => t.Name).ToHashSet();

        var clashes = Ours.SelectMany(a => a.GetExportedTypes()).Where(t => theirs.Contains(t.Name)).Select(t => t.FullName).ToList();

        Assert.AreEqual(0, clashes.Count, string.Join(", ", clashes));
    }

    [TestMethod]
    public void PublicApiFiles_DeclareEveryPackage()
    {
        foreach (string project in new[] { "LongCat.Sdk", "LongCat.Sdk.SemanticKernel", "LongCat.Sdk.Server" })
        {
            string dir = Path.Combine(Fixtures.RepoRoot()!, "src", project);
            var declared = File.ReadAllLines(Path.Combine(dir, "PublicAPI.Shipped.txt")).Concat(File.ReadAllLines(Path.Combine(dir, "PublicAPI.Unshipped.txt")));
            Assert.IsTrue(declared.Count() > 20, $"{project}: {declared.Count()} lines");
            StringAssert.Contains(File.ReadAllText(Path.Combine(dir, project + ".csproj")), "Microsoft.CodeAnalysis.PublicApiAnalyzers");
        }
        StringAssert.Contains(File.ReadAllText(Path.Combine(Fixtures.RepoRoot()!, "tools", "update-public-api.sh")), "src/LongCat.Sdk.Server");
    }

    /// <summary>A public type added without declaring it fails the build (the analyzer's RS0016, an error here).</summary>
    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void UndeclaredPublicType_FailsTheBuild()
    {
        string root = Fixtures.RepoRoot()!;
        string work = Directory.CreateTempSubdirectory("longcat-publicapi-").FullName;
        try
        {
            string project = Path.Combine(work, "src", "LongCat.Sdk.SemanticKernel");
            Directory.CreateDirectory(project);
            foreach (var file in Directory.GetFiles(Path.Combine(root, "src", "LongCat.Sdk.SemanticKernel")))
                File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
            File.Copy(Path.Combine(root, "Directory.Build.props"), Path.Combine(work, "Directory.Build.props"));
            string csproj = Path.Combine(project, "LongCat.Sdk.SemanticKernel.csproj");
            File.WriteAllText(csproj, File.ReadAllText(csproj).Replace(@"..\LongCat.Sdk\LongCat.Sdk.csproj",
                Path.Combine(root, "src", "LongCat.Sdk", "LongCat.Sdk.csproj"), StringComparison.Ordinal));
            File.WriteAllText(Path.Combine(project, "Probe.cs"), "namespace LongCat.Sdk.SemanticKernel;\npublic static class UndeclaredProbe { public static int Answer() => 42; }\n");

            var (exit, output) = ChildProcess.Run("dotnet", ["build", csproj, "-c", "Release", "-p:BuildProjectReferences=false", "-p:IsPackable=false"], work,
                new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });

            Assert.AreNotEqual(0, exit, output);
            StringAssert.Contains(output, "RS0016");
            StringAssert.Contains(output, "UndeclaredProbe");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Every C# example of the README compiles in an app that imports LongCat.Sdk, Microsoft.Extensions.AI and
    /// Microsoft.SemanticKernel together, against the public API alone.</summary>
    [TestMethod]
    public void ReadmeExamples_CompileBesideMicrosoftExtensionsAIAndSemanticKernel()
    {
        string readme = File.ReadAllText(Path.Combine(Fixtures.RepoRoot()!, "README.md"));
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.IsTrue(blocks.Count >= 2, $"{blocks.Count} C# examples");
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => !Path.GetFileName(p).StartsWith("LongCat.Sdk.Tests", StringComparison.Ordinal))
            .DistinctBy(Path.GetFileName).Select(p => MetadataReference.CreateFromFile(p)).ToList();

        for (int i = 0; i < blocks.Count; i++)
        {
            var lines = blocks[i].Split('\n');
            static bool IsUsingDirective(string line) =>
                line.StartsWith("using ", StringComparison.Ordinal) && line.Split("//")[0].TrimEnd() is var code && code.EndsWith(';') && !code.Contains('=');
            string usings = string.Join('\n', lines.Where(IsUsingDirective));
            string body = string.Join('\n', lines.Where(l => !IsUsingDirective(l)));
            string source = $$"""
                using System; using System.Linq; using System.Threading; using System.Threading.Tasks;
                using Microsoft.Extensions.AI; using Microsoft.SemanticKernel; using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Configuration;
                using LongCat.Sdk; using LongCat.Sdk.AI; using LongCat.Sdk.SemanticKernel; using LongCat.Sdk.Text;
                {{usings}}
                public sealed class ClockPlugin { [KernelFunction] public string Now() => "12:00"; }
                public static class Example
                {
                    public static async Task RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
                    {
                        string modelDir = "models/longcat-demo";
                        var services = new ServiceCollection();
                {{body}}
                    }
                }
                """;
            var compilation = CSharpCompilation.Create($"ReadmeExample{i}", [CSharpSyntaxTree.ParseText(source)], references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.AreEqual(0, errors.Count, $"README example {i + 1}:\n{string.Join("\n", errors)}\n{blocks[i]}");
        }
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
