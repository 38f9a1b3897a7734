using System;
using System.Collections;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Cli.Tests;

/// <summary>The lazily built command tree reads exactly like the whole one.</summary>
[TestClass]
public sealed class CommandTreeTests
{
    [TestMethod]
    public void Every_placeholder_has_the_name_and_description_of_its_real_command()
    {
        var whole = Program.BuildRoot();
        CollectionAssert.AreEqual(Program.TopLevel.Select(t => t.Name).ToArray(), whole.Subcommands.Select(c => c.Name).ToArray());
        foreach (var (name, description, create) in Program.TopLevel)
        {
            var real = create();
            Assert.AreEqual(name, real.Name);
            Assert.AreEqual(description, real.Description, $"placeholder description of '{name}'");
        }
    }

    [TestMethod]
    public void A_command_line_builds_only_the_subtree_it_names()
    {
        var root = Program.BuildRoot(new[] { "--socket", "/x.sock", "vm", "list" });
        Assert.IsTrue(root.Subcommands.Single(c => c.Name == "vm").Subcommands.Count > 5);
        Assert.AreEqual(0, root.Subcommands.Single(c => c.Name == "board").Subcommands.Count, "board (YamlDotNet, boards library) stays unbuilt");
        Assert.AreEqual(0, root.Subcommands.Single(c => c.Name == "power").Subcommands.Count);
    }

    [TestMethod]
    public void A_directive_builds_every_subtree()
    {
        var root = Program.BuildRoot(new[] { "[suggest:12]", "island vm st" });
        Assert.IsTrue(root.Subcommands.Single(c => c.Name == "board").Subcommands.Count > 0);
        Assert.IsTrue(root.Subcommands.Single(c => c.Name == "vm").Subcommands.Count > 0);
    }

    [TestMethod]
    public async Task Root_help_lists_every_command_as_the_whole_tree_does()
    {
        var lazy = await RunAsync(new[] { "--help" });
        var whole = new StringWriter();
        await Program.BuildRoot().Parse(new[] { "--help" }).InvokeAsync(new InvocationConfiguration { Output = whole, Error = new StringWriter() });
        Assert.AreEqual(whole.ToString(), lazy);
        foreach (var (name, _, _) in Program.TopLevel)
        {
            StringAssert.Contains(lazy, "  " + name + " ");
        }
    }

    [TestMethod]
    public async Task Unknown_top_level_command_is_a_usage_error_naming_it()
    {
        var stderr = new StringWriter();
        int exit = await Program.RunAsync(new[] { "vmm", "list" }, new StringWriter(), stderr, new Hashtable(), false);
        Assert.AreEqual(ExitCodes.Usage, exit);
        StringAssert.Contains(stderr.ToString(), "'vmm'");
        StringAssert.Contains(stderr.ToString(), "(see 'island --help')");
    }

    private static async Task<string> RunAsync(string[] args)
    {
        var stdout = new StringWriter();
        await Program.RunAsync(args, stdout, new StringWriter(), new Hashtable(), false);
        return stdout.ToString();
    }
}
