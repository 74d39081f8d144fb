// Reads the .nuspec inside every package that `dotnet pack` of the solution wrote and checks the metadata a consumer
// relies on: the central version, the MIT licence expression, a README that is in the package, the repository,
// a symbols package (.snupkg) beside it, both target frameworks (the tool: net8.0, rolling forward). Usage: dotnet run CheckPackages.cs -- <folder> <version>
using System.IO.Compression;
using System.Xml.Linq;

string folder = args[0], version = args[1];
string[] libraries = ["Microsoft.ML.Explainability", "Microsoft.ML.Explainability.ML", "Microsoft.ML.Explainability.Evaluation", "Microsoft.ML.Explainability.Reports"];
string tool = "Microsoft.ML.Explainability.Cli";
var failures = new List<string>();
void Check(bool ok, string what)
{
    if (!ok)
    {
        failures.Add(what);
    }
}

foreach (var id in libraries.Append(tool))
{
    var path = Path.Combine(folder, $"{id}.{version}.nupkg");
    if (!File.Exists(path))
    {
        failures.Add($"{id}: {Path.GetFileName(path)} was not produced");
        continue;
    }

    Check(File.Exists(Path.ChangeExtension(path, ".snupkg")), $"{id}: no symbols package");
    using var zip = ZipFile.OpenRead(path);
    var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
    var nuspecEntry = zip.Entries.Single(e => e.FullName == $"{id}.nuspec");
    XDocument nuspec;
    using (var stream = nuspecEntry.Open())
    {
        nuspec = XDocument.Load(stream);
    }

    var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    string? Value(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
    var license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
    Check(Value("version") == version, $"{id}: version {Value("version")} instead of {version}");
    Check(license?.Attribute("type")?.Value == "expression" && license.Value == "MIT", $"{id}: licence is not the MIT expression");
    Check(Value("readme") is { } readme && entries.Contains(readme), $"{id}: no README in the package");
    Check(entries.Contains("LICENSE"), $"{id}: no LICENSE file");
    Check(metadata.Elements().Any(e => e.Name.LocalName == "repository" && (e.Attribute("url")?.Value.StartsWith("https://", StringComparison.Ordinal) ?? false)), $"{id}: no repository url");
    Check(!string.IsNullOrWhiteSpace(Value("tags")), $"{id}: no tags");
    Check(!string.IsNullOrWhiteSpace(Value("description")), $"{id}: no description");
    string prefix = id == tool ? "tools/" : "lib/";
    foreach (var tfm in id == tool ? new[] { "net8.0" } : new[] { "net8.0", "net10.0" })   // the tool: one net8.0 build that rolls forward
    {
        Check(entries.Any(e => e.StartsWith($"{prefix}{tfm}/", StringComparison.Ordinal)), $"{id}: nothing under {prefix}{tfm}/");
    }

    if (id == tool)
    {
        Check(metadata.Descendants().Any(e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool"), $"{id}: not a .NET tool package");
        Check(entries.Contains("THIRD-PARTY-NOTICES.md"), $"{id}: the bundled Fashion-MNIST sample's notice is missing");
    }

    Console.WriteLine($"{id} {Value("version")}: checked ({entries.Count} files)");
}

foreach (var failure in failures)
{
    Console.Error.WriteLine("FAIL " + failure);
}

return failures.Count == 0 ? 0 : 1;
