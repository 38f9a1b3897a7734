using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Supervision
{
    // The island's watchdog manager (AUTOSAR WdgM_MainFunction): a fixed table of supervised
    // entities indexed by entity id (0 = host agent, 1..MaxVms = VMs) and the global status.
    //
    // RunCycle (one supervision cycle) evaluates every entity (SupervisedEntity), notifies the
    // listener of each local change (the escalation manager acts on EXPIRED), and then derives the
    // global status from the entities that count for it:
    //
    //   global   | entities that count, after this cycle's escalations   | next global
    //   ---------+-------------------------------------------------------+---------------------------
    //   OK       | none FAILED or EXPIRED                                | OK
    //   OK       | some FAILED, none EXPIRED                             | FAILED
    //   OK/FAILED| some EXPIRED                                          | EXPIRED, expired cycles = 1
    //   FAILED   | none FAILED or EXPIRED                                | OK
    //   EXPIRED  | some EXPIRED                                          | expired cycles + 1
    //   EXPIRED  | none EXPIRED any more (escalation took the VM down)   | OK or FAILED, count reset
    //   any      | expired cycles > ExpiredSupervisionCycleTolerance      | STOPPED (terminal)
    //
    // With tolerance 0 the first cycle with an expired entity goes straight to STOPPED, as in
    // AUTOSAR. Deviation from AUTOSAR (documented in docs/firmware.md): EXPIRED may return to
    // OK/FAILED, because the island's escalations recover single VMs (restart/stop) instead of
    // resetting the whole ECU; the tolerance is the time an escalation has to take the expired VM
    // down before the island gives up and enters the safe state. Entities whose safe action is
    // REPORT do not count for the global status (they are reported, never escalated).
    public sealed class SupervisionManager
    {
        private readonly SupervisedEntity[] _entities;
        private readonly bool[] _countsForGlobal;
        private readonly int _expiredTolerance;
        private ISupervisionListener _listener;
        private GlobalStatus _global;
        private int _expiredCycles;
        private long _cycles;

        public SupervisionManager(IslandLimits limits)
        {
            _entities = new SupervisedEntity[limits.MaxVms + 1];
            _countsForGlobal = new bool[limits.MaxVms + 1];
            _expiredTolerance = limits.ExpiredSupervisionCycleTolerance;
            _global = GlobalStatus.Ok;
        }

        public GlobalStatus GlobalStatus
        {
            get { return _global; }
        }

        // Supervision cycles run since boot.
        public long Cycles
        {
            get { return _cycles; }
        }

        // Consecutive cycles with an expired entity (0 unless global is EXPIRED or STOPPED).
        public int ExpiredCycles
        {
            get { return _expiredCycles; }
        }

        // Highest entity id + 1.
        public int Capacity
        {
            get { return _entities.Length; }
        }

        public void SetListener(ISupervisionListener listener)
        {
            _listener = listener;
        }

        // Registers an entity at build time. countsForGlobal = false for REPORT-only entities.
        public void AddEntity(SupervisedEntity entity, bool countsForGlobal)
        {
            _entities[entity.EntityId] = entity;
            _countsForGlobal[entity.EntityId] = countsForGlobal;
        }

        // The entity with this id, or null.
        public SupervisedEntity Find(int entityId)
        {
            if (entityId < 0 || entityId >= _entities.Length)
            {
                return null;
            }

            return _entities[entityId];
        }

        // Alive indications relayed by the agent. NotFound for an unknown entity.
        public ErrorCode RecordAlive(int entityId, int count)
        {
            SupervisedEntity e = Find(entityId);
            if (e == null)
            {
                return ErrorCode.NotFound;
            }

            if (count <= 0)
            {
                return ErrorCode.InvalidArgument;
            }

            e.RecordAlive(count);
            return ErrorCode.Unspecified;
        }

        // A checkpoint relayed by the agent. NotFound / InvalidArgument (checkpoint id out of range).
        public ErrorCode RecordCheckpoint(int entityId, int checkpointId, long nowMs)
        {
            SupervisedEntity e = Find(entityId);
            if (e == null)
            {
                return ErrorCode.NotFound;
            }

            return e.RecordCheckpoint(checkpointId, nowMs) ? ErrorCode.Unspecified : ErrorCode.InvalidArgument;
        }

        // Activate/deactivate report the change to the listener like a cycle would.
        public void Activate(int entityId)
        {
            SupervisedEntity e = Find(entityId);
            if (e == null)
            {
                return;
            }

            LocalStatus previous = e.Status;
            e.Activate();
            if (previous != LocalStatus.Ok && _listener != null)
            {
                _listener.OnLocalStatusChanged(e, previous);
            }
        }

        public void Deactivate(int entityId)
        {
            SupervisedEntity e = Find(entityId);
            if (e == null || e.Status == LocalStatus.Deactivated)
            {
                return;
            }

            LocalStatus previous = e.Status;
            e.Deactivate();
            if (_listener != null)
            {
                _listener.OnLocalStatusChanged(e, previous);
            }
        }

        // One supervision cycle at nominal time cycleTimeMs.
        public void RunCycle(long cycleTimeMs)
        {
            _cycles++;
            for (int i = 0; i < _entities.Length; i++)
            {
                SupervisedEntity e = _entities[i];
                if (e == null || !e.IsSupervising)
                {
                    continue;
                }

                LocalStatus previous = e.Status;
                LocalStatus current = e.EvaluateCycle(cycleTimeMs);
                if (current != previous && _listener != null)
                {
                    _listener.OnLocalStatusChanged(e, previous);
                }
            }

            bool anyFailed = false;
            bool anyExpired = false;
            for (int i = 0; i < _entities.Length; i++)
            {
                SupervisedEntity e = _entities[i];
                if (e == null || !_countsForGlobal[i])
                {
                    continue;
                }

                anyFailed |= e.Status == LocalStatus.Failed;
                anyExpired |= e.Status == LocalStatus.Expired;
            }

            GlobalStatus previousGlobal = _global;
            if (_global == GlobalStatus.Stopped)
            {
                return;
            }

            if (anyExpired)
            {
                _expiredCycles = _global == GlobalStatus.Expired ? _expiredCycles + 1 : 1;
                _global = _expiredCycles > _expiredTolerance ? GlobalStatus.Stopped : GlobalStatus.Expired;
            }
            else
            {
                _expiredCycles = 0;
                _global = anyFailed ? GlobalStatus.Failed : GlobalStatus.Ok;
            }

            if (_global != previousGlobal && _listener != null)
            {
                _listener.OnGlobalStatusChanged(previousGlobal, _global);
            }
        }
    }
}
