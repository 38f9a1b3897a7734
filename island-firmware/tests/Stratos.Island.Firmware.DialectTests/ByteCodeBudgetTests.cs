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
//   byte code = the IL of every method body (headers and exception tables excluded);
//   strings   = the #Strings heap (type, member and namespace names) plus every user string ("...")
//               as UTF-8 with its terminator, which is how the .pe string table holds them.
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
                il += pe.GetMethodBody(method.RelativeVirtualAddress).GetILContent().Length;
            }
        }
        int strings = md.GetHeapSize(HeapIndex.String);
        for (UserStringHandle handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = md.GetNextHandle(handle))
        {
            strings += Encoding.UTF8.GetByteCount(md.GetUserString(handle)) + 1;
        }
        return new AssemblySize(assembly, configuration, il, strings);
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
