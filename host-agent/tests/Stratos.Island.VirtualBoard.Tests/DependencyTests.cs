using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.VirtualBoard.Tests;

/// <summary>The launcher sits at the edge: it knows the programs it starts, they never know it.</summary>
[TestClass]
public sealed class DependencyTests
{
    private static readonly string Repo = RepositoryRoot.Require();

    /// <summary>Every project <paramref name="csproj"/> references, directly or not (full paths).</summary>
    private static HashSet<string> Closure(string csproj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>([Path.GetFullPath(csproj)]);
        while (todo.Count > 0)
        {
            string project = todo.Pop();
            foreach (XElement reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                if (seen.Add(target))
                {
                    todo.Push(target);
                }
            }
        }

        return seen;
    }

    private static string Project(string folder) => Directory.GetFiles(Path.Combine(Repo, folder), "*.csproj").Single();

    [TestMethod]
    public void Neither_island_sim_nor_the_agent_references_the_launcher_and_the_launcher_only_the_boards_library()
    {
        string launcher = Project(VirtualBoardBinaries.AgentProject.Replace("Stratos.Island.Agent.Host", "Stratos.Island.VirtualBoard", StringComparison.Ordinal));
        foreach (string program in new[] { VirtualBoardBinaries.SimProject, VirtualBoardBinaries.AgentProject })
        {
            Assert.IsFalse(Closure(Project(program)).Contains(launcher), program + " must not reference " + launcher);
        }

        var direct = XDocument.Load(launcher).Descendants("ProjectReference").Select(r => Path.GetFileName(r.Attribute("Include")!.Value)).ToList();
        CollectionAssert.AreEqual(new[] { "Stratos.Island.Boards.csproj" }, direct);
        Assert.IsTrue(Closure(Project("host-agent/src/Stratos.Island.Cli")).Contains(launcher), "island up/down use the launcher");
        Assert.IsTrue(Closure(Project("hil-tests/src/Stratos.Island.Hil")).Contains(launcher), "the HIL virtual bench uses the launcher");
    }
}
