using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;

namespace Stratos.Island.Fuzz.Tests;

/// <summary>
/// Every crash afl++ found stays here as an input replayed through the same entry point ./fuzz.sh
/// fuzzes (FuzzTargets), and every committed seed still passes its target.
/// </summary>
[TestClass]
public sealed class FuzzRegressionTests
{
    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "fuzz.sh")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("repository root (fuzz.sh) not found above " + AppContext.BaseDirectory);
        }
    }

    private static string[] Regressions(string target) =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "regressions", target)).Order(StringComparer.Ordinal).ToArray();

    [TestMethod]
    [DataRow("board")]
    [DataRow("island-config")]
    public void Crash_inputs_found_by_the_fuzzer_are_rejected_with_a_clear_error(string target)
    {
        string[] inputs = Regressions(target);
        Assert.IsTrue(inputs.Length > 0, $"no regression inputs for {target}");
        foreach (string input in inputs)
        {
            FuzzTargets.All[target].Run(File.ReadAllBytes(input));
        }
    }

    [TestMethod]
    public void A_yaml_event_the_node_builder_does_not_support_is_a_descriptor_error_naming_the_yaml()
    {
        foreach (string input in Regressions("board"))
        {
            var e = Assert.ThrowsExactly<BoardDescriptorException>(() => BoardLoader.Load(input));
            Assert.IsTrue(e.Errors.Any(m => m.Contains("YAML structure not supported", StringComparison.Ordinal)), string.Join("\n", e.Errors));
        }
    }

    [TestMethod]
    [DataRow("envelope")]
    [DataRow("serial")]
    [DataRow("board")]
    [DataRow("island-config")]
    [DataRow("grpc")]
    [DataRow("vring")]
    public void Every_committed_seed_passes_its_target(string target)
    {
        string[] seeds = Directory.GetFiles(Path.Combine(RepoRoot, "tools/src/Stratos.Island.Fuzz/corpus", target));
        Assert.IsTrue(seeds.Length > 0, $"no seeds for {target}");
        foreach (string seed in seeds)
        {
            FuzzTargets.All[target].Run(File.ReadAllBytes(seed));
        }
    }

    [TestMethod]
    public void The_fuzz_target_list_covers_every_target_fuzz_sh_knows()
    {
        string script = File.ReadAllText(Path.Combine(RepoRoot, "fuzz.sh"));
        foreach (string name in FuzzTargets.All.Keys)
        {
            StringAssert.Contains(script, "[" + name + "]=", $"fuzz.sh has no instrumentation list for {name}");
        }
    }
}
