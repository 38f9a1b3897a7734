using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

[TestClass]
public sealed class AllowListTests
{
    [TestMethod]
    public void Repository_allow_list_parses_and_lists_mscorlib_alone()
    {
        AllowList allow = AllowList.Load(RepoLayout.AllowListPath);
        Assert.IsGreaterThan(100, allow.Entries.Count);
        string[] repositories = allow.Sources.Select(s => s.Repository).Distinct().ToArray();
        // The firmware depends on mscorlib (nanoFramework.CoreLibrary) alone: no other package restores here.
        CollectionAssert.AreEqual(new[] { "nanoframework/CoreLibrary" }, repositories);
        Assert.IsNull(allow.FindType("System.Text.StringBuilder"));
        Assert.IsNull(allow.FindType("System.Text.Encoding"));
        Assert.IsTrue(allow.Entries.All(e => e.Source != null || e.BuildOnly), "an entry has no source");
    }

    [TestMethod]
    public void Alias_targets_are_themselves_allowed()
    {
        AllowList allow = AllowList.Load(RepoLayout.AllowListPath);
        foreach (AllowListEntry entry in allow.Entries.Where(e => e.AliasTargets.Count > 0))
        {
            foreach (string target in entry.AliasTargets)
            {
                AllowList single = AllowList.Parse(["[source a/b c]", target], "alias");
                AllowListEntry parsed = single.Entries[0];
                Assert.IsNotNull(allow.FindMember(parsed.TypeName, parsed.MemberName!, parsed.Arity ?? 0, parsed.Parameters),
                    "alias target " + target + " of line " + entry.Line + " is not allowed itself");
            }
        }
    }

    [TestMethod]
    public void Arity_and_exact_parameter_entries_select_overloads()
    {
        AllowList allow = AllowList.Parse([
            "[source nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/Threading/Monitor.cs]",
            "System.Threading.Monitor::Enter/1",
            "System.Math::Max(int,int)",
        ], "test");
        Assert.IsNotNull(allow.FindMember("System.Threading.Monitor", "Enter", 1, ["object"]));
        Assert.IsNull(allow.FindMember("System.Threading.Monitor", "Enter", 2, ["object", "bool&"]));
        Assert.IsNotNull(allow.FindMember("System.Math", "Max", 2, ["int", "int"]));
        Assert.IsNull(allow.FindMember("System.Math", "Max", 2, ["uint", "uint"]));
        Assert.IsNotNull(allow.FindType("System.Math"));
    }

    [TestMethod]
    public void Entry_without_a_source_section_is_rejected_with_file_and_line()
    {
        AllowListFormatException error = Assert.ThrowsExactly<AllowListFormatException>(
            () => AllowList.Parse(["System.Object"], "api.txt"));
        StringAssert.Contains(error.Message, "api.txt:1:");
        StringAssert.Contains(error.Message, "source");
    }

    [TestMethod]
    public void Unknown_section_is_rejected()
    {
        AllowListFormatException error = Assert.ThrowsExactly<AllowListFormatException>(
            () => AllowList.Parse(["[sauce x y]", "System.Object"], "api.txt"));
        StringAssert.Contains(error.Message, "unknown section");
    }
}
