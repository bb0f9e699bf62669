using System.Xml.Linq;

namespace Tandem.Core.Tests.Architecture;

/// <summary>ARCHITECTURE.md "Dependency rules", checked against the project files in src/.</summary>
public class DependencyRulesTests
{
    private static readonly string[] LlmPackagePrefixes = ["Microsoft.Extensions.AI", "OllamaSharp", "OpenAI", "LLamaSharp"];
    private static readonly string[] SeedModules = ["Tandem.Recourse", "Tandem.Rmab", "Tandem.Gambit"];
    private static readonly string[] CompositionRoots = ["Tandem.Cli", "Tandem.Service"];

    [Fact]
    public void Core_ReferencesNoTandemProject_AndNoLlmPackage()
    {
        Project core = Assert.Single(LoadProjects(), p => p.Name == "Tandem.Core");

        Assert.Empty(core.ProjectReferences);
        Assert.Empty(LlmPackages(core));
    }

    [Fact]
    public void SeedModules_ReferenceOnlyCore_AndNoLlmPackage()
    {
        var modules = LoadProjects().Where(p => SeedModules.Contains(p.Name)).ToList();

        Assert.Contains(modules, p => p.Name == "Tandem.Recourse");
        Assert.All(modules, module =>
        {
            Assert.All(module.ProjectReferences, r => Assert.Equal("Tandem.Core", r));
            Assert.Empty(LlmPackages(module));
        });
    }

    [Fact]
    public void OnlyCompositionRoots_ReferenceReporting()
    {
        var offenders = LoadProjects()
            .Where(p => !CompositionRoots.Contains(p.Name) && p.ProjectReferences.Any(r => r.StartsWith("Tandem.Reporting", StringComparison.Ordinal)))
            .Select(p => p.Name);

        Assert.Empty(offenders);
    }

    private static IEnumerable<string> LlmPackages(Project project) =>
        project.PackageReferences.Where(id => LlmPackagePrefixes.Any(prefix => id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));

    private sealed record Project(string Name, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences);

    private static List<Project> LoadProjects()
    {
        string src = Path.Combine(FindRepositoryRoot(), "src");
        var projects = Directory.GetDirectories(src)
            .SelectMany(dir => Directory.GetFiles(dir, "*.csproj"))
            .Select(Load)
            .ToList();
        Assert.NotEmpty(projects);
        return projects;
    }

    private static Project Load(string path)
    {
        XDocument document = XDocument.Load(path);
        List<string> Includes(string element) => document.Descendants()
            .Where(e => e.Name.LocalName == element)
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            .ToList();

        var projectReferences = Includes("ProjectReference")
            .Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))
            .ToList();
        return new Project(Path.GetFileNameWithoutExtension(path), projectReferences, Includes("PackageReference"));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Tandem.slnx above {AppContext.BaseDirectory}.");
    }
}
