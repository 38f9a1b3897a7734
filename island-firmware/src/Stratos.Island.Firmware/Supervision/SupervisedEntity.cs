using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;

namespace Stratos.Island.Firmware.Supervision
{
    // One supervised entity (AUTOSAR WdgM "Supervised Entity"): a VM, or entity 0, the host agent.
    //
    // Local status (AUTOSAR SWS WatchdogManager, FACTS.md "Supervision"), evaluated once per
    // supervision cycle by EvaluateCycle:
    //
    //   state        | condition in this cycle                                    | next
    //   -------------+------------------------------------------------------------+-----------------
    //   DEACTIVATED  | Activate() (the VM reached Running / the agent connected)  | OK (all counters reset)
    //   OK           | a deadline or logical supervision failed                   | EXPIRED
    //   OK           | alive reference cycle failed, failed count > tolerance     | EXPIRED (tolerance 0)
    //   OK           | alive reference cycle failed, failed count <= tolerance    | FAILED
    //   FAILED       | a deadline or logical supervision failed                   | EXPIRED
    //   FAILED       | alive reference cycle failed: count+1 > tolerance          | EXPIRED, else FAILED
    //   FAILED       | alive reference cycle correct: count-1 == 0                | OK, else FAILED
    //   EXPIRED      | (terminal until Deactivate)                                | EXPIRED
    //   any          | Deactivate() (the VM stopped / paused / the agent is gone) | DEACTIVATED
    //
    // The failed reference cycle counter moves only when a reference cycle completes (cycles in the
    // middle of a reference cycle leave it unchanged), so "more than FailedRefCycleTolerance failed
    // reference cycles" counts reference cycles even when ReferenceCycles > 1 (SWS_WdgM_00300's
    // decrement-on-correct applies to completed reference cycles).
    //
    // Alive supervision: indications are counted over ReferenceCycles supervision cycles; the
    // reference cycle is correct iff expected - minMargin <= count <= expected + maxMargin.
    // Deadline supervision: reaching the start checkpoint starts a measurement (again reaching it
    // while one is open restarts it); reaching the end
    // checkpoint ends it, correct iff min <= elapsed <= max. A measurement still open when max has
    // elapsed fails in the first cycle whose time is past start + max (it does not wait for the end).
    // An end checkpoint without an open measurement is ignored (AUTOSAR: not a deadline violation).
    // Logical supervision: a checkpoint of the graph must be an initial checkpoint when no run is
    // active, otherwise a configured successor of the previous checkpoint; a final checkpoint ends
    // the run. Checkpoints not in the graph are ignored by logical supervision.
    //
    // Checkpoints and indications arrive through the main loop (IslandCore) between cycles and are
    // stamped with the island clock when handled; they are recorded only while OK or FAILED.
    public sealed class SupervisedEntity
    {
        // Every scalar of the entity lives in a SupervisionTable row (one array per field for all
        // entities, sized at boot from the configuration), not in fields of this object: on nanoCLR
        // each object field is a heap block of its own, an array element only its value's size
        // (docs/firmware.md, "RAM"). Arrays sized from the definition stay per entity; an entity
        // without deadlines or logical supervision shares the empty ones.
        private readonly SupervisionTable _t;
        private readonly int _i;

        // Deadlines, 4 ints each: start checkpoint, end checkpoint, min ms, max ms.
        private readonly int[] _deadlines;
        private readonly long[] _deadlineStartedAtMs;
        private readonly bool[] _deadlineOpen;
        private readonly ulong[] _logicalSuccessors;

        // An entity with a table of its own (tests, tools).
        public SupervisedEntity(int entityId, SupervisionConfig config, int checkpointLimit)
            : this(new SupervisionTable(1), entityId, config, checkpointLimit)
        {
        }

        // An entity in the next free row of table (IslandCore sizes one table for all entities).
        public SupervisedEntity(SupervisionTable table, int entityId, SupervisionConfig config, int checkpointLimit)
        {
            _t = table;
            _i = table.AddRow();
            _t.EntityId[_i] = entityId;
            _t.CheckpointLimit[_i] = checkpointLimit;
            _t.Status[_i] = LocalStatus.Deactivated;

            AliveSupervisionConfig alive = config.Alive;
            if (alive != null && alive.ExpectedIndications > 0)
            {
                _t.AliveExpected[_i] = alive.ExpectedIndications;
                _t.AliveMinMargin[_i] = alive.MinMargin;
                _t.AliveMaxMargin[_i] = alive.MaxMargin;
                _t.AliveReferenceCycles[_i] = alive.ReferenceCycles;
            }

            _t.FailedRefCycleTolerance[_i] = config.FailedRefCycleTolerance;

            // Arrays sized from the definition; an entity without deadlines or logical supervision
            // shares the empty ones (no heap per entity for what it does not use).
            DeadlineSupervisionConfig[] deadlines = config.Deadlines ?? EmptyArrays.Deadlines;
            _t.DeadlineCount[_i] = deadlines.Length;
            _deadlines = _t.DeadlineCount[_i] == 0 ? EmptyArrays.Ints : new int[4 * _t.DeadlineCount[_i]];
            _deadlineStartedAtMs = _t.DeadlineCount[_i] == 0 ? EmptyArrays.Longs : new long[_t.DeadlineCount[_i]];
            _deadlineOpen = _t.DeadlineCount[_i] == 0 ? EmptyArrays.Bools : new bool[_t.DeadlineCount[_i]];
            for (int i = 0; i < _t.DeadlineCount[_i]; i++)
            {
                _deadlines[4 * i] = deadlines[i].StartCheckpoint;
                _deadlines[4 * i + 1] = deadlines[i].EndCheckpoint;
                _deadlines[4 * i + 2] = deadlines[i].MinMs;
                _deadlines[4 * i + 3] = deadlines[i].MaxMs;
            }

            _logicalSuccessors = EmptyArrays.ULongs;
            LogicalSupervisionConfig logical = config.Logical;
            if (logical != null && logical.InitialCheckpoints != null && logical.InitialCheckpoints.Length > 0)
            {
                _t.LogicalEnabled[_i] = true;
                _logicalSuccessors = new ulong[checkpointLimit];
                for (int i = 0; i < logical.InitialCheckpoints.Length; i++)
                {
                    _t.LogicalInitial[_i] |= Bit(logical.InitialCheckpoints[i]);
                }

                int[] final = logical.FinalCheckpoints ?? EmptyArrays.Ints;
                for (int i = 0; i < final.Length; i++)
                {
                    _t.LogicalFinal[_i] |= Bit(final[i]);
                }

                LogicalTransitionConfig[] transitions = logical.Transitions ?? EmptyArrays.Transitions;
                for (int i = 0; i < transitions.Length; i++)
                {
                    _logicalSuccessors[transitions[i].FromCheckpoint] |= Bit(transitions[i].ToCheckpoint);
                    _t.LogicalMembers[_i] |= Bit(transitions[i].FromCheckpoint) | Bit(transitions[i].ToCheckpoint);
                }

                _t.LogicalMembers[_i] |= _t.LogicalInitial[_i] | _t.LogicalFinal[_i];
            }
        }

        public int EntityId
        {
            get { return _t.EntityId[_i]; }
        }

        public LocalStatus Status
        {
            get { return _t.Status[_i]; }
        }

        // True while the entity is evaluated (OK or FAILED).
        public bool IsSupervising
        {
            get { return _t.Status[_i] == LocalStatus.Ok || _t.Status[_i] == LocalStatus.Failed; }
        }

        public bool HasAliveSupervision
        {
            get { return _t.AliveReferenceCycles[_i] > 0; }
        }

        // Alive indications counted in the current reference cycle.
        public int AliveCount
        {
            get { return _t.AliveCount[_i]; }
        }

        public int FailedRefCycles
        {
            get { return _t.FailedRefCycles[_i]; }
        }

        public int DeadlineViolations
        {
            get { return _t.DeadlineViolations[_i]; }
        }

        public int LogicalViolations
        {
            get { return _t.LogicalViolations[_i]; }
        }

        // Starts supervision from a clean state (status OK).
        public void Activate()
        {
            _t.Status[_i] = LocalStatus.Ok;
            _t.AliveCount[_i] = 0;
            _t.CyclesInReference[_i] = 0;
            _t.FailedRefCycles[_i] = 0;
            _t.DeadlineFailed[_i] = false;
            _t.LogicalFailed[_i] = false;
            _t.DeadlineViolations[_i] = 0;
            _t.LogicalViolations[_i] = 0;
            _t.LogicalRunActive[_i] = false;
            _t.LogicalLastCheckpoint[_i] = -1;
            _t.OpenDeadlines[_i] = 0;
            for (int i = 0; i < _t.DeadlineCount[_i]; i++)
            {
                _deadlineOpen[i] = false;
            }
        }

        // Stops supervision (status DEACTIVATED).
        public void Deactivate()
        {
            _t.Status[_i] = LocalStatus.Deactivated;
            _t.OpenDeadlines[_i] = 0;
            for (int i = 0; i < _t.DeadlineCount[_i]; i++)
            {
                _deadlineOpen[i] = false;
            }
        }

        // Counts alive indications (saturating). Ignored unless OK or FAILED.
        public void RecordAlive(int count)
        {
            if (!IsSupervising || count <= 0)
            {
                return;
            }

            int sum = _t.AliveCount[_i] + count;
            _t.AliveCount[_i] = sum < _t.AliveCount[_i] ? int.MaxValue : sum;
        }

        // Records a checkpoint reached at nowMs. Returns false when the id is out of range
        // (the caller reports it as an invalid argument); true otherwise, including when ignored.
        public bool RecordCheckpoint(int checkpointId, long nowMs)
        {
            if (checkpointId < 0 || checkpointId >= _t.CheckpointLimit[_i])
            {
                return false;
            }

            if (!IsSupervising)
            {
                return true;
            }

            // Deadlines: close a measurement first, so one checkpoint can end one and start another.
            for (int i = 0; i < _t.DeadlineCount[_i]; i++)
            {
                if (_deadlineOpen[i] && _deadlines[4 * i + 1] == checkpointId)
                {
                    long elapsedMs = nowMs - _deadlineStartedAtMs[i];
                    _deadlineOpen[i] = false;
                    _t.OpenDeadlines[_i]--;
                    if (elapsedMs < _deadlines[4 * i + 2] || elapsedMs > _deadlines[4 * i + 3])
                    {
                        _t.DeadlineFailed[_i] = true;
                        _t.DeadlineViolations[_i]++;
                    }
                }
            }

            for (int i = 0; i < _t.DeadlineCount[_i]; i++)
            {
                if (_deadlines[4 * i] == checkpointId)
                {
                    if (!_deadlineOpen[i])
                    {
                        _t.OpenDeadlines[_i]++;
                    }

                    _deadlineOpen[i] = true;
                    _deadlineStartedAtMs[i] = nowMs;
                }
            }

            if (_t.LogicalEnabled[_i] && (_t.LogicalMembers[_i] & Bit(checkpointId)) != 0)
            {
                bool allowed = _t.LogicalRunActive[_i]
                    ? (_logicalSuccessors[_t.LogicalLastCheckpoint[_i]] & Bit(checkpointId)) != 0
                    : (_t.LogicalInitial[_i] & Bit(checkpointId)) != 0;
                if (allowed)
                {
                    _t.LogicalLastCheckpoint[_i] = checkpointId;
                    _t.LogicalRunActive[_i] = (_t.LogicalFinal[_i] & Bit(checkpointId)) == 0;
                }
                else
                {
                    _t.LogicalFailed[_i] = true;
                    _t.LogicalViolations[_i]++;
                    _t.LogicalRunActive[_i] = false;
                }
            }

            return true;
        }

        // One supervision cycle at (nominal) time cycleTimeMs; returns the new local status.
        public LocalStatus EvaluateCycle(long cycleTimeMs)
        {
            if (!IsSupervising)
            {
                return _t.Status[_i];
            }

            if (_t.OpenDeadlines[_i] > 0)
            {
                for (int i = 0; i < _t.DeadlineCount[_i]; i++)
                {
                    if (_deadlineOpen[i] && cycleTimeMs - _deadlineStartedAtMs[i] > _deadlines[4 * i + 3])
                    {
                        _deadlineOpen[i] = false;
                        _t.OpenDeadlines[_i]--;
                        _t.DeadlineFailed[_i] = true;
                        _t.DeadlineViolations[_i]++;
                    }
                }
            }

            bool aliveEvaluated = false;
            bool aliveCorrect = true;
            if (_t.AliveReferenceCycles[_i] > 0)
            {
                _t.CyclesInReference[_i]++;
                if (_t.CyclesInReference[_i] >= _t.AliveReferenceCycles[_i])
                {
                    aliveEvaluated = true;
                    aliveCorrect = _t.AliveCount[_i] >= _t.AliveExpected[_i] - _t.AliveMinMargin[_i]
                        && _t.AliveCount[_i] <= _t.AliveExpected[_i] + _t.AliveMaxMargin[_i];
                    _t.AliveCount[_i] = 0;
                    _t.CyclesInReference[_i] = 0;
                }
            }

            if (_t.DeadlineFailed[_i] || _t.LogicalFailed[_i])
            {
                _t.DeadlineFailed[_i] = false;
                _t.LogicalFailed[_i] = false;
                _t.Status[_i] = LocalStatus.Expired;
            }
            else if (aliveEvaluated && !aliveCorrect)
            {
                _t.FailedRefCycles[_i]++;
                _t.Status[_i] = _t.FailedRefCycles[_i] > _t.FailedRefCycleTolerance[_i] ? LocalStatus.Expired : LocalStatus.Failed;
            }
            else if (aliveEvaluated && _t.Status[_i] == LocalStatus.Failed)
            {
                _t.FailedRefCycles[_i]--;
                if (_t.FailedRefCycles[_i] <= 0)
                {
                    _t.FailedRefCycles[_i] = 0;
                    _t.Status[_i] = LocalStatus.Ok;
                }
            }

            return _t.Status[_i];
        }

        private static ulong Bit(int checkpointId)
        {
            return 1UL << checkpointId;
        }
    }
}
