using System;
using System.Diagnostics;
using System.IO;

namespace Stratos.Island.Agent.Tests;

/// <summary>The repository root and the heartbeat guest (built once with make -C hil-tests/guest on first use).</summary>
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
        var startInfo = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("-s");
        startInfo.ArgumentList.Add("-C");
        startInfo.ArgumentList.Add(guestDir);
        using Process make = Process.Start(startInfo) ?? throw new InvalidOperationException("cannot start make (install make and gcc: scripts/install-deps.sh)");
        var stdout = make.StandardOutput.ReadToEndAsync();
        string stderr = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0)
        {
            throw new InvalidOperationException($"make -C {guestDir} failed with status {make.ExitCode}: {stdout.Result}{stderr}");
        }

        return Path.Combine(guestDir, "build", "heartbeat.elf");
    }
}
