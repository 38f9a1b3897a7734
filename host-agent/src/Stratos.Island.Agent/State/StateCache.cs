// The agent's copy of what the island reports: VM definitions (blobs from the island, or the board's
// vms.yaml until the island sent its own), VM status, supervision, power domains, and the agent's
// local facts (QEMU pid per VM). The island is the authority: the cache is only ever written from
// link messages (and the local pid table), never from operator requests.
//
// Threading: written on the link thread (and by the directive executor for pids), read by API calls
// on any thread: one lock, held only for dictionary updates and snapshots.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using ApiVm = Stratos.Island.Protocol.Agent.V1.Vm;

namespace Stratos.Island.Agent.State;

/// <summary>Supervision snapshot; AgeMs since the island last reported it (0 before any report).</summary>
public sealed record SupervisionSnapshot(GlobalStatus Global, ulong Cycle, IReadOnlyList<EntityStatus> Entities, ulong AgeMs = 0);

public sealed class StateCache
{
    private readonly object _lock = new();
    private readonly Dictionary<uint, VmDefinition> _definitions = new();
    private readonly Dictionary<uint, VmStatus> _status = new();
    private readonly Dictionary<uint, long> _statusVersion = new();
    private readonly Dictionary<uint, long> _statusReceivedMs = new();
    private readonly Dictionary<uint, int> _pids = new();
    private readonly Dictionary<uint, EntityStatus> _entities = new();
    private readonly Dictionary<uint, PowerDomainStatus> _domains = new();
    private readonly Func<long> _nowMs;
    private GlobalStatus _global;
    private ulong _cycle;
    private long _supervisionReceivedMs = -1;
    private long _version;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StateCache(Func<long>? nowMs = null)
    {
        _nowMs = nowMs ?? (() => Environment.TickCount64);
    }

    /// <summary>Loads definitions the agent knows locally (board vms.yaml); the island's own blobs replace them.</summary>
    public void SeedDefinitions(IEnumerable<VmDefinition> definitions)
    {
        lock (_lock)
        {
            foreach (VmDefinition d in definitions)
            {
                _definitions.TryAdd(d.VmId, d);
            }
        }
    }

    public void ApplyDefinition(VmDefinition definition)
    {
        lock (_lock)
        {
            _definitions[definition.VmId] = definition;
        }
    }

    public void ApplyVmStatus(VmStatus status)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _status[status.VmId] = status;
            _statusVersion[status.VmId] = ++_version;
            _statusReceivedMs[status.VmId] = _nowMs();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public void ApplySupervision(SupervisionStatus status)
    {
        lock (_lock)
        {
            _global = status.Global;
            _cycle = status.Cycle;
            _supervisionReceivedMs = _nowMs();
            foreach (EntityStatus e in status.Entities)
            {
                _entities[e.EntityId] = e;
            }
        }
    }

    public void ApplyPower(PowerDomainStatus status)
    {
        lock (_lock)
        {
            _domains[status.DomainId] = status;
        }
    }

    public void SetPid(uint vmId, int pid)
    {
        lock (_lock)
        {
            if (pid == 0)
            {
                _pids.Remove(vmId);
            }
            else
            {
                _pids[vmId] = pid;
            }
        }
    }

    /// <summary>Every VM id known from definitions or status, in (boot order, id) order.</summary>
    public IReadOnlyList<uint> VmIds()
    {
        lock (_lock)
        {
            return _definitions.Keys.Union(_status.Keys)
                .OrderBy(id => _definitions.TryGetValue(id, out var d) ? d.BootOrder : uint.MaxValue)
                .ThenBy(id => id)
                .ToList();
        }
    }

    public VmDefinition? Definition(uint vmId)
    {
        lock (_lock)
        {
            return _definitions.GetValueOrDefault(vmId);
        }
    }

    public VmStatus? Status(uint vmId)
    {
        lock (_lock)
        {
            return _status.GetValueOrDefault(vmId);
        }
    }

    /// <summary>Version stamp of a VM's last status (0 = none yet); grows with every VmStatus.</summary>
    public long StatusVersion(uint vmId)
    {
        lock (_lock)
        {
            return _statusVersion.GetValueOrDefault(vmId);
        }
    }

    /// <summary>Waits until a VmStatus newer than <paramref name="version"/> arrived for the VM, or the timeout passed.</summary>
    public async Task WaitForStatusAfterAsync(uint vmId, long version, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_statusVersion.GetValueOrDefault(vmId) > version)
                {
                    return;
                }

                changed = _changed.Task;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return;
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(left), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return;
            }
        }
    }

    /// <summary>The VM id for a name. Throws NOT_FOUND naming the known VMs.</summary>
    public uint FindVm(string name)
    {
        lock (_lock)
        {
            foreach (uint id in _definitions.Keys.Union(_status.Keys))
            {
                if (string.Equals(NameOf(id), name, StringComparison.Ordinal))
                {
                    return id;
                }
            }
        }

        IReadOnlyList<string> known = VmIds().Select(VmName).ToList();
        throw new AgentException(ErrorCode.NotFound, $"VM '{name}' not found; known VMs: {(known.Count == 0 ? "none" : string.Join(", ", known))}");
    }

    /// <summary>Name of a VM, "vm-N" when neither definition nor status named it; "agent" for entity 0.</summary>
    public string VmName(uint vmId)
    {
        if (vmId == 0)
        {
            return "agent";
        }

        lock (_lock)
        {
            return NameOf(vmId);
        }
    }

    /// <summary>The VM as operators see it.</summary>
    public ApiVm ToApiVm(uint vmId)
    {
        lock (_lock)
        {
            var vm = new ApiVm { Id = vmId, Name = NameOf(vmId), State = VmState.Unspecified };
            if (_definitions.TryGetValue(vmId, out VmDefinition? d))
            {
                vm.Criticality = d.Criticality;
                vm.BootOrder = d.BootOrder;
                vm.DependsOn.AddRange(d.DependsOn.Select(NameOf));
                vm.PowerDomains.AddRange(d.PowerDomains.Select(p => _domains.TryGetValue(p, out var dom) ? dom.Name : "domain-" + p));
            }

            if (_status.TryGetValue(vmId, out VmStatus? s))
            {
                vm.State = s.State;
                vm.Supervision = s.Supervision;
                vm.RestartsInWindow = s.RestartsInWindow;
                if (s.Criticality != Criticality.Unspecified)
                {
                    vm.Criticality = s.Criticality;
                }

                vm.LastFailure = s.LastFailure;
                vm.StateAgeMs = (ulong)Math.Max(0, _nowMs() - _statusReceivedMs.GetValueOrDefault(vmId));
            }

            if (_entities.TryGetValue(vmId, out EntityStatus? e) && vm.Supervision == LocalStatus.Unspecified)
            {
                vm.Supervision = e.Status;
            }

            vm.Pid = (uint)_pids.GetValueOrDefault(vmId);
            return vm;
        }
    }

    public SupervisionSnapshot Supervision()
    {
        lock (_lock)
        {
            ulong age = _supervisionReceivedMs < 0 ? 0 : (ulong)Math.Max(0, _nowMs() - _supervisionReceivedMs);
            return new SupervisionSnapshot(_global, _cycle, _entities.Values.OrderBy(e => e.EntityId).ToList(), age);
        }
    }

    public IReadOnlyList<PowerDomainStatus> PowerDomains()
    {
        lock (_lock)
        {
            return _domains.Values.OrderBy(d => d.DomainId).ToList();
        }
    }

    /// <summary>Names of the VMs that run on a power domain.</summary>
    public IReadOnlyList<string> VmsOnDomain(uint domainId)
    {
        lock (_lock)
        {
            return _definitions.Values.Where(d => d.PowerDomains.Contains(domainId)).OrderBy(d => d.BootOrder).Select(d => NameOf(d.VmId)).ToList();
        }
    }

    private string NameOf(uint vmId)
    {
        if (_status.TryGetValue(vmId, out VmStatus? s) && s.Name.Length > 0)
        {
            return s.Name;
        }

        return _definitions.TryGetValue(vmId, out VmDefinition? d) && d.Name.Length > 0 ? d.Name : "vm-" + vmId;
    }
}
