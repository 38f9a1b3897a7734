using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// The nanoFramework project file of the island app (island-firmware/src/Stratos.Island.Firmware.Nano)
// cannot be built here (no nanoFramework toolchain), so these tests check what a build would need:
// well-formed MSBuild XML of the nanoFramework project system, every shared dialect source and every
// app source compiled, and references only to nanoFramework packages that packages.config restores.
[TestClass]
public sealed class NanoProjectTests
{
    private static readonly XNamespace Msbuild = "http://schemas.microsoft.com/developer/msbuild/2003";
    private const string NanoProjectTypeGuid = "{11A8DD76-328B-46DF-9F39-F559912D0360}";

    private static string AppDirectory => Path.Combine(RepoLayout.Root, "island-firmware", "src", "Stratos.Island.Firmware.Nano");

    private static string NfprojPath => Path.Combine(AppDirectory, "Stratos.Island.Firmware.Nano.nfproj");

    private static XDocument LoadProject() => XDocument.Load(NfprojPath);

    [TestMethod]
    public void Nfproj_is_msbuild_xml_of_the_nanoFramework_project_system()
    {
        XDocument project = LoadProject();
        Assert.AreEqual(Msbuild + "Project", project.Root!.Name);
        string guids = project.Descendants(Msbuild + "ProjectTypeGuids").Single().Value;
        StringAssert.Contains(guids, NanoProjectTypeGuid);
        Assert.AreEqual("Exe", project.Descendants(Msbuild + "OutputType").Single().Value);
        Assert.AreEqual("Stratos.Island.Firmware.Nano", project.Descendants(Msbuild + "AssemblyName").Single().Value);
        string[] imports = project.Root.Elements(Msbuild + "Import").Select(i => (string)i.Attribute("Project")!).ToArray();
        CollectionAssert.AreEqual(
            new[]
            {
                "$(NanoFrameworkProjectSystemPath)NFProjectSystem.Default.props",
                "$(NanoFrameworkProjectSystemPath)NFProjectSystem.props",
                "$(NanoFrameworkProjectSystemPath)NFProjectSystem.CSharp.targets",
            },
            imports);
        StringAssert.StartsWith(project.Descendants(Msbuild + "NanoFrameworkProjectSystemPath").Single().Value, @"$(MSBuildExtensionsPath)\nanoFramework\");
    }

    [TestMethod]
    public void Nfproj_compiles_every_source_of_the_codec_link_and_firmware_projects()
    {
        var missing = new List<string>();
        int checkedFiles = 0;
        foreach (string dir in new[]
        {
            Path.Combine(RepoLayout.Root, "protocol", "src", "Stratos.Island.Codec"),
            Path.Combine(RepoLayout.Root, "protocol", "src", "Stratos.Island.Link"),
            Path.Combine(RepoLayout.Root, "island-firmware", "src", "Stratos.Island.Firmware"),
        })
        {
            foreach (string file in SourcesOf(dir))
            {
                checkedFiles++;
                if (!IsCompiled(file))
                {
                    missing.Add(Path.GetRelativePath(RepoLayout.Root, file));
                }
            }
        }

        Assert.IsGreaterThan(50, checkedFiles);
        Assert.AreEqual(0, missing.Count, "not compiled by the .nfproj: " + string.Join(", ", missing));
    }

    [TestMethod]
    public void Nfproj_compiles_every_file_of_the_app_and_names_no_missing_file()
    {
        var missing = SourcesOf(AppDirectory).Where(f => !IsCompiled(f)).Select(f => Path.GetRelativePath(AppDirectory, f)).ToList();
        Assert.AreEqual(0, missing.Count, "app files not in the .nfproj: " + string.Join(", ", missing));
        var stale = CompileItems().Where(i => !i.Include.Contains('*', StringComparison.Ordinal))
            .Where(i => !File.Exists(Resolve(i.Include))).Select(i => i.Include).ToList();
        Assert.AreEqual(0, stale.Count, "the .nfproj names files that do not exist: " + string.Join(", ", stale));
        CollectionAssert.Contains(SourcesOf(AppDirectory).Select(f => Path.GetRelativePath(AppDirectory, f)).ToArray(), "Program.cs");
    }

    [TestMethod]
    public void Nfproj_references_only_nanoFramework_packages_listed_in_packages_config()
    {
        XDocument config = XDocument.Load(Path.Combine(AppDirectory, "packages.config"));
        var packages = config.Root!.Elements("package")
            .ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!, StringComparer.Ordinal);
        Assert.IsTrue(packages.TryGetValue("nanoFramework.CoreLibrary", out string? core), "packages.config lacks nanoFramework.CoreLibrary");
        StringAssert.StartsWith(core, "1.17.");
        foreach (XElement package in config.Root.Elements("package"))
        {
            StringAssert.StartsWith((string)package.Attribute("id")!, "nanoFramework.");
            Assert.AreEqual("netnano1.0", (string?)package.Attribute("targetFramework"));
        }

        XElement[] references = LoadProject().Descendants(Msbuild + "Reference").ToArray();
        Assert.IsNotEmpty(references);
        var hint = new Regex(@"^packages\\(?<id>[A-Za-z0-9.]+?)\.(?<version>\d+\.\d+\.\d+)\\lib\\[A-Za-z0-9.]+\.dll$");
        foreach (XElement reference in references)
        {
            string path = reference.Element(Msbuild + "HintPath")?.Value ?? "";
            Match m = hint.Match(path);
            Assert.IsTrue(m.Success, "reference " + (string?)reference.Attribute("Include") + ": HintPath '" + path + "' is not packages\\<id>.<version>\\lib\\<dll>");
            Assert.IsTrue(packages.TryGetValue(m.Groups["id"].Value, out string? version), "reference to " + m.Groups["id"].Value + " which packages.config does not list");
            Assert.AreEqual(version, m.Groups["version"].Value, "version of " + m.Groups["id"].Value);
        }
        Assert.IsEmpty(LoadProject().Descendants(Msbuild + "ProjectReference").ToArray());
        Assert.IsEmpty(LoadProject().Descendants(Msbuild + "PackageReference").ToArray());
    }

    [TestMethod]
    public void Nfproj_is_not_a_solution_project_but_its_check_project_is()
    {
        string sln = File.ReadAllText(Path.Combine(RepoLayout.Root, "Stratos.Island.sln"));
        Assert.DoesNotContain(".nfproj", sln);
        Assert.Contains(@"Stratos.Island.Firmware.Nano.Check\Stratos.Island.Firmware.Nano.Check.csproj", sln);
    }

    [TestMethod]
    public void Every_native_method_is_an_InternalCall_extern_documented_in_the_README()
    {
        string assembly = RepoLayout.OutputOf(
            Path.Combine(RepoLayout.Root, "island-firmware", "src", "Stratos.Island.Firmware.Nano.Check", "Stratos.Island.Firmware.Nano.Check.csproj"),
            "Stratos.Island.Firmware.Nano.Check", "netstandard2.0");
        string readme = File.ReadAllText(Path.Combine(AppDirectory, "README.md"));
        using var stream = File.OpenRead(assembly);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        var problems = new List<string>();
        int natives = 0;
        foreach (TypeDefinitionHandle th in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(th);
            string ns = md.GetString(type.Namespace);
            string typeName = md.GetString(type.Name);
            foreach (MethodDefinitionHandle mh in type.GetMethods())
            {
                MethodDefinition method = md.GetMethodDefinition(mh);
                string name = md.GetString(method.Name);
                bool internalCall = (method.ImplAttributes & MethodImplAttributes.InternalCall) != 0;
                // Abstract (interface) and runtime-implemented (delegate) methods have no body either.
                bool bodiless = method.RelativeVirtualAddress == 0 && (method.Attributes & MethodAttributes.Abstract) == 0
                    && (method.ImplAttributes & MethodImplAttributes.Runtime) == 0;
                if (ns != "Stratos.Island.Firmware.Nano.Native")
                {
                    if (internalCall || bodiless)
                    {
                        problems.Add(ns + "." + typeName + "::" + name + ": native methods belong in Stratos.Island.Firmware.Nano.Native");
                    }
                    continue;
                }
                if (name == ".cctor" || name == ".ctor")
                {
                    continue;
                }
                natives++;
                if (!internalCall || !bodiless || (method.Attributes & MethodAttributes.PinvokeImpl) != 0)
                {
                    problems.Add(typeName + "::" + name + ": must be `static extern` with [MethodImpl(MethodImplOptions.InternalCall)]");
                }
                if (!readme.Contains("### " + typeName, StringComparison.Ordinal) || !Regex.IsMatch(readme, @"\b" + Regex.Escape(name) + @"\("))
                {
                    problems.Add(typeName + "::" + name + ": not described in README.md's HAL contract");
                }
            }
        }
        Assert.IsGreaterThanOrEqualTo(25, natives);
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    private sealed record CompileItem(string Include, string Exclude);

    private static List<CompileItem> CompileItems() =>
        LoadProject().Descendants(Msbuild + "Compile")
            .Select(c => new CompileItem((string)c.Attribute("Include")!, (string?)c.Attribute("Exclude") ?? ""))
            .ToList();

    private static bool IsCompiled(string file)
    {
        foreach (CompileItem item in CompileItems())
        {
            if (Matches(item.Include, file) && !item.Exclude.Split(';', StringSplitOptions.RemoveEmptyEntries).Any(e => Matches(e, file)))
            {
                return true;
            }
        }
        return false;
    }

    // MSBuild item pattern (relative to the project, '\' separators, '**' and '*') against a full path.
    private static bool Matches(string pattern, string file)
    {
        string full = Resolve(pattern).Replace('\\', '/');
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

    private static string Resolve(string pattern)
    {
        string normalized = pattern.Replace('\\', Path.DirectorySeparatorChar);
        int wildcard = normalized.IndexOf('*', StringComparison.Ordinal);
        if (wildcard < 0)
        {
            return Path.GetFullPath(Path.Combine(AppDirectory, normalized));
        }
        string prefix = normalized[..wildcard];
        string fixedPart = Path.GetFullPath(Path.Combine(AppDirectory, prefix.Length == 0 ? "." : prefix));
        if (prefix.EndsWith(Path.DirectorySeparatorChar) && !fixedPart.EndsWith(Path.DirectorySeparatorChar))
        {
            fixedPart += Path.DirectorySeparatorChar;
        }
        return fixedPart + normalized[wildcard..];
    }

    private static string[] SourcesOf(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
}
