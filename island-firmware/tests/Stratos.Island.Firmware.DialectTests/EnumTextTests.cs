using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// nanoCLR keeps no enum names: Enum.ToString() (and so string.Concat of a boxed enum) gives the
// number, where CoreCLR gives the name, so a message, a trace or a wire string would differ between
// the runtimes. The firmware spells names out with switches. This guard reads the IL of every firmware
// assembly's nano compile and fails on each `box` or `constrained.` of an enum type, the two ways an
// enum reaches object.ToString().
[TestClass]
public sealed class EnumTextTests
{
    private const short Box = 0x8C;
    private const short Constrained = unchecked((short)0xFE16);

    [TestMethod]
    public void No_firmware_code_turns_an_enum_into_text_through_ToString()
    {
        IReadOnlyList<DialectProject> projects = RepoLayout.DialectProjects();
        var enums = new HashSet<string>(StringComparer.Ordinal);
        foreach (DialectProject project in projects)
        {
            using var pe = new PEReader(File.OpenRead(project.NanoOutput("Release")));
            MetadataReader md = pe.GetMetadataReader();
            foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
            {
                TypeDefinition type = md.GetTypeDefinition(handle);
                if (!type.BaseType.IsNil && type.BaseType.Kind == HandleKind.TypeReference && TypeNames.Of(md, (TypeReferenceHandle)type.BaseType) == "System.Enum")
                {
                    enums.Add(TypeNames.Of(md, handle));
                }
            }
        }
        Assert.IsGreaterThan(20, enums.Count, "enums found in the firmware");

        var problems = new List<string>();
        foreach (DialectProject project in projects)
        {
            using var pe = new PEReader(File.OpenRead(project.NanoOutput("Release")));
            MetadataReader md = pe.GetMetadataReader();
            foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
            {
                MethodDefinition method = md.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0)
                {
                    continue;
                }
                foreach ((short opCode, EntityHandle token) in IlTokens.ReadInstructions(pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader()))
                {
                    if ((opCode == Box || opCode == Constrained) && token.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference)
                    {
                        string name = token.Kind == HandleKind.TypeDefinition ? TypeNames.Of(md, (TypeDefinitionHandle)token) : TypeNames.Of(md, (TypeReferenceHandle)token);
                        if (enums.Contains(name) || name.StartsWith("System.", StringComparison.Ordinal) && IsSystemEnum(name))
                        {
                            problems.Add(project.NanoAssemblyName + ": " + TypeNames.OfMethod(md, handle) + " boxes " + name + " (its text is a number on nanoCLR): spell the name out with a switch");
                        }
                    }
                }
            }
        }
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems.Distinct()));
    }

    private static bool IsSystemEnum(string name) => name is "System.DayOfWeek" or "System.DateTimeKind" or "System.AttributeTargets";
}
