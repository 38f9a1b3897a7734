// The dependency rule of docs/architecture.md ("Direction of dependencies"), enforced on the project
// files. The sentence it enforces:
//
//   "Dependencies point inward: CLI -> gRPC API -> agent services -> link -> protocol. The API
//    contract is in the protocol project; the agent's server, the typed client and the CLI's lean
//    client each depend on it and not on each other. The virtual board's launcher sits at the edge:
//    the CLI, the HIL, the benches and the tests reference it; island-sim and the agent never do.
//    The firmware core knows nothing of Linux or of
//    the link (its link endpoint is its own library); Boards knows nothing of the firmware; test
//    hooks are plugged in only by the programs that host them (island-agent's host, island-sim) and
//    no production project references a test, bench, sample or test tool."
//
// The layering is data (Layers below): each layer names its projects and the layers they may
// reference. Every project file in the repository (.csproj and the nanoFramework .nfproj) must
// belong to exactly one layer; every ProjectReference, and every Compile item taken from another
// project's folder, must point into a layer its own layer lists. A new project therefore fails here
// until it is placed, and an outward reference fails naming both ends and the layer rule.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Architecture.Tests;

[TestClass]
public sealed class ProjectGraphTests
{
    /// <summary>A layer: its projects (by file name without extension) and the layers they may reference.</summary>
    public sealed record Layer(string Name, string[] Projects, string[] MayReference);

    /// <summary>Outside every production layer: may reference anything, referenced by no production project.</summary>
    public const string Outer = "tests, benches, samples and test tools";

    public static readonly Layer[] Layers =
    {
        new("island codec", ["Stratos.Island.Codec"], []),
        new("crypto", ["Stratos.Island.Crypto"], []),
        new("host protocol and API contract", ["Stratos.Island.Protocol"], []),
        new("link", ["Stratos.Island.Link"], ["crypto", "island codec"]),
        new("firmware core", ["Stratos.Island.Firmware", "Stratos.Island.Firmware.Native"], ["crypto", "island codec"]),
        new("firmware link endpoint", ["Stratos.Island.Firmware.Link"], ["firmware core", "link", "crypto", "island codec"]),
        new("firmware programs", ["Stratos.Island.Firmware.Nano", "Stratos.Island.Firmware.Nano.Check", "Stratos.Island.Firmware.Scenario"],
            ["firmware programs", "firmware link endpoint", "firmware core", "link", "crypto", "island codec"]),
        new("link on Linux", ["Stratos.Island.Link.Linux"], ["link", "island codec"]),
        new("boards", ["Stratos.Island.Boards"], ["host protocol and API contract"]),
        new("VMM backends", ["Stratos.Island.Agent.Vmm"], ["island codec"]),
        new("agent (link side, services, API server)", ["Stratos.Island.Agent"],
            ["VMM backends", "boards", "link on Linux", "link", "island codec", "host protocol and API contract"]),
        new("API clients", ["Stratos.Island.Grpc", "Stratos.Island.Client"], ["host protocol and API contract"]),
        new("virtual board launcher", ["Stratos.Island.VirtualBoard"], ["boards"]),
        new("CLI", ["Stratos.Island.Cli"], ["API clients", "virtual board launcher", "boards", "host protocol and API contract"]),
        new("test hooks", ["Stratos.Island.TestHooks"], ["link on Linux"]),
        new("agent test hooks", ["Stratos.Island.Agent.TestHooks"], ["agent (link side, services, API server)", "test hooks"]),
        new("island-agent host", ["Stratos.Island.Agent.Host"], ["agent (link side, services, API server)", "agent test hooks"]),
        new("island-sim", ["Stratos.Island.Sim"], ["firmware link endpoint", "firmware core", "link on Linux", "boards", "test hooks"]),
        new("firmware scenario host", ["Stratos.Island.Firmware.Scenario.Host"], ["firmware programs"]),
        new("HIL bench library", ["Stratos.Island.Hil"], ["API clients", "virtual board launcher", "boards", "link on Linux", "host protocol and API contract"]),
    };

    // The outer layer: test projects, benches and samples by folder; test tools by name.
    private static readonly string[] OuterFolders = { "/tests/", "/bench/", "/samples/", "/protocol/tools/" };
    private static readonly string[] OuterTools = { "Stratos.Island.Testing", "Stratos.Island.Trace", "Stratos.Island.Fuzz" };

    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Stratos.Island.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Every project file of the repository (build output and node_modules left out).</summary>
    public static IReadOnlyList<string> ProjectFiles(string root) =>
        Directory.EnumerateFiles(root, "*.*proj", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".csproj", StringComparison.Ordinal) || p.EndsWith(".nfproj", StringComparison.Ordinal))
            .Where(p => !Relative(root, p).Split('/').Any(part => part is "bin" or "obj" or "node_modules" or "out" || part.StartsWith('.')))
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToList();

    /// <summary>The layer of a project file: its row in <see cref="Layers"/>, <see cref="Outer"/>, or null when unplaced.</summary>
    public static string? LayerOf(string root, string projectFile)
    {
        string name = Path.GetFileNameWithoutExtension(projectFile);
        string relative = "/" + Relative(root, projectFile);
        if (OuterTools.Contains(name) || OuterFolders.Any(f => relative.Contains(f, StringComparison.Ordinal)))
        {
            return Outer;
        }

        return Layers.SingleOrDefault(l => l.Projects.Contains(name))?.Name;
    }

    /// <summary>The projects a project file depends on: ProjectReferences and Compile items from another project's folder.</summary>
    public static IEnumerable<(string Target, string How)> Dependencies(string projectFile, IReadOnlyList<string> allProjects)
    {
        string dir = Path.GetDirectoryName(projectFile)!;
        XDocument xml = XDocument.Load(projectFile);
        foreach (XElement item in xml.Descendants().Where(e => e.Name.LocalName is "ProjectReference" or "Compile"))
        {
            string? include = (string?)item.Attribute("Include");
            if (include is null)
            {
                continue;
            }

            string path = Path.GetFullPath(Path.Combine(dir, include.Replace('\\', '/').Split('*')[0]));
            if (item.Name.LocalName == "ProjectReference")
            {
                yield return (path, "ProjectReference");
                continue;
            }

            // A Compile item: the project whose folder holds the file (longest folder match), if another.
            string? owner = allProjects
                .Where(p => (path + "/").StartsWith(Path.GetDirectoryName(p)! + "/", StringComparison.Ordinal))
                .OrderByDescending(p => Path.GetDirectoryName(p)!.Length)
                .FirstOrDefault();
            if (owner is not null && Path.GetDirectoryName(owner) != dir)
            {
                yield return (owner, "Compile " + include);
            }
        }
    }

    [TestMethod]
    public void Every_project_belongs_to_one_layer()
    {
        string root = RepoRoot;
        IReadOnlyList<string> projects = ProjectFiles(root);
        Assert.IsGreaterThan(40, projects.Count, "the repository's project files were found");
        string[] unplaced = projects.Where(p => LayerOf(root, p) is null).Select(p => Relative(root, p)).ToArray();
        Assert.AreEqual(0, unplaced.Length, "projects in no layer of ProjectGraphTests.Layers (place each one): " + string.Join(", ", unplaced));
        string[] twice = Layers.SelectMany(l => l.Projects).GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        Assert.AreEqual(0, twice.Length, "projects in two layers: " + string.Join(", ", twice));
    }

    [TestMethod]
    public void The_layering_names_only_layers_it_defines()
    {
        string[] unknown = Layers.SelectMany(l => l.MayReference.Where(m => Layers.All(o => o.Name != m)).Select(m => l.Name + " -> " + m)).ToArray();
        Assert.AreEqual(0, unknown.Length, string.Join(", ", unknown));
    }

    [TestMethod]
    public void No_project_references_an_outer_layer()
    {
        string root = RepoRoot;
        IReadOnlyList<string> projects = ProjectFiles(root);
        List<string> violations = Violations(root, projects);
        Assert.AreEqual(0, violations.Count, "references against docs/architecture.md's dependency rule:\n" + string.Join("\n", violations));
    }

    [TestMethod]
    public void An_outward_reference_is_reported_naming_both_projects_and_the_rule()
    {
        // The check itself, on a scratch tree with the two projects' paths, where the firmware core
        // references the link on Linux (what the rule forbids): it must be found.
        string scratch = Path.Combine(Path.GetTempPath(), "stratos-graph-" + Guid.NewGuid().ToString("N"));
        try
        {
            string core = Path.Combine(scratch, "island-firmware/src/Stratos.Island.Firmware/Stratos.Island.Firmware.csproj");
            string linux = Path.Combine(scratch, "protocol/src/Stratos.Island.Link.Linux/Stratos.Island.Link.Linux.csproj");
            Directory.CreateDirectory(Path.GetDirectoryName(core)!);
            Directory.CreateDirectory(Path.GetDirectoryName(linux)!);
            File.WriteAllText(linux, """<Project Sdk="Microsoft.NET.Sdk" />""");
            File.WriteAllText(core, """
                <Project Sdk="Microsoft.NET.Sdk">
                  <ItemGroup>
                    <ProjectReference Include="../../../protocol/src/Stratos.Island.Link.Linux/Stratos.Island.Link.Linux.csproj" />
                  </ItemGroup>
                </Project>
                """);

            List<string> violations = Violations(scratch, ProjectFiles(scratch));

            Assert.AreEqual(1, violations.Count, string.Join("\n", violations));
            StringAssert.Contains(violations[0], "island-firmware/src/Stratos.Island.Firmware/Stratos.Island.Firmware.csproj (firmware core)");
            StringAssert.Contains(violations[0], "protocol/src/Stratos.Island.Link.Linux/Stratos.Island.Link.Linux.csproj (link on Linux)");
            StringAssert.Contains(violations[0], "firmware core may reference only: crypto, island codec");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [TestMethod]
    public void Production_projects_reference_no_test_bench_sample_or_test_tool()
    {
        string root = RepoRoot;
        IReadOnlyList<string> projects = ProjectFiles(root);
        string[] inward = projects
            .Where(p => LayerOf(root, p) is string layer && layer != Outer)
            .SelectMany(p => Dependencies(p, projects).Where(d => LayerOf(root, d.Target) == Outer).Select(d => Relative(root, p) + " -> " + Relative(root, d.Target)))
            .ToArray();
        Assert.AreEqual(0, inward.Length, string.Join("\n", inward));
    }

    private static List<string> Violations(string root, IReadOnlyList<string> projects)
    {
        var violations = new List<string>();
        foreach (string project in projects)
        {
            string? from = LayerOf(root, project);
            if (from is null or Outer)
            {
                continue;
            }

            Layer layer = Layers.Single(l => l.Name == from);
            foreach ((string target, string how) in Dependencies(project, projects))
            {
                string? to = File.Exists(target) ? LayerOf(root, target) : null;
                if (to is null)
                {
                    violations.Add($"{Relative(root, project)} ({from}): {how} {Relative(root, target)}: not a placed project of the repository");
                }
                else if (!layer.MayReference.Contains(to))
                {
                    violations.Add($"{Relative(root, project)} ({from}) -> {Relative(root, target)} ({to}) by {how}: {from} may reference only: "
                        + (layer.MayReference.Length == 0 ? "nothing" : string.Join(", ", layer.MayReference)));
                }
            }
        }

        return violations;
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
