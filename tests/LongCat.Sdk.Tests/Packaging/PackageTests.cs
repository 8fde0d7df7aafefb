using System.IO.Compression;
using System.Xml.Linq;

namespace LongCat.Sdk.Tests.Packaging;

/// <summary>
/// The packages `dotnet pack` wrote: complete metadata, managed code only, symbols beside them. They run where the packages
/// are: set LONGCAT_PACKAGES_DIR (CI does, after packing); without it they are inconclusive.
/// </summary>
[TestClass]
public sealed class PackageTests
{
    private static string PackagesDir()
    {
        string? dir = Environment.GetEnvironmentVariable("LONGCAT_PACKAGES_DIR");
        if (string.IsNullOrEmpty(dir)) Assert.Inconclusive("LONGCAT_PACKAGES_DIR is not set (run `dotnet pack` and point it at the output).");
        // A relative path is read from the repository root, where CI runs.
        return Path.IsPathRooted(dir) ? dir : Path.GetFullPath(Path.Combine(Fixtures.RepoRoot() ?? Directory.GetCurrentDirectory(), dir));
    }

    private static string Package(string id, string extension)
    {
        string version = typeof(LongCatEngine).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        string path = Path.Combine(PackagesDir(), $"{id}.{version}.{extension}");
        Assert.IsTrue(File.Exists(path), $"{path} was not packed");
        return path;
    }

    private static XElement Metadata(ZipArchive zip, string id)
    {
        var entry = zip.GetEntry($"{id}.nuspec") ?? throw new AssertFailedException($"{id}.nupkg has no {id}.nuspec");
        using var s = entry.Open();
        var root = XDocument.Load(s).Root!;
        return root.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Field(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [TestMethod]
    [DataRow("LongCat.Sdk")]
    [DataRow("LongCat.Sdk.SemanticKernel")]
    [DataRow("LongCat.Sdk.Server")]
    public void Nupkg_HasCompleteMetadataAndItsReadme(string id)
    {
        using var zip = ZipFile.OpenRead(Package(id, "nupkg"));
        var m = Metadata(zip, id);

        Assert.AreEqual(id, Field(m, "id"));
        foreach (var field in new[] { "version", "authors", "description", "readme", "copyright", "tags" })
            Assert.IsFalse(string.IsNullOrWhiteSpace(Field(m, field)), $"{id}: <{field}> is missing");
        var license = m.Elements().Single(e => e.Name.LocalName == "license");
        Assert.AreEqual("expression", license.Attribute("type")?.Value);
        Assert.AreEqual("MIT", license.Value);
        var repository = m.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.AreEqual("git", repository.Attribute("type")?.Value);
        Assert.IsNotNull(zip.GetEntry(Field(m, "readme")!), $"{id}: the readme file is not in the package");
        Assert.IsNotNull(zip.GetEntry($"lib/net10.0/{id}.dll"), $"{id}: no lib/net10.0/{id}.dll");
        Assert.IsNotNull(zip.GetEntry($"lib/net10.0/{id}.xml"), $"{id}: no XML documentation");
    }

    [TestMethod]
    [DataRow("LongCat.Sdk")]
    [DataRow("LongCat.Sdk.SemanticKernel")]
    [DataRow("LongCat.Sdk.Server")]
    public void Nupkg_HoldsNoNativeAssets(string id)
    {
        using var zip = ZipFile.OpenRead(Package(id, "nupkg"));

        var native = zip.Entries.Select(e => e.FullName)
            .Where(n => n.StartsWith("runtimes/", StringComparison.OrdinalIgnoreCase) || n.Contains("/native/", StringComparison.OrdinalIgnoreCase)
                || n.EndsWith(".so", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".dylib", StringComparison.OrdinalIgnoreCase))
            .ToList();
        CollectionAssert.AreEqual(Array.Empty<string>(), native, $"{id} ships native files: {string.Join(", ", native)}");
        var dlls = zip.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(e => e.FullName).ToList();
        CollectionAssert.AreEqual(new[] { $"lib/net10.0/{id}.dll" }, dlls, "one managed assembly");
    }

    [TestMethod]
    [DataRow("LongCat.Sdk")]
    [DataRow("LongCat.Sdk.SemanticKernel")]
    [DataRow("LongCat.Sdk.Server")]
    public void Snupkg_HoldsThePortablePdb(string id)
    {
        using var zip = ZipFile.OpenRead(Package(id, "snupkg"));

        Assert.IsNotNull(zip.GetEntry($"lib/net10.0/{id}.pdb"), $"{id}.snupkg has no lib/net10.0/{id}.pdb");
    }

    [TestMethod]
    public void SemanticKernelPackage_DependsOnTheSameSdkVersion()
    {
        using var sdk = ZipFile.OpenRead(Package("LongCat.Sdk", "nupkg"));
        using var sk = ZipFile.OpenRead(Package("LongCat.Sdk.SemanticKernel", "nupkg"));
        string version = Field(Metadata(sdk, "LongCat.Sdk"), "version")!;

        var dependency = Metadata(sk, "LongCat.Sdk.SemanticKernel").Descendants().Single(e => e.Name.LocalName == "dependency" && e.Attribute("id")?.Value == "LongCat.Sdk");

        Assert.AreEqual(version, dependency.Attribute("version")?.Value);
    }

    /// <summary>The server package brings ASP.NET Core as a framework reference (nothing to download) and the SDK of its version;
    /// the SDK package itself does not reference ASP.NET Core.</summary>
    [TestMethod]
    public void ServerPackage_DependsOnTheSameSdkVersion_AndReferencesAspNetCore()
    {
        using var sdk = ZipFile.OpenRead(Package("LongCat.Sdk", "nupkg"));
        using var server = ZipFile.OpenRead(Package("LongCat.Sdk.Server", "nupkg"));
        var sdkMetadata = Metadata(sdk, "LongCat.Sdk");
        var metadata = Metadata(server, "LongCat.Sdk.Server");

        var dependency = metadata.Descendants().Single(e => e.Name.LocalName == "dependency" && e.Attribute("id")?.Value == "LongCat.Sdk");
        Assert.AreEqual(Field(sdkMetadata, "version"), dependency.Attribute("version")?.Value);
        Assert.IsTrue(metadata.Descendants().Any(e => e.Name.LocalName == "frameworkReference" && e.Attribute("name")?.Value == "Microsoft.AspNetCore.App"));
        Assert.IsFalse(sdkMetadata.Descendants().Any(e => e.Name.LocalName == "frameworkReference" && e.Attribute("name")?.Value == "Microsoft.AspNetCore.App"));
    }
}
