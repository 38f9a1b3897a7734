using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// The main guard: every firmware-dialect assembly of the repository stays inside the nanoFramework
// stable API. A failure lists every violation of every assembly at once.
[TestClass]
public sealed class FirmwareDialectTests
{
    private static readonly AllowList Allow = AllowList.Load(RepoLayout.AllowListPath);

    [TestMethod]
    public void The_repository_has_the_known_dialect_projects()
    {
        string[] names = RepoLayout.DialectProjects().Select(p => p.AssemblyName).ToArray();
        foreach (string expected in new[] { "Stratos.Island.Codec", "Stratos.Island.Link", "Stratos.Island.Firmware", "Stratos.Island.Firmware.Link", "Stratos.Island.Firmware.Native", "Stratos.Island.Firmware.Nano.Check" })
        {
            CollectionAssert.Contains(names, expected, "dialect projects found: " + string.Join(", ", names));
        }
    }

    [TestMethod]
    public void Every_dialect_project_targets_netstandard2_0_and_is_built_before_the_guard()
    {
        string testProject = File.ReadAllText(Path.Combine(RepoLayout.Root, "island-firmware", "tests",
            "Stratos.Island.Firmware.DialectTests", "Stratos.Island.Firmware.DialectTests.csproj"));
        var problems = new List<string>();
        foreach (DialectProject project in RepoLayout.DialectProjects())
        {
            string relative = Path.GetRelativePath(RepoLayout.Root, project.ProjectPath);
            if (project.TargetFramework != "netstandard2.0")
            {
                problems.Add(relative + ": TargetFramework is " + project.TargetFramework + ", firmware-dialect projects must target netstandard2.0");
            }
            if (!testProject.Contains(Path.GetFileName(project.ProjectPath), StringComparison.Ordinal))
            {
                problems.Add(relative + ": add <ProjectReference Include=\"...\" ReferenceOutputAssembly=\"false\" /> for it to Stratos.Island.Firmware.DialectTests.csproj so it is built before the guard runs");
            }
        }
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void All_firmware_dialect_assemblies_use_only_the_nanoFramework_stable_api()
    {
        var report = new List<string>();
        int inspected = 0;
        var guarded = RepoLayout.DialectProjects().Select(p => p.AssemblyName).ToArray();
        foreach (DialectProject project in RepoLayout.DialectProjects())
        {
            string assembly = RepoLayout.OutputOf(project.ProjectPath, project.AssemblyName, project.TargetFramework);
            if (!File.Exists(assembly))
            {
                report.Add(project.AssemblyName + ": " + assembly + " is missing; build the solution in " + RepoLayout.Configuration + " first");
                continue;
            }
            inspected++;
            report.AddRange(DialectGuard.Inspect(assembly, Allow, guarded).Select(v => v.ToString()));
        }
        Assert.AreEqual(0, report.Count,
            report.Count + " firmware-dialect violation(s); see docs/nanoframework-dialect.md for the rules and how to extend the allow-list:" +
            Environment.NewLine + string.Join(Environment.NewLine, report));
        Assert.IsGreaterThanOrEqualTo(6, inspected);
    }
}
