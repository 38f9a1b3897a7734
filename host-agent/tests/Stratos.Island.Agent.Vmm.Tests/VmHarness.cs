using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>
/// Base of the test classes that run real QEMUs: a fresh <see cref="VmHarness"/> per test, disposed
/// after it (QEMUs killed, runtime folders removed).
/// </summary>
public abstract class VmHarnessTest
{
    protected VmHarness Harness { get; private set; } = null!;

    [TestInitialize]
    public void CreateHarness() => Harness = new VmHarness();

    [TestCleanup]
    public async Task DisposeHarness() => await Harness.DisposeAsync();
}

/// <summary>
/// A real backend over a short temporary runtime directory, plus a recorder of everything the
/// guest printed and every state the VM went through. Disposing kills whatever is left.
/// </summary>
public sealed class VmHarness : IAsyncDisposable
{
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(5);

    private readonly List<QemuBackend> _backends = new();

    public VmHarness()
    {
        // Short path: UNIX socket paths are limited to 107 bytes.
        RuntimeRoot = Path.Combine(Path.GetTempPath(), "sivmm-" + Guid.NewGuid().ToString("N")[..10]);
        Backend = NewBackend();
    }

    public string RuntimeRoot { get; }
    public QemuBackend Backend { get; }
    public QemuVm? Vm { get; private set; }
    public ConcurrentQueue<GuestMessage> Messages { get; } = new();
    public ConcurrentQueue<VmObservation> Observations { get; } = new();

    public QemuBackend NewBackend(QemuBackendOptions? options = null)
    {
        var backend = new QemuBackend(options ?? new QemuBackendOptions { RuntimeDirectory = RuntimeRoot, StopGracePeriod = TimeSpan.FromMilliseconds(300) });
        _backends.Add(backend);
        return backend;
    }

    public static VmSpec Spec(string name, string? cmdline = null, bool noReboot = true, Accelerator accelerator = Accelerator.Auto) => new()
    {
        Name = name,
        Kernel = GuestBuild.KernelPath,
        Cmdline = cmdline,
        NoReboot = noReboot,
        Accelerator = accelerator,
        ExtraArgs = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
    };

    /// <summary>Starts the guest and waits for its READY line.</summary>
    public async Task<QemuVm> StartAsync(VmSpec spec, QemuBackend? backend = null)
    {
        var vm = await (backend ?? Backend).StartAsync(spec);
        Vm ??= vm;
        vm.StateChanged += Observations.Enqueue;
        vm.Serial!.MessageReceived += Messages.Enqueue;
        await WaitForAsync(() => Messages.Any(m => m.Kind == GuestMessageKind.Ready), "READY from the guest");
        return vm;
    }

    public int Count(GuestMessageKind kind) => Messages.Count(m => m.Kind == kind);

    /// <summary>Polls a condition every 5 ms; fails with the description after the timeout.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? StepTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
            await backend.DisposeAsync();
        // Anything a test abandoned on purpose (stale-process tests) is cleaned here too.
        await _backends[0].CleanupStaleAsync(CancellationToken.None);
        if (Directory.Exists(RuntimeRoot))
            Directory.Delete(RuntimeRoot, recursive: true);
    }
}
