using System;

namespace Stratos.Island.Agent.Vmm;

/// <summary>Tunables of the QEMU backend; durations carry their unit in the type.</summary>
public sealed record QemuBackendOptions
{
    /// <summary>QEMU binary: a name looked up on PATH, or a path.</summary>
    public string QemuBinary { get; init; } = "qemu-system-x86_64";
    /// <summary>Debian package that provides <see cref="QemuBinary"/>, named in the error when it is missing.</summary>
    public string QemuPackage { get; init; } = "qemu-system-x86";
    /// <summary>Root of the per-VM runtime directories (sockets, pid file). Required.</summary>
    public required string RuntimeDirectory { get; init; }
    /// <summary>Time from exec to a negotiated QMP connection and `cont` answered.</summary>
    public TimeSpan QmpReadyTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Time allowed for one QMP command reply.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Time a guest gets to power off after system_powerdown before the backend sends quit.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Time QEMU gets to exit after quit before SIGKILL.</summary>
    public TimeSpan QuitTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Time to wait for the process to vanish after SIGKILL.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// CPU model under KVM. "host" minus arch-capabilities: QEMU 7.2 aborts ("failed to set MSR
    /// 0x10a") with plain -cpu host when KVM runs nested and refuses IA32_ARCH_CAPABILITIES.
    /// </summary>
    public string KvmCpuModel { get; init; } = "host,-arch-capabilities";
    /// <summary>
    /// Host-wide accelerator: Auto follows each VM's spec; Tcg runs every VM under TCG (a host
    /// whose KVM must not be used, or a TCG check on a KVM machine), and a VM that demands KVM then
    /// fails to start; Kvm makes every Auto VM demand KVM.
    /// </summary>
    public Accelerator Accelerator { get; init; } = Accelerator.Auto;
    /// <summary>How many lines of QEMU's stderr/stdout are kept for error messages.</summary>
    public int OutputTailLines { get; init; } = 20;
}
