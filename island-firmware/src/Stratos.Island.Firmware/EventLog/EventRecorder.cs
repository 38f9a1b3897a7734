using Stratos.Island.Codec;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.EventLog
{
    // The one way island code records an event: appends it to the persistent log (stamped with
    // island time and boot count) and pushes it to the agent. Does not allocate.
    public sealed class EventRecorder
    {
        private readonly PersistentEventLog _log;
        private readonly IClock _clock;
        private readonly IIslandOutput _output;
        private uint _bootCount;

        public EventRecorder(PersistentEventLog log, IClock clock, IIslandOutput output)
        {
            _log = log;
            _clock = clock;
            _output = output;
        }

        public PersistentEventLog Log
        {
            get { return _log; }
        }

        public uint BootCount
        {
            get { return _bootCount; }
            set { _bootCount = value; }
        }

        public uint Record(EventType type, int subjectId, int value, string detail)
        {
            long nowUs = _clock.MonotonicUs;
            uint sequence = _log.Append(nowUs, _bootCount, type, (uint)subjectId, value, detail);
            _output.Event(sequence, nowUs, _bootCount, type, (uint)subjectId, value, detail ?? string.Empty);
            return sequence;
        }
    }
}
