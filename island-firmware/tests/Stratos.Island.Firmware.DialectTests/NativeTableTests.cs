using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// The native table contract (island-firmware/src/Stratos.Island.Firmware.Native/README.md): nanoCLR
// binds an `extern` InternalCall method by its position in its assembly's method table, so
//   * only Stratos.Island.Firmware.Native declares natives, and it declares nothing else;
//   * its methods, in the order nanoFramework's MetadataProcessor writes them to the .pe (the order
//     nanoCLR indexes the port's table by: types sorted by full name, ordinal; within a type virtual,
//     then instance, then static methods, each group in declaration order; metadata-processor 3.0.x
//     nanoTablesContext GetOrderedTypes/GetOrderedMethods, checked with MetadataProcessor 3.0.100),
//     equal native-table.txt (names, signatures, positions), in the nano compile of both
//     configurations (a compiler or language-version change that adds a method shows here);
//   * its AssemblyNativeVersion equals the version native-table.txt records;
//   * every native is described in the README.
[TestClass]
public sealed class NativeTableTests
{
    private const string NativeAssembly = "Stratos.Island.Firmware.Native";

    private static string NativeDirectory => Path.Combine(RepoLayout.Root, "island-firmware", "src", NativeAssembly);

    private static DialectProject NativeProject => RepoLayout.DialectProjects().Single(p => p.NanoAssemblyName == NativeAssembly);

    [TestMethod]
    [DataRow("Debug")]
    [DataRow("Release")]
    public void The_native_assembly_holds_exactly_the_pinned_native_table(string configuration)
    {
        (string version, string[] pinned) = ReadPinnedTable();
        using var pe = new PEReader(File.OpenRead(NativeProject.NanoOutput(configuration)));
        MetadataReader md = pe.GetMetadataReader();
        var problems = new List<string>();
        var methods = new List<(string TypeFullName, int Group, int Declared, string Entry)>();
        var formatter = new SignatureFormatter();
        foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
        {
            MethodDefinition method = md.GetMethodDefinition(handle);
            TypeDefinition type = md.GetTypeDefinition(method.GetDeclaringType());
            string name = md.GetString(type.Name) + "::" + md.GetString(method.Name);
            MethodSignature<string> signature = method.DecodeSignature(formatter, new SignatureScan());
            int group = (method.Attributes & MethodAttributes.Virtual) != 0 ? 0 : (method.Attributes & MethodAttributes.Static) == 0 ? 1 : 2;
            methods.Add((md.GetString(type.Namespace) + "." + md.GetString(type.Name), group, methods.Count,
                name + "(" + string.Join(",", signature.ParameterTypes) + ") " + signature.ReturnType));
            bool internalCall = (method.ImplAttributes & MethodImplAttributes.InternalCall) != 0;
            bool isStatic = (method.Attributes & MethodAttributes.Static) != 0;
            if (!internalCall || !isStatic || method.RelativeVirtualAddress != 0)
            {
                problems.Add(name + ": the native assembly may hold only `static extern` [MethodImpl(MethodImplOptions.InternalCall)] methods (a managed method shifts every native after it)");
            }
        }

        string[] actual = methods.OrderBy(m => m.TypeFullName, StringComparer.Ordinal).ThenBy(m => m.Group).ThenBy(m => m.Declared)
            .Select((m, position) => position + " " + m.Entry).ToArray();
        CollectionAssert.AreEqual(pinned, actual,
            "the native table changed (" + configuration + "); if that is intended, update native-table.txt AND bump AssemblyNativeVersion. Now:" + Environment.NewLine + string.Join(Environment.NewLine, actual));
        Assert.AreEqual(version, NativeVersionOf(md), "AssemblyNativeVersion of the nano compile against native-table.txt");
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void No_other_firmware_assembly_declares_a_native_method()
    {
        var problems = new List<string>();
        foreach (DialectProject project in RepoLayout.DialectProjects().Where(p => p.NanoAssemblyName != NativeAssembly))
        {
            using var pe = new PEReader(File.OpenRead(project.NanoOutput("Release")));
            MetadataReader md = pe.GetMetadataReader();
            foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
            {
                MethodDefinition method = md.GetMethodDefinition(handle);
                if ((method.ImplAttributes & MethodImplAttributes.InternalCall) != 0 || (method.Attributes & MethodAttributes.PinvokeImpl) != 0)
                {
                    problems.Add(project.NanoAssemblyName + ": " + TypeNames.OfMethod(md, handle) + " is native: natives belong in " + NativeAssembly);
                }
            }
        }
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void Every_native_is_described_in_the_README()
    {
        string readme = File.ReadAllText(Path.Combine(NativeDirectory, "README.md"));
        (_, string[] pinned) = ReadPinnedTable();
        Assert.IsGreaterThanOrEqualTo(25, pinned.Length);
        var missing = new List<string>();
        foreach (string entry in pinned)
        {
            Match m = Regex.Match(entry, @"^\d+ (?<type>\w+)::(?<method>\w+)\(");
            Assert.IsTrue(m.Success, entry);
            if (!readme.Contains("### " + m.Groups["type"].Value, StringComparison.Ordinal) || !Regex.IsMatch(readme, @"\b" + m.Groups["method"].Value + @"\("))
            {
                missing.Add(entry);
            }
        }
        Assert.AreEqual(0, missing.Count, "natives not described in README.md: " + string.Join(", ", missing));
    }

    // native-table.txt: '#' comments, one "AssemblyNativeVersion x.y.z.w" line, then the entries.
    private static (string Version, string[] Entries) ReadPinnedTable()
    {
        string[] lines = File.ReadAllLines(Path.Combine(NativeDirectory, "native-table.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.StartsWith("AssemblyNativeVersion ", lines[0]);
        return (lines[0]["AssemblyNativeVersion ".Length..], lines[1..]);
    }

    private static string? NativeVersionOf(MetadataReader md)
    {
        foreach (CustomAttributeHandle handle in md.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = md.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }
            MemberReference ctor = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (TypeNames.Of(md, (TypeReferenceHandle)ctor.Parent) != "System.Reflection.AssemblyNativeVersionAttribute")
            {
                continue;
            }
            BlobReader blob = md.GetBlobReader(attribute.Value);
            blob.ReadUInt16(); // prolog 0x0001
            return blob.ReadSerializedString();
        }
        return null;
    }
}
