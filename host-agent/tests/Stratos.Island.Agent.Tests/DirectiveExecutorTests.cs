using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.State;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Agent.Vms;
using Stratos.Island.Protocol.Link.V1;
using ProtoObserved = Stratos.Island.Protocol.Link.V1.ObservedVmState;

namespace Stratos.Island.Agent.Tests;

/// <summary>Directives executed on real QEMU running the heartbeat guest; reports and relayed heartbeats recorded.</summary>
[TestClass]
public sealed class DirectiveExecutorTests
{
    private sealed class Recorder : ISupervisionSink
    {
        public ConcurrentQueue<Envelope> Messages { get; } = new();

        public bool Post(Envelope message)
        {
            Messages.Enqueue(message);
            return true;
        }
    }

    private sealed class Rig : IAsyncDisposable
    {
        public Rig(string? runtimeDirectory = null)
        {
            Dir = new TempDir();
            Backend = new QemuBackend(new QemuBackendOptions { RuntimeDirectory = runtimeDirectory ?? Dir.Path, StopGracePeriod = TimeSpan.FromMilliseconds(300) });
            Cache = new StateCache();
            Cache.SeedDefinitions(new[]
            {
                new VmDefinition
                {
                    VmId = 1, Name = "base",
                    Vmm = new VmmConfig { Machine = "microvm", MemoryMib = 32, Vcpus = 1, Kernel = RepoPaths.GuestKernel, Cmdline = "hb.rate=20 hb.cps=1,2" },
                },
                new VmDefinition { VmId = 2, Name = "broken", Vmm = new VmmConfig { Kernel = "no/such/kernel.elf" } },
                new VmDefinition
                {
                    VmId = 3, Name = "linux",
                    Vmm = new VmmConfig
                    {
                        Machine = "microvm", MemoryMib = 256, Vcpus = 1, Accelerator = VmmAccelerator.Tcg,
                        Kernel = "hil-tests/guest/build/linux/vmlinuz", Initrd = "hil-tests/guest/build/linux/initramfs.cpio.gz",
                        Cmdline = "console=ttyS0 quiet panic=-1 stratos.watchdog=0", HeartbeatPort = true, PanicDevice = true,
                    },
                },
                new VmDefinition
                {
                    VmId = 4, Name = "linux-watchdog",
                    Vmm = new VmmConfig
                    {
                        Machine = "microvm", MemoryMib = 256, Vcpus = 1, Accelerator = VmmAccelerator.Tcg,
                        Kernel = "hil-tests/guest/build/linux/vmlinuz", Initrd = "hil-tests/guest/build/linux/initramfs.cpio.gz",
                        Cmdline = "console=ttyS0 quiet panic=-1 stratos.watchdog=2", HeartbeatPort = true, Watchdog = true,
                    },
                },
            });
            Executor = new DirectiveExecutor(Backend, Cache, new VmSpecFactory(RepoPaths.Root, new[] { "-device", "pvpanic" }), new HeartbeatRelay(Sink), Sink, NullLogger.Instance);
        }

        public TempDir Dir { get; }
        public QemuBackend Backend { get; }
        public StateCache Cache { get; }
        public Recorder Sink { get; } = new();
        public DirectiveExecutor Executor { get; }

        public VmStateReport[] Reports(uint vmId) => Sink.Messages.Where(m => m.VmStateReport?.VmId == vmId).Select(m => m.VmStateReport).ToArray();

        public async Task<VmStateReport> WaitReportAsync(Func<VmStateReport, bool> match, string what, int timeoutMs = 10000)
        {
            long deadline = Environment.TickCount64 + timeoutMs;
            while (true)
            {
                VmStateReport? report = Sink.Messages.Select(m => m.VmStateReport).FirstOrDefault(r => r is not null && match(r));
                if (report is not null)
                {
                    return report;
                }

                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException("no report: " + what + "; got: " + string.Join(" | ", Sink.Messages.Where(m => m.VmStateReport is not null).Select(m => m.VmStateReport.ToString())));
                }

                await Task.Delay(10);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Executor.DisposeAsync();
            await Backend.DisposeAsync();
            Dir.Dispose();
        }
    }

    /// <summary>
    /// The executor on a Xen board (vmm: xen) drives the Xen backend through the same contract: a
    /// definition with a device only QEMU has is START_FAILED naming the field (before any xl runs:
    /// this host has no Xen), and directives for a VM without a domain say so.
    /// </summary>
    [TestMethod]
    public async Task On_a_xen_board_a_qemu_only_device_fails_the_start_naming_it_and_stop_reports_no_domain()
    {
        using var dir = new TempDir();
        await using var backend = new Stratos.Island.Agent.Vmm.Xen.XenBackend(new Stratos.Island.Agent.Vmm.Xen.XenBackendOptions { RuntimeDirectory = dir.Path });
        var cache = new StateCache();
        cache.SeedDefinitions(new[]
        {
            new VmDefinition
            {
                VmId = 1, Name = "linux",
                Vmm = new VmmConfig { Machine = "xen-pv", MemoryMib = 128, Kernel = "hil-tests/guest/build/linux/vmlinuz", HeartbeatPort = true },
            },
        });
        var sink = new Recorder();
        await using var executor = new DirectiveExecutor(backend, cache, new VmSpecFactory(RepoPaths.Root), new HeartbeatRelay(sink), sink, NullLogger.Instance);

        await executor.HandleAsync(new VmDirective { DirectiveId = 1, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 5000 });
        await executor.HandleAsync(new VmDirective { DirectiveId = 2, VmId = 1, Action = DirectiveAction.Stop, TimeoutMs = 5000 });
        await executor.HandleAsync(new VmDirective { DirectiveId = 3, VmId = 1, Action = DirectiveAction.Pause });

        VmStateReport[] reports = sink.Messages.Select(m => m.VmStateReport).Where(r => r is not null).OrderBy(r => r.DirectiveId).ToArray();
        Assert.AreEqual(ProtoObserved.StartFailed, reports[0].State);
        StringAssert.StartsWith(reports[0].Detail, "VM 'linux': heartbeat_port: a Xen PV domain has no virtio");
        Assert.AreEqual(ProtoObserved.NotRunning, reports[1].State);
        Assert.AreEqual("no Xen domain running", reports[1].Detail);
        Assert.AreEqual("cannot pause: no Xen domain running", reports[2].Detail);
        Assert.AreEqual(0, System.IO.Directory.GetFileSystemEntries(dir.Path).Length, "nothing created");
    }

    [TestMethod]
    [Timeout(120_000)]
    [Verifies("IslDsgn~guest-heartbeat-port~1")]
    public async Task A_vm_with_a_heartbeat_port_is_running_at_its_guests_first_heartbeat_and_starting_before()
    {
        _ = RepoPaths.LinuxGuestDir;   // built (or found cached) before QEMU needs it
        await using var rig = new Rig();

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 31, VmId = 3, Action = DirectiveAction.Start, TimeoutMs = 60000 });
        await WaitAsync(() => rig.Executor.Running(3) is not null, "QEMU of the Linux VM running");
        rig.Executor.ReportAll(new uint[] { 3 });
        VmStateReport resync = await rig.WaitReportAsync(r => r.VmId == 3 && r.DirectiveId == 0, "re-sync while booting");
        Assert.AreEqual(ProtoObserved.Starting, resync.State, "the kernel boots: not RUNNING yet");
        VmStateReport running = await rig.WaitReportAsync(r => r.DirectiveId == 31, "RUNNING at the first heartbeat", 60000);

        Assert.AreEqual(ProtoObserved.Running, running.State);
        StringAssert.Contains(running.Detail, "guest alive (HB 1 on its heartbeat port)");
        var messages = rig.Sink.Messages.ToList();
        int report = messages.FindIndex(m => m.VmStateReport?.DirectiveId == 31);
        int firstAlive = messages.FindIndex(m => m.AliveIndication is { EntityId: 3 });
        Assert.IsTrue(firstAlive < 0 || report < firstAlive, "RUNNING goes out before the first relayed indication");
        await WaitAsync(() => rig.Sink.Messages.Count(m => m.AliveIndication is { EntityId: 3 }) >= 3, "three heartbeats relayed from the port");
    }

    [TestMethod]
    [Timeout(120_000)]
    [Verifies("IslDsgn~guest-watchdog~1")]
    public async Task A_hung_linux_guest_trips_its_i6300esb_and_the_island_is_told_the_vm_hung()
    {
        _ = RepoPaths.LinuxGuestDir;
        await using var rig = new Rig();

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 41, VmId = 4, Action = DirectiveAction.Start, TimeoutMs = 60000 });
        await rig.WaitReportAsync(r => r.DirectiveId == 41 && r.State == ProtoObserved.Running, "RUNNING at the first heartbeat", 60000);
        var vm = (QemuVm)rig.Executor.Running(4)!;
        // The guest's helper stops pinging and the kernel stops too: only the armed watchdog can tell.
        await vm.HeartbeatPort!.SendCommandAndWaitAsync("hang", TimeSpan.FromSeconds(10));

        VmStateReport hung = await rig.WaitReportAsync(r => r.VmId == 4 && r.State == ProtoObserved.Hung, "HUNG reported to the island", 20000);
        StringAssert.Contains(hung.Detail, "watchdog");
        Assert.AreSame(vm, rig.Executor.Running(4), "QEMU's watchdog action is none: QEMU still runs, the island decides");
        Assert.IsFalse(vm.Ended.IsCompleted);
    }

    [TestMethod]
    [Verifies("IslDsgn~heartbeat-relay~1")]
    public async Task Start_reports_running_with_the_directive_id_and_heartbeats_become_alive_indications()
    {
        await using var rig = new Rig();

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 11, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 });
        VmStateReport running = await rig.WaitReportAsync(r => r.DirectiveId == 11, "start");

        Assert.AreEqual(ProtoObserved.Running, running.State);
        Assert.IsTrue(rig.Cache.ToApiVm(1).Pid > 0, "the pid is known to the cache");
        await WaitAsync(() => rig.Sink.Messages.Count(m => m.AliveIndication is { EntityId: 1, Count: 1 }) >= 3, "three relayed heartbeats");
        await WaitAsync(() => rig.Sink.Messages.Any(m => m.Checkpoint is { EntityId: 1, CheckpointId: 2 }), "checkpoint 2 relayed");

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 12, VmId = 1, Action = DirectiveAction.Stop, TimeoutMs = 3000 });
        VmStateReport stopped = await rig.WaitReportAsync(r => r.DirectiveId == 12, "stop");
        Assert.AreEqual(ProtoObserved.NotRunning, stopped.State);
        Assert.AreEqual(0u, rig.Cache.ToApiVm(1).Pid);
        Assert.IsNull(rig.Executor.Running(1));
    }

    [TestMethod]
    public async Task Pause_and_resume_report_the_new_state()
    {
        await using var rig = new Rig();
        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 1, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 });
        await rig.WaitReportAsync(r => r.DirectiveId == 1, "start");

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 2, VmId = 1, Action = DirectiveAction.Pause });
        Assert.AreEqual(ProtoObserved.Paused, (await rig.WaitReportAsync(r => r.DirectiveId == 2, "pause")).State);
        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 3, VmId = 1, Action = DirectiveAction.Resume });
        Assert.AreEqual(ProtoObserved.Running, (await rig.WaitReportAsync(r => r.DirectiveId == 3, "resume")).State);
        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 4, VmId = 1, Action = DirectiveAction.Kill });
        Assert.AreEqual(ProtoObserved.NotRunning, (await rig.WaitReportAsync(r => r.DirectiveId == 4, "kill")).State);
    }

    [TestMethod]
    public async Task A_start_that_cannot_work_reports_start_failed_with_the_reason()
    {
        await using var rig = new Rig();

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 5, VmId = 2, Action = DirectiveAction.Start, TimeoutMs = 5000 });
        VmStateReport report = await rig.WaitReportAsync(r => r.DirectiveId == 5, "start failure");

        Assert.AreEqual(ProtoObserved.StartFailed, report.State);
        StringAssert.Contains(report.Detail, "kernel file");
        Assert.IsTrue(System.Text.Encoding.UTF8.GetByteCount(report.Detail) <= 64);
    }

    [TestMethod]
    public async Task Stop_for_a_vm_without_qemu_reports_not_running()
    {
        await using var rig = new Rig();

        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 6, VmId = 1, Action = DirectiveAction.Stop });

        Assert.AreEqual(ProtoObserved.NotRunning, (await rig.WaitReportAsync(r => r.DirectiveId == 6, "stop")).State);
    }

    [TestMethod]
    public async Task A_guest_crash_becomes_a_spontaneous_crashed_report()
    {
        await using var rig = new Rig();
        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 7, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 });
        await rig.WaitReportAsync(r => r.DirectiveId == 7, "start");
        IVmmInstance vm = rig.Executor.Running(1)!;

        await WaitAsync(() => rig.Sink.Messages.Any(m => m.AliveIndication is { EntityId: 1 }), "a first heartbeat (the guest reads commands)");
        await vm.Serial!.SendCommandAndWaitAsync("crash", TimeSpan.FromSeconds(5));
        VmStateReport crashed = await rig.WaitReportAsync(r => r.DirectiveId == 0 && r.State == ProtoObserved.Crashed, "spontaneous crash");

        Assert.AreEqual(1u, crashed.VmId);
        await WaitAsync(() => rig.Executor.Running(1) is null, "the crashed VM forgotten");
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public async Task Resync_reports_every_vm_with_its_real_state()
    {
        await using var rig = new Rig();
        await rig.Executor.HandleAsync(new VmDirective { DirectiveId = 8, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 });
        await rig.WaitReportAsync(r => r.DirectiveId == 8, "start");

        rig.Executor.ReportAll(rig.Cache.VmIds());

        VmStateReport[] base_ = rig.Reports(1).Where(r => r.DirectiveId == 0).ToArray();
        VmStateReport[] broken = rig.Reports(2).Where(r => r.DirectiveId == 0).ToArray();
        Assert.AreEqual(ProtoObserved.Running, base_.Last().State);
        Assert.AreEqual(ProtoObserved.NotRunning, broken.Last().State);
    }

    [TestMethod]
    public async Task A_qemu_left_by_a_previous_agent_is_readopted_reported_running_relayed_and_stoppable()
    {
        await using var previous = new Rig();
        await previous.Executor.HandleAsync(new VmDirective { DirectiveId = 1, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 });
        await previous.WaitReportAsync(r => r.DirectiveId == 1, "start");
        int pid = previous.Executor.Running(1)!.Pid;
        await previous.Executor.Running(1)!.DetachAsync(); // the previous agent dies: its connections close, QEMU runs on

        await using var successor = new Rig(previous.Dir.Path);
        var stale = await successor.Executor.AdoptRunningAsync(default);
        Assert.IsEmpty(stale);
        Assert.AreEqual(pid, successor.Executor.Running(1)!.Pid);
        Assert.AreEqual((long)pid, (long)successor.Cache.ToApiVm(1).Pid);

        successor.Executor.ReportAll(successor.Cache.VmIds());
        VmStateReport resync = successor.Reports(1).Last();
        Assert.AreEqual(ProtoObserved.Running, resync.State);
        Assert.AreEqual($"re-sync: QEMU pid {pid}", resync.Detail);
        await WaitAsync(() => successor.Sink.Messages.Count(m => m.AliveIndication is { EntityId: 1 }) >= 3, "heartbeats relayed by the successor");

        await successor.Executor.HandleAsync(new VmDirective { DirectiveId = 2, VmId = 1, Action = DirectiveAction.Stop, TimeoutMs = 3000 });
        Assert.AreEqual(ProtoObserved.NotRunning, (await successor.WaitReportAsync(r => r.DirectiveId == 2, "stop")).State);
        Assert.IsFalse(QemuBackend.IsAlive(pid));
    }

    private static async Task WaitAsync(Func<bool> condition, string what, int timeoutMs = 10000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(10);
        }
    }
}
