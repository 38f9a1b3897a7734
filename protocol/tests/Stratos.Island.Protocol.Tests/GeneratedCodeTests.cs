using System.Diagnostics;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Protocol.Tests;

/// <summary>The island message classes are written from link.proto by gen-island-codec.py and
/// checked in; this runs the real script in --check mode so they cannot drift from the proto.</summary>
[TestClass]
public sealed class GeneratedCodeTests
{
    [TestMethod]
    public void Island_message_classes_are_what_the_generator_writes_from_link_proto()
    {
        var start = new ProcessStartInfo("python3")
        {
            ArgumentList = { Path.Combine(Repository.Root, "protocol", "tools", "gen-island-codec.py"), "--check" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(30_000), "gen-island-codec.py --check did not finish in 30 s");
        Assert.AreEqual(0, process.ExitCode, output);
        StringAssert.Contains(output, "up to date");
    }
}
