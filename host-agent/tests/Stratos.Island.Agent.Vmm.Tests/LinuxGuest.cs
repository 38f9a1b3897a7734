using System;
using System.Diagnostics;
using System.IO;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>Builds (or finds cached) the Linux test guest with hil-tests/guest/linux/build.sh, once per test run.</summary>
public static class LinuxGuest
{
    private static readonly Lazy<(string Kernel, string Initrd)> Built = new(Build);

    /// <summary>Debian's kernel, uncompressed (vmlinux, booted at its PVH entry point), as the demo VM boots it.</summary>
    public static string KernelPath => Built.Value.Kernel;

    /// <summary>Debian's kernel image as packaged (the bzImage vmlinuz, which decompresses itself).</summary>
    public static string BzImagePath => Path.Combine(Path.GetDirectoryName(KernelPath)!, "vmlinuz");

    /// <summary>The initramfs the script packs.</summary>
    public static string InitrdPath => Built.Value.Initrd;

    /// <summary>Boot to the first heartbeat under TCG: a few seconds idle, ~10 s on the loaded 2-core VMs.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A TCG spec with the whole guest contract: heartbeat port, watchdog (2 s), pvpanic.</summary>
    public static VmSpec Spec(string name, string cmdline = "console=ttyS0 quiet panic=-1 stratos.watchdog=2") => new()
    {
        Name = name,
        Kernel = KernelPath,
        Initrd = InitrdPath,
        Cmdline = cmdline,
        MemoryMib = 256,
        Accelerator = Accelerator.Tcg,
        HeartbeatPort = true,
        Watchdog = true,
        PanicDevice = true,
    };

    private static (string, string) Build()
    {
        string root = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
            {
                root = dir.FullName;
                break;
            }
        }

        string script = Path.Combine(root, "hil-tests", "guest", "linux", "build.sh");
        var startInfo = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var build = Process.Start(startInfo) ?? throw new InvalidOperationException("cannot start " + script);
        var stdout = build.StandardOutput.ReadToEndAsync();
        string stderr = build.StandardError.ReadToEnd();
        build.WaitForExit();
        if (build.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with status {build.ExitCode}: {stdout.Result}{stderr}");
        string output = Path.Combine(root, "hil-tests", "guest", "build", "linux");
        return (Path.Combine(output, "vmlinux"), Path.Combine(output, "initramfs.cpio.gz"));
    }
}
