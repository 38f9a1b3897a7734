using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// The nanoFramework project files (.nfproj) of the firmware assemblies cannot be built here (no
// nanoFramework project system), so these tests check what a build would need: every dialect project
// has an .nfproj of the nanoFramework project system beside it, with the pinned language version, the
// same files and the same firmware references as its SDK twin (whose nano compile ./test.sh runs), and
// references only to nanoFramework packages that its packages.config restores with exact versions.
[TestClass]
public sealed class NanoProjectTests
{
    private static readonly XNamespace Msbuild = "http://schemas.microsoft.com/developer/msbuild/2003";
    private const string NanoProjectTypeGuid = "{11A8DD76-328B-46DF-9F39-F559912D0360}";

    // The language version of nanoFramework's project system (NFProjectSystem.Default.props); the nano
    // compile (island-firmware/dialect/NanoCompile.targets) uses the same.
    private const string NanoLangVersion = "9.0";

    private static IEnumerable<DialectProject> Projects() => RepoLayout.DialectProjects();

    [TestMethod]
    public void The_firmware_is_six_nanoFramework_assemblies()
    {
        CollectionAssert.IsSubsetOf(
            new[] { "Stratos.Island.Codec", "Stratos.Island.Link", "Stratos.Island.Firmware", "Stratos.Island.Firmware.Link", "Stratos.Island.Firmware.Native", "Stratos.Island.Firmware.Nano" },
            Projects().Select(p => p.NanoAssemblyName).ToArray());
    }

    [TestMethod]
    public void Every_dialect_project_has_an_nfproj_of_the_nanoFramework_project_system()
    {
        var problems = new List<string>();
        foreach (DialectProject project in Projects())
        {
            string nfproj = project.NfprojPath;
            if (!File.Exists(nfproj))
            {
                problems.Add(project.NanoAssemblyName + ": no .nfproj at " + Path.GetRelativePath(RepoLayout.Root, nfproj));
                continue;
            }
            XDocument doc = XDocument.Load(nfproj);
            Assert.AreEqual(Msbuild + "Project", doc.Root!.Name, nfproj);
            StringAssert.Contains(Single(doc, "ProjectTypeGuids"), NanoProjectTypeGuid, nfproj);
            Expect(problems, nfproj, "AssemblyName", project.NanoAssemblyName, Single(doc, "AssemblyName"));
            Expect(problems, nfproj, "LangVersion", NanoLangVersion, Single(doc, "LangVersion"));
            bool exe = File.ReadAllText(project.ProjectPath).Contains("<NanoOutputType>exe</NanoOutputType>", StringComparison.Ordinal);
            Expect(problems, nfproj, "OutputType", exe ? "Exe" : "Library", Single(doc, "OutputType"));
            string[] imports = doc.Root.Elements(Msbuild + "Import").Select(i => (string)i.Attribute("Project")!).ToArray();
            CollectionAssert.AreEqual(
                new[]
                {
                    "$(NanoFrameworkProjectSystemPath)NFProjectSystem.Default.props",
                    "$(NanoFrameworkProjectSystemPath)NFProjectSystem.props",
                    "$(NanoFrameworkProjectSystemPath)NFProjectSystem.CSharp.targets",
                },
                imports, nfproj);
            StringAssert.StartsWith(Single(doc, "NanoFrameworkProjectSystemPath"), @"$(MSBuildExtensionsPath)\nanoFramework\");
        }
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void Every_nfproj_compiles_every_source_of_its_folder_and_nothing_else()
    {
        var problems = new List<string>();
        int checkedFiles = 0;
        foreach (DialectProject project in Projects())
        {
            string nfproj = project.NfprojPath;
            string folder = Path.GetDirectoryName(nfproj)!;
            List<CompileItem> items = CompileItems(nfproj);
            foreach (string file in SourcesOf(folder))
            {
                checkedFiles++;
                if (!IsCompiled(items, folder, file))
                {
                    problems.Add(Path.GetRelativePath(RepoLayout.Root, file) + " is not compiled by " + Path.GetFileName(nfproj));
                }
            }
            foreach (CompileItem item in items)
            {
                if (!Path.GetFullPath(Resolve(folder, item.Include)).StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    problems.Add(Path.GetFileName(nfproj) + " compiles '" + item.Include + "' from outside its folder: reference that assembly's .nfproj instead");
                }
                if (!item.Include.Contains('*', StringComparison.Ordinal) && !File.Exists(Resolve(folder, item.Include)))
                {
                    problems.Add(Path.GetFileName(nfproj) + " names a file that does not exist: " + item.Include);
                }
            }
        }
        Assert.IsGreaterThan(60, checkedFiles);
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void Every_nfproj_references_the_same_firmware_assemblies_as_its_sdk_project()
    {
        var byPath = Projects().ToDictionary(p => Path.GetFullPath(p.ProjectPath), StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (DialectProject project in Projects())
        {
            XDocument sdk = XDocument.Load(project.ProjectPath);
            string[] expected = sdk.Descendants("ProjectReference")
                .Select(r => Path.GetFullPath(Path.Combine(project.Directory, ((string)r.Attribute("Include")!).Replace('\\', '/'))))
                .Where(byPath.ContainsKey).Select(p => byPath[p].NanoAssemblyName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            string nfprojFolder = Path.GetDirectoryName(project.NfprojPath)!;
            string[] actual = XDocument.Load(project.NfprojPath).Descendants(Msbuild + "ProjectReference")
                .Select(r => ((string)r.Attribute("Include")!).Replace('\\', '/'))
                .Select(include =>
                {
                    string target = Path.GetFullPath(Path.Combine(nfprojFolder, include));
                    if (!File.Exists(target))
                    {
                        problems.Add(Path.GetFileName(project.NfprojPath) + ": referenced project " + include + " does not exist");
                    }
                    return Path.GetFileNameWithoutExtension(target);
                })
                .OrderBy(n => n, StringComparer.Ordinal).ToArray();
            if (!expected.SequenceEqual(actual))
            {
                problems.Add(Path.GetFileName(project.NfprojPath) + " references [" + string.Join(", ", actual) + "], its SDK project [" + string.Join(", ", expected) + "]");
            }
        }
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void Every_nfproj_references_only_nanoFramework_packages_listed_in_its_packages_config()
    {
        foreach (DialectProject project in Projects())
        {
            string nfproj = project.NfprojPath;
            XDocument config = XDocument.Load(Path.Combine(Path.GetDirectoryName(nfproj)!, "packages.config"));
            var packages = config.Root!.Elements("package")
                .ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!, StringComparer.Ordinal);
            Assert.IsTrue(packages.TryGetValue("nanoFramework.CoreLibrary", out string? core), nfproj + ": packages.config lacks nanoFramework.CoreLibrary");
            Assert.AreEqual("1.17.11", core, nfproj + ": the mscorlib the nano compile uses (Directory.Packages.props)");
            foreach (XElement package in config.Root.Elements("package"))
            {
                StringAssert.StartsWith((string)package.Attribute("id")!, "nanoFramework.");
                Assert.AreEqual("netnano1.0", (string?)package.Attribute("targetFramework"));
            }

            XElement[] references = XDocument.Load(nfproj).Descendants(Msbuild + "Reference").ToArray();
            Assert.IsNotEmpty(references, nfproj);
            var hint = new Regex(@"^packages\\(?<id>[A-Za-z0-9.]+?)\.(?<version>\d+\.\d+\.\d+)\\lib\\[A-Za-z0-9.]+\.dll$");
            foreach (XElement reference in references)
            {
                string path = reference.Element(Msbuild + "HintPath")?.Value ?? "";
                Match m = hint.Match(path);
                Assert.IsTrue(m.Success, nfproj + ": reference " + (string?)reference.Attribute("Include") + ": HintPath '" + path + "' is not packages\\<id>.<version>\\lib\\<dll>");
                Assert.IsTrue(packages.TryGetValue(m.Groups["id"].Value, out string? version), nfproj + ": reference to " + m.Groups["id"].Value + " which packages.config does not list");
                Assert.AreEqual(version, m.Groups["version"].Value, "version of " + m.Groups["id"].Value);
            }
            Assert.IsEmpty(XDocument.Load(nfproj).Descendants(Msbuild + "PackageReference").ToArray(), nfproj);
        }
    }

    [TestMethod]
    public void Nfprojs_are_not_solution_projects_but_their_sdk_projects_are()
    {
        string sln = File.ReadAllText(Path.Combine(RepoLayout.Root, "Stratos.Island.sln"));
        Assert.DoesNotContain(".nfproj", sln);
        foreach (DialectProject project in Projects())
        {
            Assert.Contains(Path.GetFileName(project.ProjectPath), sln);
        }
    }

    private static string Single(XDocument doc, string element) => doc.Descendants(Msbuild + element).Single().Value;

    private static void Expect(List<string> problems, string nfproj, string property, string expected, string actual)
    {
        if (expected != actual)
        {
            problems.Add(Path.GetFileName(nfproj) + ": " + property + " is '" + actual + "', expected '" + expected + "'");
        }
    }

    private sealed record CompileItem(string Include, string Exclude);

    private static List<CompileItem> CompileItems(string nfproj) =>
        XDocument.Load(nfproj).Descendants(Msbuild + "Compile")
            .Select(c => new CompileItem((string)c.Attribute("Include")!, (string?)c.Attribute("Exclude") ?? ""))
            .ToList();

    private static bool IsCompiled(List<CompileItem> items, string folder, string file)
    {
        foreach (CompileItem item in items)
        {
            if (Matches(folder, item.Include, file) && !item.Exclude.Split(';', StringSplitOptions.RemoveEmptyEntries).Any(e => Matches(folder, e, file)))
            {
                return true;
            }
        }
        return false;
    }

    // MSBuild item pattern (relative to the project, '\' separators, '**' and '*') against a full path.
    private static bool Matches(string folder, string pattern, string file)
    {
        string full = Resolve(folder, pattern).Replace('\\', '/');
        var regex = new System.Text.StringBuilder("^");
        for (int i = 0; i < full.Length; i++)
        {
            if (string.CompareOrdinal(full, i, "**/", 0, 3) == 0)
            {
                regex.Append("(.*/)?");
                i += 2;
            }
            else if (string.CompareOrdinal(full, i, "**", 0, 2) == 0)
            {
                regex.Append(".*");
                i += 1;
            }
            else if (full[i] == '*')
            {
                regex.Append("[^/]*");
            }
            else
            {
                regex.Append(Regex.Escape(full[i].ToString()));
            }
        }
        regex.Append('$');
        return Regex.IsMatch(file.Replace('\\', '/'), regex.ToString());
    }

    private static string Resolve(string folder, string pattern)
    {
        string normalized = pattern.Replace('\\', Path.DirectorySeparatorChar);
        int wildcard = normalized.IndexOf('*', StringComparison.Ordinal);
        if (wildcard < 0)
        {
            return Path.GetFullPath(Path.Combine(folder, normalized));
        }
        string prefix = normalized[..wildcard];
        string fixedPart = Path.GetFullPath(Path.Combine(folder, prefix.Length == 0 ? "." : prefix));
        if ((prefix.Length == 0 || prefix.EndsWith(Path.DirectorySeparatorChar)) && !fixedPart.EndsWith(Path.DirectorySeparatorChar))
        {
            fixedPart += Path.DirectorySeparatorChar;
        }
        return fixedPart + normalized[wildcard..];
    }

    private static string[] SourcesOf(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "packages"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
}
