using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Lifecycle;
using Stratos.Island.Firmware.Supervision;

namespace Stratos.Island.Firmware.Link
{
    // VmStatus, PowerDomainStatus and SupervisionStatus are state, not history: when a send fails the
    // item is marked dirty and ResendDirty sends the newest state later, so only the latest value of
    // a VM is ever re-sent. Supervision changes are always sent as whole SupervisionStatus pages (the
    // global status and at most IslandLinkEndpoint.EntitiesPerPage entities each, More on all but the
    // last). Preallocated; allocates nothing.
    internal sealed class StatusPublisher
    {
        private readonly EnvelopeSender _sender;
        private readonly IslandLinkCounters _counters;
        private readonly bool[] _vmDirty;
        private bool _anyVmDirty;
        private bool _powerDirty;
        private bool _supervisionDirty;

        internal StatusPublisher(EnvelopeSender sender, IslandLinkCounters counters, int maxVms)
        {
            _sender = sender;
            _counters = counters;
            _vmDirty = new bool[maxVms + 1];
        }

        // A new session: the agent's view is refreshed from scratch.
        internal void MarkAllDirty()
        {
            for (int i = 0; i < _vmDirty.Length; i++)
            {
                _vmDirty[i] = true;
            }

            _anyVmDirty = true;
            _powerDirty = true;
            _supervisionDirty = true;
        }

        internal void MarkSupervisionDirty()
        {
            _supervisionDirty = true;
        }

        // Sends what is dirty: the VMs' status (asked of the core again, so the newest), every power
        // domain, the supervision pages.
        internal void ResendDirty(IslandCore core, long nowMs)
        {
            if (_anyVmDirty)
            {
                _anyVmDirty = false;
                VmRuntime[] vms = core.Lifecycle.BootOrder;
                for (int i = 0; i < vms.Length; i++)
                {
                    int id = vms[i].Id;
                    if (id >= 0 && id < _vmDirty.Length && _vmDirty[id])
                    {
                        _counters.StatusResends++;
                        core.Lifecycle.EmitStatus(vms[i], nowMs);
                    }
                }
            }

            if (_powerDirty)
            {
                _powerDirty = false;
                _counters.StatusResends++;
                core.Power.EmitAll();
            }

            if (_supervisionDirty)
            {
                _supervisionDirty = SendSupervisionPages(core.Supervision, 0) > 0;
            }
        }

        // One VmStatus with the given correlation (0 = a push); true when sent, else marked dirty.
        internal bool SendVmStatus(uint correlation, uint vmId, string name, VmState state, LocalStatus supervision, uint restartsInWindow,
            Criticality criticality, long stateSinceMs, string lastFailure)
        {
            bool sent = false;
            if (_sender.IsUp())
            {
                Envelope e = _sender.Begin(EnvelopeBody.VmStatus, correlation);
                VmStatus s = e.VmStatus;
                s.VmId = vmId;
                s.Name = EnvelopeSender.Fit(name, VmStatus.NameMaxLength);
                s.State = state;
                s.Supervision = supervision;
                s.RestartsInWindow = restartsInWindow;
                s.Criticality = criticality;
                s.StateSinceMs = stateSinceMs < 0 ? 0 : (ulong)stateSinceMs;
                s.LastFailure = EnvelopeSender.Fit(lastFailure, VmStatus.LastFailureMaxLength);
                sent = _sender.Send();
            }

            if (vmId < _vmDirty.Length)
            {
                _vmDirty[vmId] = !sent;
            }

            if (!sent)
            {
                _anyVmDirty = true;
            }

            return sent;
        }

        // One PowerDomainStatus with the given correlation (0 = a push); true when sent, else the
        // power domains are marked dirty.
        internal bool SendPowerDomainStatus(uint correlation, uint domainId, string name, PowerState state, Criticality criticality)
        {
            bool sent = false;
            if (_sender.IsUp())
            {
                Envelope e = _sender.Begin(EnvelopeBody.PowerDomainStatus, correlation);
                PowerDomainStatus s = e.PowerDomainStatus;
                s.DomainId = domainId;
                s.Name = EnvelopeSender.Fit(name, PowerDomainStatus.NameMaxLength);
                s.State = state;
                s.Criticality = criticality;
                sent = _sender.Send();
            }

            if (!sent)
            {
                _powerDirty = true;
            }

            return sent;
        }

        // Sends the global status and every entity in pages; returns the number of pages not sent.
        internal int SendSupervisionPages(SupervisionManager supervision, uint correlation)
        {
            if (!_sender.IsUp())
            {
                return 1;
            }

            int capacity = supervision.Capacity;
            int total = 0;
            for (int id = 0; id < capacity; id++)
            {
                if (supervision.Find(id) != null)
                {
                    total++;
                }
            }

            int failed = 0;
            int nextId = 0;
            int done = 0;
            do
            {
                Envelope e = _sender.Begin(EnvelopeBody.SupervisionStatus, correlation);
                SupervisionStatus page = e.SupervisionStatus;
                page.Global = supervision.GlobalStatus;
                page.Cycle = supervision.Cycles < 0 ? 0 : (ulong)supervision.Cycles;
                page.ExpiredCycles = (uint)supervision.ExpiredCycles;
                int n = 0;
                while (nextId < capacity && n < IslandLinkEndpoint.EntitiesPerPage)
                {
                    SupervisedEntity entity = supervision.Find(nextId);
                    nextId++;
                    if (entity == null)
                    {
                        continue;
                    }

                    EntityStatus s = page.Entities[n++];
                    s.EntityId = (uint)entity.EntityId;
                    s.Status = entity.Status;
                    s.FailedRefCycles = (uint)entity.FailedRefCycles;
                    s.AliveCount = (uint)entity.AliveCount;
                    s.DeadlineViolations = (uint)entity.DeadlineViolations;
                    s.LogicalViolations = (uint)entity.LogicalViolations;
                }

                page.EntitiesCount = n;
                done += n;
                page.More = done < total;
                if (!_sender.Send())
                {
                    failed++;
                }
            }
            while (done < total);

            return failed;
        }
    }
}
