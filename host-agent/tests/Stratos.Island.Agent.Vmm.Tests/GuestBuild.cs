using System;
using System.Diagnostics;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>Builds the heartbeat guest (make -C hil-tests/guest) once before any test runs.</summary>
[TestClass]
public static class GuestBuild
{
    /// <summary>Absolute path of hil-tests/guest/build/heartbeat.elf once built.</summary>
    public static string KernelPath { get; private set; } = "";

    [AssemblyInitialize]
    public static void BuildGuest(TestContext context)
    {
        _ = context;
        string root = FindRepoRoot();
        string guestDir = Path.Combine(root, "hil-tests", "guest");
        if (!OnPath("gcc") || !OnPath("make"))
            throw new InvalidOperationException("building the heartbeat guest needs gcc and make: install the Debian packages gcc and make (scripts/install-deps.sh)");
        var startInfo = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("-C");
        startInfo.ArgumentList.Add(guestDir);
        using var make = Process.Start(startInfo) ?? throw new InvalidOperationException("cannot start make");
        var stdout = make.StandardOutput.ReadToEndAsync();
        string stderr = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0)
            throw new InvalidOperationException($"make -C {guestDir} failed with status {make.ExitCode}: {stdout.Result}{stderr}");
        KernelPath = Path.Combine(guestDir, "build", "heartbeat.elf");
        if (!File.Exists(KernelPath))
            throw new InvalidOperationException($"make -C {guestDir} succeeded but {KernelPath} is missing");
    }

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no Stratos.Island.sln above {AppContext.BaseDirectory}");
    }

    private static bool OnPath(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, tool)))
                return true;
        return false;
    }
}
