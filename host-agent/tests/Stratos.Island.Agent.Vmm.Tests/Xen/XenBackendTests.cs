using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm.Xen;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

// The Xen backend's own decisions without Xen: what a VM definition becomes (and what it cannot be),
// and its bad-input paths with real processes failing as the toolstack can. For the toolstack's
// failures, small shell scripts stand in for xl and xenstore-watch (xl needs a dom0: the real
// backend runs in the Xen machine, XenMachineTests and XenBoardTests).
[TestClass]
public sealed class XenBackendTests
{
    private static VmSpec Linux(Func<VmSpec, VmSpec>? change = null)
    {
        var spec = new VmSpec
        {
            Name = "linux",
            Machine = "xen-pv",
            Kernel = "/repo/hil-tests/guest/build/linux/vmlinuz",
            Initrd = "/repo/hil-tests/guest/build/linux/initramfs.cpio.gz",
            Cmdline = "console=hvc0 quiet stratos.heartbeat=hvc0",
            MemoryMib = 128,
            Vcpus = 2,
        };
        return change is null ? spec : change(spec);
    }

    [TestMethod]
    public void A_vm_definition_becomes_a_pv_domain_with_its_kernel_initrd_cmdline_memory_and_vcpus()
    {
        XenDomainSpec domain = XenBackend.DomainSpec(Linux());
        Assert.AreEqual("linux", domain.Name);
        Assert.AreEqual("/repo/hil-tests/guest/build/linux/vmlinuz", domain.Kernel);
        Assert.AreEqual("/repo/hil-tests/guest/build/linux/initramfs.cpio.gz", domain.Ramdisk);
        Assert.AreEqual("console=hvc0 quiet stratos.heartbeat=hvc0", domain.Cmdline);
        Assert.AreEqual(128u, domain.MemoryMib);
        Assert.AreEqual(2u, domain.Vcpus);
        string config = XlConfig.Generate(domain, checkFiles: false);
        StringAssert.Contains(config, "ramdisk = \"/repo/hil-tests/guest/build/linux/initramfs.cpio.gz\"\n");
    }

    [TestMethod]
    public void Qemu_only_parts_of_a_definition_are_refused_naming_the_field()
    {
        var cases = new (Func<VmSpec, VmSpec> Change, string Field)[]
        {
            (s => s with { Machine = "microvm" }, "machine"),
            (s => s with { Disk = "/repo/disk.img" }, "disk"),
            (s => s with { HeartbeatPort = true }, "heartbeat_port"),
            (s => s with { Watchdog = true }, "watchdog"),
            (s => s with { PanicDevice = true }, "panic_device"),
            (s => s with { ExtraArgs = new[] { "-device", "isa-debug-exit" } }, "extra_args"),
        };
        foreach (var (change, field) in cases)
        {
            var e = Assert.ThrowsExactly<VmmException>(() => XenBackend.DomainSpec(Linux(change)), field);
            Assert.AreEqual(VmmErrorKind.InvalidSpec, e.Kind);
            StringAssert.StartsWith(e.Message, $"VM 'linux': {field}:");
        }
    }

    [TestMethod]
    public async Task Without_xenstore_watch_a_start_fails_naming_the_tool_and_leaves_nothing()
    {
        using var dir = new TempDir();
        await using var backend = new XenBackend(new XenBackendOptions { RuntimeDirectory = dir.Path, XenstoreWatch = "/nonexistent/xenstore-watch" });
        IVmmBackend contract = backend;
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => contract.StartAsync(Linux(s => s with { Kernel = Kernel(dir), Initrd = null }), null));
        Assert.AreEqual(VmmErrorKind.XenToolFailed, e.Kind);
        StringAssert.Contains(e.Message, "/nonexistent/xenstore-watch");
        StringAssert.Contains(e.Message, "dom0");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(dir.Path).Length - 1, "only the kernel file the test made");
    }

    [TestMethod]
    public async Task A_failing_xl_create_is_reported_with_its_stderr_and_leaves_no_folder_and_no_domain()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "xl.log");
        // xl: an empty domain list (dom0 only), and a create that fails as xl does on a bad kernel.
        string xl = Script(dir, "xl", $"""
            echo "$@" >> '{log}'
            case "$1" in
              list) {XlListDom0} ;;
              create) echo 'libxl: error: libxl_dom.c:xc_dom_kernel_file: failed to open kernel' >&2; exit 3 ;;
              *) echo "unexpected xl $1" >&2; exit 9 ;;
            esac
            """);
        string runtime = Runtime(dir);
        await using XenBackend backend = Backend(dir, xl);
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => backend.StartAsync(XenBackend.DomainSpec(Linux(s => s with { Kernel = Kernel(dir), Initrd = null }))));

        Assert.AreEqual(VmmErrorKind.XenToolFailed, e.Kind);
        StringAssert.Contains(e.Message, "domain 'linux' did not start (xl create)");
        StringAssert.Contains(e.Message, "exit status 3");
        StringAssert.Contains(e.Message, "failed to open kernel");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(runtime).Length, "no runtime folder left");
        Assert.AreEqual(0, backend.Domains.Count);
        // The create never produced a domain (the list afterwards shows none), so nothing is destroyed either.
        CollectionAssert.AreEqual(new[] { "list", "create -p -f " + Path.Combine(runtime, "linux", "domain.cfg"), "list" }, File.ReadAllLines(log));
    }

    /// <summary>
    /// `xl create` failing after it built the domain (the Xen run of 2026-12-07 20:41 UTC: an `xl
    /// create` killed at its 60 s time-out left 'web' as a domain, and every later start was refused
    /// as "already exists, not started by this agent"): the domain of that name is destroyed and the
    /// folder removed.
    /// </summary>
    [TestMethod]
    public async Task A_failed_xl_create_that_built_the_domain_anyway_leaves_no_domain()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "xl.log");
        string built = Path.Combine(dir.Path, "built");
        string xl = Script(dir, "xl", $"""
            echo "$@" >> '{log}'
            case "$1" in
              list) {XlListDom0}
                    [ ! -f '{built}' ] || echo 'linux                                        9   128     1     --p---       0.1' ;;
              create) touch '{built}'; echo 'libxl: error: libxl_create.c: domain creation interrupted' >&2; exit 3 ;;
              destroy) rm -f '{built}' ;;
              *) echo "unexpected xl $1" >&2; exit 9 ;;
            esac
            """);
        string runtime = Runtime(dir);
        await using XenBackend backend = Backend(dir, xl);
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => backend.StartAsync(XenBackend.DomainSpec(Linux(s => s with { Kernel = Kernel(dir), Initrd = null }))));

        StringAssert.Contains(e.Message, "domain 'linux' did not start (xl create)");
        CollectionAssert.AreEqual(new[] { "list", "create -p -f " + Path.Combine(runtime, "linux", "domain.cfg"), "list", "destroy linux" }, File.ReadAllLines(log));
        Assert.IsFalse(File.Exists(built), "the domain the create built is destroyed");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(runtime).Length, "no runtime folder left");
        Assert.AreEqual(0, backend.Domains.Count);
    }

    [TestMethod]
    public async Task A_domain_of_the_same_name_not_started_by_the_agent_is_not_started_twice()
    {
        using var dir = new TempDir();
        string xl = Script(dir, "xl", $"""
            case "$1" in
              list) {XlListDom0}
                    echo 'linux                                        7   128     1     -b----       3.1' ;;
              *) echo "unexpected xl $1" >&2; exit 9 ;;
            esac
            """);
        string runtime = Runtime(dir);
        await using XenBackend backend = Backend(dir, xl);
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => backend.StartAsync(XenBackend.DomainSpec(Linux(s => s with { Kernel = Kernel(dir), Initrd = null }))));
        Assert.AreEqual(VmmErrorKind.InvalidState, e.Kind);
        StringAssert.Contains(e.Message, "already exists (id 7");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(runtime).Length);
    }

    [TestMethod]
    public async Task Adoption_destroys_domains_of_unknown_vms_removes_folders_of_gone_ones_and_leaves_foreign_domains_alone()
    {
        using var dir = new TempDir();
        string log = Path.Combine(dir.Path, "xl.log");
        string xl = Script(dir, "xl", $"""
            echo "$@" >> '{log}'
            case "$1" in
              list) {XlListDom0}
                    echo 'old                                          4   128     1     -b----       3.1'
                    echo 'crashed                                      5   128     1     ----c-       3.1'
                    echo 'foreign                                      6   128     1     -b----       3.1' ;;
              destroy) ;;
              *) echo "unexpected xl $1" >&2; exit 9 ;;
            esac
            """);
        string runtime = Runtime(dir);
        foreach (string name in new[] { "old", "crashed", "gone" })
        {
            Directory.CreateDirectory(Path.Combine(runtime, name));
            File.WriteAllText(Path.Combine(runtime, name, "domain.cfg"), "name = \"" + name + "\"\n");
        }

        await using XenBackend backend = Backend(dir, xl);
        string kernel = Kernel(dir);
        var (adopted, stale) = await backend.AdoptAsync(name => name == "crashed" ? new XenDomainSpec { Name = name, Kernel = kernel } : null);

        Assert.AreEqual(0, adopted.Count);
        var byName = stale.ToDictionary(s => s.VmName);
        Assert.AreEqual(3, byName.Count);
        Assert.IsTrue(byName["old"].Killed);
        StringAssert.Contains(byName["old"].Detail, "no VM of that name: domain 4 destroyed");
        Assert.IsTrue(byName["crashed"].Killed);
        StringAssert.Contains(byName["crashed"].Detail, "found Crashed: domain 5 destroyed");
        Assert.IsFalse(byName["gone"].Killed);
        Assert.AreEqual(-1, byName["gone"].Pid);
        Assert.AreEqual(0, Directory.GetFileSystemEntries(runtime).Length, "every folder removed");
        string[] calls = File.ReadAllLines(log);
        CollectionAssert.Contains(calls, "destroy old");
        CollectionAssert.Contains(calls, "destroy crashed");
        Assert.IsFalse(calls.Any(c => c.Contains("foreign", StringComparison.Ordinal)), "a domain without a folder is not this backend's");
    }

    [TestMethod]
    public async Task A_domain_that_boots_but_never_heartbeats_is_destroyed_by_the_kill_and_leaves_no_domain_no_console_and_no_folder()
    {
        // The island's answer to a START that never reaches RUNNING (no first heartbeat within
        // start_timeout_ms) is a KILL; this is the agent's side of it on the production path: xl
        // creates the domain, its console is a real pty that never carries a heartbeat.
        using var dir = new TempDir();
        using var console = ConsolePtyTests.PtyPair.Open();
        string log = Path.Combine(dir.Path, "xl.log");
        string created = Path.Combine(dir.Path, "created");
        string xl = Script(dir, "xl", $"""
            echo "$@" >> '{log}'
            case "$1" in
              list) {XlListDom0}
                    [ -f '{created}' ] && echo 'linux                                        9   128     1     -b----       0.4' ;;
              create) touch '{created}' ;;
              domid) echo 9 ;;
              unpause) ;;
              destroy) rm -f '{created}' ;;
              *) echo "unexpected xl $1" >&2; exit 9 ;;
            esac
            exit 0
            """);
        string read = Script(dir, "xenstore-read", $"[ \"$1\" = /local/domain/9/console/tty ] && echo '{console.SlavePath}'");
        string runtime = Runtime(dir);
        await using XenBackend backend = Backend(dir, xl, read);
        XenDomain domain = await backend.StartAsync(XenBackend.DomainSpec(Linux(s => s with { Kernel = Kernel(dir), Initrd = null })));
        int heartbeats = 0;
        domain.Serial!.Heartbeat += _ => Interlocked.Increment(ref heartbeats);
        Assert.AreEqual(9, domain.DomainId);
        Assert.AreEqual(console.SlavePath, domain.ConsolePath);
        Assert.IsTrue(Directory.Exists(Path.Combine(runtime, "linux")), "the domain's folder while it runs");

        Assert.IsTrue(Directory.GetFiles("/proc/self/fd").Any(fd => Target(fd) == console.SlavePath), "the agent reads the console while the domain runs");

        await Task.Delay(500);
        VmObservation killed = await domain.KillAsync();

        Assert.AreEqual(0, heartbeats, "the guest never sent one");
        Assert.AreEqual(ObservedVmState.NotRunning, killed.State);
        Assert.AreEqual("destroyed (xl destroy)", killed.Detail);
        Assert.IsTrue(domain.Ended.IsCompleted);
        CollectionAssert.Contains(File.ReadAllLines(log), "destroy linux");
        Assert.IsFalse(File.Exists(created), "no domain left");
        Assert.AreEqual(0, backend.Domains.Count, "the backend tracks no domain");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(runtime).Length, "no runtime folder left");
        // The agent let go of the console: its side of the pty is closed, so the master reads no more.
        Assert.IsFalse(Directory.GetFiles("/proc/self/fd").Any(fd => Target(fd) == console.SlavePath), "no descriptor of the console pty left open");
    }

    private static string? Target(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // What a fake xl prints first for 'list': the header and dom0 (more domains on lines of their own).
    private const string XlListDom0 = "echo 'Name                                        ID   Mem VCPUs	State	Time(s)'; "
        + "echo 'Domain-0                                     0  1536     2     r-----      12.0'";

    private static string Runtime(TempDir dir) => Path.Combine(dir.Path, "run");

    // The backend on the test's fake tools: xl, xenstore-read when given, and a xenstore-watch that
    // reports each watch once and waits; its runtime folder is Runtime(dir).
    private static XenBackend Backend(TempDir dir, string xl, string? read = null)
    {
        var options = new XenBackendOptions
        {
            RuntimeDirectory = Runtime(dir), Xl = xl, XenstoreWatch = Script(dir, "xenstore-watch", "echo \"$1\"; exec sleep 600"),
        };
        return new XenBackend(read == null ? options : options with { XenstoreRead = read });
    }

    private static string Kernel(TempDir dir)
    {
        string path = Path.Combine(dir.Path, "vmlinuz");
        File.WriteAllText(path, "not a kernel: xl is not run on it here");
        return path;
    }

    private static string Script(TempDir dir, string name, string body)
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private sealed class TempDir : IDisposable
    {
        public TempDir() => Path = Directory.CreateTempSubdirectory("stratos-xenb-").FullName;

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
