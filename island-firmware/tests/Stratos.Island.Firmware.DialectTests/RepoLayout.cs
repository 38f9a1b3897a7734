// Locates the repository, the allow-list and the compiled assemblies of dialect projects.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Stratos.Island.Firmware.DialectTests;

/// <summary>A project whose csproj sets IslandFirmwareDialect to true.</summary>
/// <param name="NanoAssemblyName">Name of the nano compile's assembly (island-firmware/dialect/NanoCompile.targets)
/// and of the project's .nfproj: NanoAssemblyName in the csproj, else the project file's name.</param>
public sealed record DialectProject(string ProjectPath, string AssemblyName, string TargetFramework, string NanoAssemblyName)
{
    public string Directory => Path.GetDirectoryName(ProjectPath)!;

    /// <summary>The nano compile of this project in one configuration (Debug or Release).</summary>
    public string NanoOutput(string configuration) => Path.Combine(Directory, "bin", "nano", configuration, NanoAssemblyName + ".dll");

    /// <summary>The project's .nfproj: next to the csproj, or in the sibling folder named after the
    /// nano assembly (the app, whose SDK twin is Stratos.Island.Firmware.Nano.Check).</summary>
    public string NfprojPath
    {
        get
        {
            string beside = Path.Combine(Directory, NanoAssemblyName + ".nfproj");
            return File.Exists(beside) ? beside : Path.Combine(Path.GetDirectoryName(Directory)!, NanoAssemblyName, NanoAssemblyName + ".nfproj");
        }
    }
}

public static partial class RepoLayout
{
    public static string Root { get; } = FindRoot();

    public static string AllowListPath => Path.Combine(Root, "island-firmware", "dialect", "nanoframework-api.txt");

    /// <summary>Build configuration of the running tests (Debug/Release), taken from the output path.</summary>
    public static string Configuration
    {
        get
        {
            string[] parts = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            int bin = Array.LastIndexOf(parts, "bin");
            return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Release";
        }
    }

    /// <summary>Every csproj in the repository with IslandFirmwareDialect=true (build outputs skipped).</summary>
    public static IReadOnlyList<DialectProject> DialectProjects()
    {
        var projects = new List<DialectProject>();
        foreach (string path in Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(Root, path);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "out" or "node_modules" || p.StartsWith('.')))
            {
                continue;
            }
            string text = File.ReadAllText(path);
            if (!DialectFlag().IsMatch(text))
            {
                continue;
            }
            Match name = AssemblyNameProperty().Match(text);
            Match framework = TargetFrameworkProperty().Match(text);
            Match nanoName = NanoAssemblyNameProperty().Match(text);
            projects.Add(new DialectProject(
                path,
                name.Success ? name.Groups[1].Value.Trim() : Path.GetFileNameWithoutExtension(path),
                framework.Success ? framework.Groups[1].Value.Trim() : "netstandard2.0",
                nanoName.Success ? nanoName.Groups[1].Value.Trim() : Path.GetFileNameWithoutExtension(path)));
        }
        projects.Sort((a, b) => string.CompareOrdinal(a.ProjectPath, b.ProjectPath));
        return projects;
    }

    /// <summary>Path of a project's compiled assembly for the current configuration.</summary>
    public static string OutputOf(string projectPath, string assemblyName, string targetFramework) =>
        Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", Configuration, targetFramework, assemblyName + ".dll");

    public static string SampleAssembly(string project, string targetFramework)
    {
        string path = Path.Combine(Root, "island-firmware", "tests", "dialect-samples", project, project + ".csproj");
        return OutputOf(path, project, targetFramework);
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Stratos.Island.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"<IslandFirmwareDialect>\s*true\s*</IslandFirmwareDialect>", RegexOptions.IgnoreCase)]
    private static partial Regex DialectFlag();

    [GeneratedRegex(@"<AssemblyName>([^<]+)</AssemblyName>")]
    private static partial Regex AssemblyNameProperty();

    [GeneratedRegex(@"<NanoAssemblyName>([^<]+)</NanoAssemblyName>")]
    private static partial Regex NanoAssemblyNameProperty();

    [GeneratedRegex(@"<TargetFramework>([^<]+)</TargetFramework>")]
    private static partial Regex TargetFrameworkProperty();
}
