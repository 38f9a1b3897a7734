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
        private readonly int _entityId;

        // Alive supervision (ReferenceCycles 0 = disabled).
        private readonly int _aliveExpected;
        private readonly int _aliveMinMargin;
        private readonly int _aliveMaxMargin;
        private readonly int _aliveReferenceCycles;
        private readonly int _failedRefCycleTolerance;

        // Deadline supervision, one slot per configured deadline.
        private readonly int _deadlineCount;
        private readonly int[] _deadlineStartCheckpoint;
        private readonly int[] _deadlineEndCheckpoint;
        private readonly int[] _deadlineMinMs;
        private readonly int[] _deadlineMaxMs;
        private readonly long[] _deadlineStartedAtMs;
        private readonly bool[] _deadlineOpen;
        private int _openDeadlines;

        // Logical supervision: bit i of a mask stands for checkpoint id i.
        private readonly bool _logicalEnabled;
        private readonly ulong _logicalMembers;
        private readonly ulong _logicalInitial;
        private readonly ulong _logicalFinal;
        private readonly ulong[] _logicalSuccessors;
        private bool _logicalRunActive;
        private int _logicalLastCheckpoint;

        private readonly int _checkpointLimit;

        private LocalStatus _status;
        private int _aliveCount;
        private int _cyclesInReference;
        private int _failedRefCycles;
        private bool _deadlineFailed;
        private bool _logicalFailed;
        private int _deadlineViolations;
        private int _logicalViolations;

        public SupervisedEntity(int entityId, SupervisionConfig config, int checkpointLimit)
        {
            _entityId = entityId;
            _checkpointLimit = checkpointLimit;
            _status = LocalStatus.Deactivated;

            AliveSupervisionConfig alive = config.Alive;
            if (alive != null && alive.ExpectedIndications > 0)
            {
                _aliveExpected = alive.ExpectedIndications;
                _aliveMinMargin = alive.MinMargin;
                _aliveMaxMargin = alive.MaxMargin;
                _aliveReferenceCycles = alive.ReferenceCycles;
            }

            _failedRefCycleTolerance = config.FailedRefCycleTolerance;

            // Arrays sized from the definition; an entity without deadlines or logical supervision
            // shares the empty ones (no heap per entity for what it does not use).
            DeadlineSupervisionConfig[] deadlines = config.Deadlines ?? EmptyArrays.Deadlines;
            _deadlineCount = deadlines.Length;
            _deadlineStartCheckpoint = _deadlineCount == 0 ? EmptyArrays.Ints : new int[_deadlineCount];
            _deadlineEndCheckpoint = _deadlineCount == 0 ? EmptyArrays.Ints : new int[_deadlineCount];
            _deadlineMinMs = _deadlineCount == 0 ? EmptyArrays.Ints : new int[_deadlineCount];
            _deadlineMaxMs = _deadlineCount == 0 ? EmptyArrays.Ints : new int[_deadlineCount];
            _deadlineStartedAtMs = _deadlineCount == 0 ? EmptyArrays.Longs : new long[_deadlineCount];
            _deadlineOpen = _deadlineCount == 0 ? EmptyArrays.Bools : new bool[_deadlineCount];
            for (int i = 0; i < _deadlineCount; i++)
            {
                _deadlineStartCheckpoint[i] = deadlines[i].StartCheckpoint;
                _deadlineEndCheckpoint[i] = deadlines[i].EndCheckpoint;
                _deadlineMinMs[i] = deadlines[i].MinMs;
                _deadlineMaxMs[i] = deadlines[i].MaxMs;
            }

            _logicalSuccessors = EmptyArrays.ULongs;
            LogicalSupervisionConfig logical = config.Logical;
            if (logical != null && logical.InitialCheckpoints != null && logical.InitialCheckpoints.Length > 0)
            {
                _logicalEnabled = true;
                _logicalSuccessors = new ulong[checkpointLimit];
                for (int i = 0; i < logical.InitialCheckpoints.Length; i++)
                {
                    _logicalInitial |= Bit(logical.InitialCheckpoints[i]);
                }

                int[] final = logical.FinalCheckpoints ?? EmptyArrays.Ints;
                for (int i = 0; i < final.Length; i++)
                {
                    _logicalFinal |= Bit(final[i]);
                }

                LogicalTransitionConfig[] transitions = logical.Transitions ?? EmptyArrays.Transitions;
                for (int i = 0; i < transitions.Length; i++)
                {
                    _logicalSuccessors[transitions[i].FromCheckpoint] |= Bit(transitions[i].ToCheckpoint);
                    _logicalMembers |= Bit(transitions[i].FromCheckpoint) | Bit(transitions[i].ToCheckpoint);
                }

                _logicalMembers |= _logicalInitial | _logicalFinal;
            }
        }

        public int EntityId
        {
            get { return _entityId; }
        }

        public LocalStatus Status
        {
            get { return _status; }
        }

        // True while the entity is evaluated (OK or FAILED).
        public bool IsSupervising
        {
            get { return _status == LocalStatus.Ok || _status == LocalStatus.Failed; }
        }

        public bool HasAliveSupervision
        {
            get { return _aliveReferenceCycles > 0; }
        }

        // Alive indications counted in the current reference cycle.
        public int AliveCount
        {
            get { return _aliveCount; }
        }

        public int FailedRefCycles
        {
            get { return _failedRefCycles; }
        }

        public int DeadlineViolations
        {
            get { return _deadlineViolations; }
        }

        public int LogicalViolations
        {
            get { return _logicalViolations; }
        }

        // Starts supervision from a clean state (status OK).
        public void Activate()
        {
            _status = LocalStatus.Ok;
            _aliveCount = 0;
            _cyclesInReference = 0;
            _failedRefCycles = 0;
            _deadlineFailed = false;
            _logicalFailed = false;
            _deadlineViolations = 0;
            _logicalViolations = 0;
            _logicalRunActive = false;
            _logicalLastCheckpoint = -1;
            _openDeadlines = 0;
            for (int i = 0; i < _deadlineCount; i++)
            {
                _deadlineOpen[i] = false;
            }
        }

        // Stops supervision (status DEACTIVATED).
        public void Deactivate()
        {
            _status = LocalStatus.Deactivated;
            _openDeadlines = 0;
            for (int i = 0; i < _deadlineCount; i++)
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

            int sum = _aliveCount + count;
            _aliveCount = sum < _aliveCount ? int.MaxValue : sum;
        }

        // Records a checkpoint reached at nowMs. Returns false when the id is out of range
        // (the caller reports it as an invalid argument); true otherwise, including when ignored.
        public bool RecordCheckpoint(int checkpointId, long nowMs)
        {
            if (checkpointId < 0 || checkpointId >= _checkpointLimit)
            {
                return false;
            }

            if (!IsSupervising)
            {
                return true;
            }

            // Deadlines: close a measurement first, so one checkpoint can end one and start another.
            for (int i = 0; i < _deadlineCount; i++)
            {
                if (_deadlineOpen[i] && _deadlineEndCheckpoint[i] == checkpointId)
                {
                    long elapsedMs = nowMs - _deadlineStartedAtMs[i];
                    _deadlineOpen[i] = false;
                    _openDeadlines--;
                    if (elapsedMs < _deadlineMinMs[i] || elapsedMs > _deadlineMaxMs[i])
                    {
                        _deadlineFailed = true;
                        _deadlineViolations++;
                    }
                }
            }

            for (int i = 0; i < _deadlineCount; i++)
            {
                if (_deadlineStartCheckpoint[i] == checkpointId)
                {
                    if (!_deadlineOpen[i])
                    {
                        _openDeadlines++;
                    }

                    _deadlineOpen[i] = true;
                    _deadlineStartedAtMs[i] = nowMs;
                }
            }

            if (_logicalEnabled && (_logicalMembers & Bit(checkpointId)) != 0)
            {
                bool allowed = _logicalRunActive
                    ? (_logicalSuccessors[_logicalLastCheckpoint] & Bit(checkpointId)) != 0
                    : (_logicalInitial & Bit(checkpointId)) != 0;
                if (allowed)
                {
                    _logicalLastCheckpoint = checkpointId;
                    _logicalRunActive = (_logicalFinal & Bit(checkpointId)) == 0;
                }
                else
                {
                    _logicalFailed = true;
                    _logicalViolations++;
                    _logicalRunActive = false;
                }
            }

            return true;
        }

        // One supervision cycle at (nominal) time cycleTimeMs; returns the new local status.
        public LocalStatus EvaluateCycle(long cycleTimeMs)
        {
            if (!IsSupervising)
            {
                return _status;
            }

            if (_openDeadlines > 0)
            {
                for (int i = 0; i < _deadlineCount; i++)
                {
                    if (_deadlineOpen[i] && cycleTimeMs - _deadlineStartedAtMs[i] > _deadlineMaxMs[i])
                    {
                        _deadlineOpen[i] = false;
                        _openDeadlines--;
                        _deadlineFailed = true;
                        _deadlineViolations++;
                    }
                }
            }

            bool aliveEvaluated = false;
            bool aliveCorrect = true;
            if (_aliveReferenceCycles > 0)
            {
                _cyclesInReference++;
                if (_cyclesInReference >= _aliveReferenceCycles)
                {
                    aliveEvaluated = true;
                    aliveCorrect = _aliveCount >= _aliveExpected - _aliveMinMargin
                        && _aliveCount <= _aliveExpected + _aliveMaxMargin;
                    _aliveCount = 0;
                    _cyclesInReference = 0;
                }
            }

            if (_deadlineFailed || _logicalFailed)
            {
                _deadlineFailed = false;
                _logicalFailed = false;
                _status = LocalStatus.Expired;
            }
            else if (aliveEvaluated && !aliveCorrect)
            {
                _failedRefCycles++;
                _status = _failedRefCycles > _failedRefCycleTolerance ? LocalStatus.Expired : LocalStatus.Failed;
            }
            else if (aliveEvaluated && _status == LocalStatus.Failed)
            {
                _failedRefCycles--;
                if (_failedRefCycles <= 0)
                {
                    _failedRefCycles = 0;
                    _status = LocalStatus.Ok;
                }
            }

            return _status;
        }

        private static ulong Bit(int checkpointId)
        {
            return 1UL << checkpointId;
        }
    }
}
