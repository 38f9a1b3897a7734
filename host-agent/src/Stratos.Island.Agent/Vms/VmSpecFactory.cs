using System;
using System.Collections.Generic;
using System.IO;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Vms;

/// <summary>
/// VmDefinition (as the island stores it) -> VmSpec (what QEMU runs). Relative kernel, initrd and disk paths
/// are resolved against the guest kernel directory (the repository root for the virtual board, so
/// "hil-tests/guest/build/heartbeat.elf" works from any working directory).
/// </summary>
public sealed class VmSpecFactory
{
    private readonly string _baseDirectory;
    private readonly IReadOnlyList<string> _extraArgs;

    public VmSpecFactory(string baseDirectory, IReadOnlyList<string>? extraArgs = null)
    {
        _baseDirectory = baseDirectory;
        _extraArgs = extraArgs ?? Array.Empty<string>();
    }

    public VmSpec Create(VmDefinition definition)
    {
        VmmConfig vmm = definition.Vmm ?? new VmmConfig();
        var extra = new List<string>(vmm.ExtraArgs);
        extra.AddRange(_extraArgs);
        return new VmSpec
        {
            Name = definition.Name,
            Machine = vmm.Machine.Length > 0 ? vmm.Machine : "microvm",
            MemoryMib = vmm.MemoryMib == 0 ? 32 : vmm.MemoryMib,
            Vcpus = vmm.Vcpus == 0 ? 1 : vmm.Vcpus,
            Kernel = Resolve(vmm.Kernel),
            Disk = vmm.Disk.Length > 0 ? Resolve(vmm.Disk) : null,
            Cmdline = vmm.Cmdline.Length > 0 ? vmm.Cmdline : null,
            Initrd = vmm.Initrd.Length > 0 ? Resolve(vmm.Initrd) : null,
            Accelerator = vmm.Accelerator switch
            {
                VmmAccelerator.Kvm => Accelerator.Kvm,
                VmmAccelerator.Tcg => Accelerator.Tcg,
                _ => Accelerator.Auto,
            },
            HeartbeatPort = vmm.HeartbeatPort,
            Watchdog = vmm.Watchdog,
            PanicDevice = vmm.PanicDevice,
            ExtraArgs = extra,
        };
    }

    private string Resolve(string path) =>
        path.Length == 0 || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(_baseDirectory, path));
}
