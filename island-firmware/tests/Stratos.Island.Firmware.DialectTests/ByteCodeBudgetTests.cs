using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// nanoFramework addresses an assembly's byte code and its strings with 16-bit offsets: at most
// 65,535 bytes of each per assembly, or MetadataProcessor stops with "Byte code table overflow"
// (docs/nanoframework-dialect.md, "Limits"). This budget measures every firmware assembly's nano
// compile (Debug, the larger, and Release) from its metadata and fails at 75 % of a limit, well before
// the toolchain would; the goal is below 60 % so a year of features still fits.
//   byte code = every method body as MetadataProcessor stores it (Mono.Cecil/CodeWriter.cs of
//               nanoframework/metadata-processor 3.0.x): the IL with each metadata token operand
//               (call, ldfld, newobj, ldstr, box, ...) and each long branch offset written in 2 bytes
//               instead of 4, a switch as a 1-byte count and 2-byte targets, then per method with
//               handlers 8 bytes per exception handler and a 1-byte count; IL method headers are not
//               stored. Checked against MetadataProcessor 3.0.100 on these assemblies: equal to the
//               byte (docs/benchmarks.md);
//   strings   = the #Strings heap (type, member and namespace names) plus every user string ("...")
//               as UTF-8 with its terminator, which is how the .pe string table holds them. An upper
//               bound: MetadataProcessor shares duplicates and drops names it does not keep (Codec:
//               4,801 measured here, 3,134 in its table).
[TestClass]
public sealed class ByteCodeBudgetTests
{
    public const int LimitBytes = 65_535;
    public const int BudgetPercent = 75;

    public sealed record AssemblySize(string Assembly, string Configuration, int ByteCodeBytes, int StringBytes);

    public static AssemblySize Measure(string path, string assembly, string configuration)
    {
        using var pe = new PEReader(File.OpenRead(path));
        MetadataReader md = pe.GetMetadataReader();
        int il = 0;
        foreach (MethodDefinitionHandle handle in md.MethodDefinitions)
        {
            MethodDefinition method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress != 0)
            {
                il += StoredByteCodeBytes(pe.GetMethodBody(method.RelativeVirtualAddress));
            }
        }
        int strings = md.GetHeapSize(HeapIndex.String);
        for (UserStringHandle handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = md.GetNextHandle(handle))
        {
            strings += Encoding.UTF8.GetByteCount(md.GetUserString(handle)) + 1;
        }
        return new AssemblySize(assembly, configuration, il, strings);
    }

    // Operand type of every IL opcode, by its value (0xFExx for two-byte opcodes).
    private static readonly Dictionary<ushort, System.Reflection.Emit.OperandType> OperandTypes =
        typeof(System.Reflection.Emit.OpCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => (System.Reflection.Emit.OpCode)f.GetValue(null)!)
            .ToDictionary(o => (ushort)o.Value, o => o.OperandType);

    // The bytes MetadataProcessor writes to the byte-code table for one method body.
    public static int StoredByteCodeBytes(MethodBodyBlock body)
    {
        BlobReader il = body.GetILReader();
        int size = il.Length;
        while (il.RemainingBytes > 0)
        {
            ushort opcode = il.ReadByte();
            if (opcode == 0xFE)
            {
                opcode = (ushort)(0xFE00 | il.ReadByte());
            }
            switch (OperandTypes[opcode])
            {
                case System.Reflection.Emit.OperandType.InlineNone:
                    break;
                case System.Reflection.Emit.OperandType.ShortInlineBrTarget:
                case System.Reflection.Emit.OperandType.ShortInlineI:
                case System.Reflection.Emit.OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case System.Reflection.Emit.OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case System.Reflection.Emit.OperandType.InlineI8:
                case System.Reflection.Emit.OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case System.Reflection.Emit.OperandType.InlineSwitch:
                    int targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    size -= 3 + 2 * targets;
                    break;
                case System.Reflection.Emit.OperandType.InlineString:
                case System.Reflection.Emit.OperandType.InlineMethod:
                case System.Reflection.Emit.OperandType.InlineField:
                case System.Reflection.Emit.OperandType.InlineType:
                case System.Reflection.Emit.OperandType.InlineBrTarget:
                    il.Offset += 4;
                    size -= 2;
                    break;
                default: // InlineI, ShortInlineR, InlineTok, InlineSig: 4 bytes, stored as they are
                    il.Offset += 4;
                    break;
            }
        }
        int handlers = body.ExceptionRegions.Length;
        return size + (handlers > 0 ? 8 * handlers + 1 : 0);
    }

    public static IReadOnlyList<AssemblySize> MeasureAll()
    {
        var sizes = new List<AssemblySize>();
        foreach (DialectProject project in RepoLayout.DialectProjects())
        {
            foreach (string configuration in new[] { "Debug", "Release" })
            {
                string path = project.NanoOutput(configuration);
                Assert.IsTrue(File.Exists(path), path + " is missing: the nano compile runs with the solution build");
                sizes.Add(Measure(path, project.NanoAssemblyName, configuration));
            }
        }
        return sizes;
    }

    private static string Percent(int bytes) => (100.0 * bytes / LimitBytes).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";

    [TestMethod]
    public void Every_firmware_assembly_stays_below_75_percent_of_the_byte_code_and_string_limits()
    {
        IReadOnlyList<AssemblySize> sizes = MeasureAll();
        int budget = LimitBytes * BudgetPercent / 100;
        var over = new List<string>();
        Console.WriteLine("assembly                          config   byte code          strings");
        foreach (AssemblySize size in sizes)
        {
            Console.WriteLine(size.Assembly.PadRight(34) + size.Configuration.PadRight(9)
                + (size.ByteCodeBytes + " B").PadLeft(8) + " " + Percent(size.ByteCodeBytes).PadLeft(7) + "   "
                + (size.StringBytes + " B").PadLeft(8) + " " + Percent(size.StringBytes).PadLeft(7));
            if (size.ByteCodeBytes > budget)
            {
                over.Add(size.Assembly + " (" + size.Configuration + "): " + size.ByteCodeBytes + " bytes of byte code, budget " + budget + " (" + BudgetPercent + " % of " + LimitBytes + "): split the assembly");
            }
            if (size.StringBytes > budget)
            {
                over.Add(size.Assembly + " (" + size.Configuration + "): " + size.StringBytes + " bytes of strings, budget " + budget + ": shorten messages or split the assembly");
            }
        }
        Assert.IsGreaterThanOrEqualTo(12, sizes.Count);
        Assert.AreEqual(0, over.Count, string.Join(Environment.NewLine, over));
    }

    [TestMethod]
    public void The_measure_counts_what_an_assembly_holds()
    {
        // The app carries more code than the native HAL, which has no method bodies at all.
        DialectProject native = RepoLayout.DialectProjects().Single(p => p.NanoAssemblyName == "Stratos.Island.Firmware.Native");
        DialectProject core = RepoLayout.DialectProjects().Single(p => p.NanoAssemblyName == "Stratos.Island.Firmware");
        AssemblySize nativeSize = Measure(native.NanoOutput("Release"), native.NanoAssemblyName, "Release");
        AssemblySize coreSize = Measure(core.NanoOutput("Release"), core.NanoAssemblyName, "Release");
        Assert.AreEqual(0, nativeSize.ByteCodeBytes);
        Assert.IsGreaterThan(10_000, coreSize.ByteCodeBytes);
        Assert.IsGreaterThan(nativeSize.StringBytes, coreSize.StringBytes);
        AssemblySize coreDebug = Measure(core.NanoOutput("Debug"), core.NanoAssemblyName, "Debug");
        Assert.IsGreaterThan(coreSize.ByteCodeBytes, coreDebug.ByteCodeBytes, "Debug (unoptimized) byte code is larger than Release");
    }
}
