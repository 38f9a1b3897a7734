using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Protocol.Tests;

/// <summary>The island codec (Enums.cs and Link/*.cs) is written by gen-island-codec.py from the
/// descriptors protoc makes of link.proto, and checked in; this regenerates it into a temporary
/// folder with the real script and fails when a committed file differs, naming the file.</summary>
[TestClass]
public sealed class GeneratedCodeTests
{
    // Debian's interpreter, which has python3-protobuf (another python3 may come first in PATH).
    private const string Python = "/usr/bin/python3";
    private const string RegenerateCommand = "/usr/bin/python3 protocol/tools/gen-island-codec.py";

    private static string CodecFolder => Path.Combine(Repository.Root, "protocol", "src", "Stratos.Island.Codec");

    [TestMethod]
    public void Committed_island_codec_is_what_the_generator_writes_from_link_proto()
    {
        string fresh = Directory.CreateTempSubdirectory("island-codec-").FullName;
        try
        {
            Generate(fresh);
            List<string> differences = Compare(CodecFolder, fresh);
            Assert.AreEqual(0, differences.Count,
                "the committed island codec differs from a fresh generation; run `" + RegenerateCommand + "` and commit the result:\n"
                + string.Join("\n", differences));
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    [TestMethod]
    public void A_hand_edit_or_a_stale_file_is_named_by_the_comparison()
    {
        string fresh = Directory.CreateTempSubdirectory("island-codec-").FullName;
        string edited = Directory.CreateTempSubdirectory("island-codec-edited-").FullName;
        try
        {
            Generate(fresh);
            Generate(edited);
            File.AppendAllText(Path.Combine(edited, "Enums.cs"), "// edited by hand\n");
            File.Delete(Path.Combine(edited, "Link", "Ping.cs"));
            File.WriteAllText(Path.Combine(edited, "Link", "Removed.cs"), "// a message no longer in link.proto\n");

            List<string> differences = Compare(edited, fresh);

            CollectionAssert.AreEquivalent(
                new[]
                {
                    "protocol/src/Stratos.Island.Codec/Enums.cs differs from the generator's output",
                    "protocol/src/Stratos.Island.Codec/Link/Ping.cs is missing",
                    "protocol/src/Stratos.Island.Codec/Link/Removed.cs is not generated (a message removed from link.proto?)",
                },
                differences);
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
            Directory.Delete(edited, recursive: true);
        }
    }

    private static void Generate(string outputFolder)
    {
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { Path.Combine(Repository.Root, "protocol", "tools", "gen-island-codec.py"), "--out", outputFolder },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        using Process process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(60_000), "gen-island-codec.py did not finish in 60 s");
        Assert.AreEqual(0, process.ExitCode, "gen-island-codec.py failed:\n" + output + stderr.Result);
    }

    /// <summary>Every generated file (Enums.cs, Link/*.cs) that differs, is missing or is left over, by repository path.</summary>
    private static List<string> Compare(string committedFolder, string freshFolder)
    {
        static IEnumerable<string> GeneratedFiles(string folder) =>
            Directory.GetFiles(Path.Combine(folder, "Link"), "*.cs").Select(path => "Link/" + Path.GetFileName(path)).Append("Enums.cs");

        const string shown = "protocol/src/Stratos.Island.Codec/";
        var differences = new List<string>();
        var fresh = GeneratedFiles(freshFolder).ToHashSet(StringComparer.Ordinal);
        foreach (string name in fresh.Order(StringComparer.Ordinal))
        {
            string committed = Path.Combine(committedFolder, name);
            if (!File.Exists(committed))
            {
                differences.Add(shown + name + " is missing");
            }
            else if (File.ReadAllText(committed) != File.ReadAllText(Path.Combine(freshFolder, name)))
            {
                differences.Add(shown + name + " differs from the generator's output");
            }
        }

        foreach (string name in GeneratedFiles(committedFolder).Where(name => !fresh.Contains(name)).Order(StringComparer.Ordinal))
        {
            differences.Add(shown + name + " is not generated (a message removed from link.proto?)");
        }

        return differences;
    }
}
