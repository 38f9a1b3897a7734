using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Escalation;

namespace Stratos.Island.Firmware.Lifecycle
{
    // The configured VMs, built once at boot: a VmRuntime per VM (its scalars in one VmTable),
    // indexed by id and sorted by (boot order, id), with dependencies and dependents resolved. The
    // lifecycle manager changes the VMs; the power manager (arbitration) and the escalation manager
    // read them through this roster, so none of them needs another to be built first.
    public sealed class VmRoster
    {
        private readonly VmRuntime[] _byId;
        private readonly VmRuntime[] _bootOrder;

        public VmRoster(IslandConfig config)
        {
            _byId = new VmRuntime[config.Limits.MaxVms + 1];
            VmConfig[] vms = config.Vms;
            _bootOrder = new VmRuntime[vms.Length];
            VmTable table = new VmTable(vms.Length);
            for (int i = 0; i < vms.Length; i++)
            {
                VmRuntime vm = new VmRuntime(table, vms[i], EscalationPolicy.EffectiveAction(vms[i]), vms[i].Restart.MaxRestarts);
                _byId[vm.Id] = vm;

                // Insertion sort by (boot order, id).
                int j = i;
                while (j > 0 && (_bootOrder[j - 1].Config.BootOrder > vm.Config.BootOrder
                    || (_bootOrder[j - 1].Config.BootOrder == vm.Config.BootOrder && _bootOrder[j - 1].Id > vm.Id)))
                {
                    _bootOrder[j] = _bootOrder[j - 1];
                    j--;
                }

                _bootOrder[j] = vm;
            }

            for (int i = 0; i < _bootOrder.Length; i++)
            {
                VmRuntime vm = _bootOrder[i];
                int[] deps = vm.Config.DependsOn ?? EmptyArrays.Ints;
                VmRuntime[] resolved = deps.Length == 0 ? EmptyArrays.Vms : new VmRuntime[deps.Length];
                for (int k = 0; k < deps.Length; k++)
                {
                    resolved[k] = _byId[deps[k]];
                }

                vm.Dependencies = resolved;
                int dependents = 0;
                for (int k = 0; k < _bootOrder.Length; k++)
                {
                    dependents += DependsOn(_bootOrder[k], vm.Id) ? 1 : 0;
                }

                VmRuntime[] list = dependents == 0 ? EmptyArrays.Vms : new VmRuntime[dependents];
                int n = 0;
                for (int k = 0; k < _bootOrder.Length; k++)
                {
                    if (DependsOn(_bootOrder[k], vm.Id))
                    {
                        list[n++] = _bootOrder[k];
                    }
                }

                vm.Dependents = list;
            }
        }

        // VMs sorted by (boot order, id).
        public VmRuntime[] BootOrder
        {
            get { return _bootOrder; }
        }

        public VmRuntime Find(int vmId)
        {
            if (vmId < 1 || vmId >= _byId.Length)
            {
                return null;
            }

            return _byId[vmId];
        }

        // First active VM on the domain whose criticality is at least minCriticality, or null.
        public VmRuntime FindActiveVmOnDomain(int domainId, Criticality minCriticality)
        {
            for (int i = 0; i < _bootOrder.Length; i++)
            {
                VmRuntime vm = _bootOrder[i];
                if (!VmStateMachine.IsActive(vm.State)
                    || EscalationPolicy.Normalize(vm.Config.Criticality) < EscalationPolicy.Normalize(minCriticality))
                {
                    continue;
                }

                int[] domains = vm.Config.PowerDomains;
                for (int k = 0; k < domains.Length; k++)
                {
                    if (domains[k] == domainId)
                    {
                        return vm;
                    }
                }
            }

            return null;
        }

        private static bool DependsOn(VmRuntime vm, int id)
        {
            int[] deps = vm.Config.DependsOn;
            for (int i = 0; i < deps.Length; i++)
            {
                if (deps[i] == id)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
