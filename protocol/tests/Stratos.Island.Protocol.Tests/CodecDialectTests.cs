using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;

namespace Stratos.Island.Protocol.Tests;

/// <summary>A local guard for the codec's firmware dialect (docs/nanoframework-dialect.md; the
/// firmware's own guard checks all firmware assemblies against the full allow-list): the compiled
/// codec has no generics at all and references only this short list of framework members.</summary>
[TestClass]
public sealed class CodecDialectTests
{
    private static readonly string[] AllowedMembers =
    {
        "System.Array.Copy",
        // Compiler-embedded attribute types (RefSafetyRules, Embedded) derive from these; both exist in nanoFramework's mscorlib.
        "System.Attribute..ctor",
        "System.AttributeUsageAttribute..ctor",
        "System.Object..ctor",
        "System.String.get_Chars",
        "System.String.get_Length",
        "System.String.Empty",
        "System.Text.Encoding.get_UTF8",
        "System.Text.Encoding.GetString",
    };

    private static MetadataReader Open(out PEReader pe)
    {
        pe = new PEReader(File.OpenRead(typeof(CodecStatus).Assembly.Location));
        return pe.GetMetadataReader();
    }

    [TestMethod]
    public void Codec_assembly_has_no_generic_definitions_or_instantiations()
    {
        MetadataReader reader = Open(out PEReader pe);
        using (pe)
        {
            Assert.AreEqual(0, reader.GetTableRowCount(TableIndex.GenericParam), "generic parameters");
            Assert.AreEqual(0, reader.GetTableRowCount(TableIndex.MethodSpec), "generic method instantiations");
            Assert.AreEqual(0, reader.GetTableRowCount(TableIndex.TypeSpec), "type specs (generic or multi-dimensional types)");
        }
    }

    [TestMethod]
    public void Codec_assembly_references_only_the_allowed_framework_members()
    {
        MetadataReader reader = Open(out PEReader pe);
        using (pe)
        {
            var used = new SortedSet<string>(StringComparer.Ordinal);
            foreach (MemberReferenceHandle handle in reader.MemberReferences)
            {
                MemberReference member = reader.GetMemberReference(handle);
                if (member.Parent.Kind != HandleKind.TypeReference) continue;
                TypeReference type = reader.GetTypeReference((TypeReferenceHandle)member.Parent);
                string typeName = reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
                if (typeName.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal)
                    || typeName.StartsWith("System.Runtime.Versioning.", StringComparison.Ordinal)
                    || typeName.StartsWith("System.Diagnostics.", StringComparison.Ordinal)
                    || typeName.StartsWith("System.Reflection.", StringComparison.Ordinal))
                {
                    continue; // assembly-level attributes the nanoFramework build also emits
                }

                used.Add(typeName + "." + reader.GetString(member.Name));
            }

            CollectionAssert.IsSubsetOf(used.ToList(), AllowedMembers, "codec uses: " + string.Join(", ", used));
        }
    }
}
