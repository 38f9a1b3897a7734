using System;
using System.Diagnostics;
using System.IO;

namespace Stratos.Island.Agent.Tests;

/// <summary>The repository root, the heartbeat guest (make -C hil-tests/guest) and the Linux guest (its build.sh), each built once on first use.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> Kernel = new(BuildGuest);

    public static string Root { get; } = FindRoot();

    public static string GuestKernel => Kernel.Value;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Stratos.Island.sln above {AppContext.BaseDirectory}");
    }

    private static string BuildGuest()
    {
        string guestDir = Path.Combine(Root, "hil-tests", "guest");
        RunBuild("make", "-s", "-C", guestDir);
        return Path.Combine(guestDir, "build", "heartbeat.elf");
    }

    private static readonly Lazy<string> Linux = new(() =>
    {
        RunBuild(Path.Combine(Root, "hil-tests", "guest", "linux", "build.sh"));
        return Path.Combine(Root, "hil-tests", "guest", "build", "linux");
    });

    /// <summary>The Linux test guest's folder (vmlinuz, initramfs.cpio.gz), built or found cached by its script.</summary>
    public static string LinuxGuestDir => Linux.Value;

    private static void RunBuild(string tool, params string[] args)
    {
        var startInfo = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using Process build = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {tool} (scripts/install-deps.sh installs what the build needs)");
        var stdout = build.StandardOutput.ReadToEndAsync();
        string stderr = build.StandardError.ReadToEnd();
        build.WaitForExit();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed with status {build.ExitCode}: {stdout.Result}{stderr}");
        }
    }
}
