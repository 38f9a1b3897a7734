// The managed fake HAL of the scenario: simulated time, NOR flash in RAM with a power-cut fault, and
// rails / watchdog / safe state / reset that write what the core asks of them to the trace.
// Allocated once at boot; nothing here allocates afterwards except trace lines.
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Firmware.Scenario
{
    public sealed class ScenarioClock : IClock
    {
        private long _us;

        public long MonotonicMs
        {
            get { return _us / 1000; }
        }

        public long MonotonicUs
        {
            get { return _us; }
        }

        public void AdvanceMs(int ms)
        {
            _us += ms * 1000L;
        }
    }

    // NOR flash in RAM, the one flash model of the scenario and the firmware tests: erase sets 0xFF,
    // program clears bits. CutAfterBytes(n): after n more bytes touched (each erased or programmed
    // byte counts one) the operation in progress stops half-done (an erase cut after k bytes leaves
    // the first k bytes of the page erased) and every later one does nothing, until PowerOn (the
    // island is dead meanwhile). Counters for the tests: erases per page, bytes touched.
    public sealed class ScenarioFlash : IFlash
    {
        private readonly byte[] _bytes;
        private long _budget = -1;

        public ScenarioFlash(int pageSize, int pageCount)
        {
            PageSize = pageSize;
            PageCount = pageCount;
            _bytes = new byte[pageSize * pageCount];
            for (int i = 0; i < _bytes.Length; i++)
            {
                _bytes[i] = 0xFF;
            }

            EraseCounts = new int[pageCount];
        }

        private ScenarioFlash(ScenarioFlash other)
        {
            PageSize = other.PageSize;
            PageCount = other.PageCount;
            _bytes = new byte[other._bytes.Length];
            System.Array.Copy(other._bytes, 0, _bytes, 0, _bytes.Length);
            EraseCounts = new int[PageCount];
            System.Array.Copy(other.EraseCounts, 0, EraseCounts, 0, PageCount);
        }

        public int PageSize { get; private set; }

        public int PageCount { get; private set; }

        public bool PoweredOff { get; private set; }

        /// <summary>Completed erases per page.</summary>
        public int[] EraseCounts { get; private set; }

        /// <summary>Bytes erased or programmed since the last ResetCounters.</summary>
        public long BytesTouched { get; private set; }

        /// <summary>The same contents and erase counts, powered, with no cut armed.</summary>
        public ScenarioFlash Clone()
        {
            return new ScenarioFlash(this);
        }

        public void ResetCounters()
        {
            BytesTouched = 0;
        }

        /// <summary>One byte, read or written behind the flash's back (a test's bit flip).</summary>
        public byte this[int address]
        {
            get { return _bytes[address]; }
            set { _bytes[address] = value; }
        }

        public void CutAfterBytes(long bytes)
        {
            _budget = bytes;
        }

        public void PowerOn()
        {
            PoweredOff = false;
            _budget = -1;
        }

        public void Read(int address, byte[] buffer, int offset, int count)
        {
            System.Array.Copy(_bytes, address, buffer, offset, count);
        }

        public bool ErasePage(int pageIndex)
        {
            int start = pageIndex * PageSize;
            for (int i = 0; i < PageSize; i++)
            {
                if (!Touch())
                {
                    return false;
                }

                _bytes[start + i] = 0xFF;
            }

            EraseCounts[pageIndex]++;
            return true;
        }

        public bool Program(int address, byte[] data, int offset, int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (!Touch())
                {
                    return false;
                }

                _bytes[address + i] = (byte)(_bytes[address + i] & data[offset + i]);
            }

            return true;
        }

        private bool Touch()
        {
            if (PoweredOff)
            {
                return false;
            }

            if (_budget == 0)
            {
                PoweredOff = true;
                return false;
            }

            if (_budget > 0)
            {
                _budget--;
            }

            BytesTouched++;
            return true;
        }
    }

    public sealed class ScenarioRails : IPowerRails
    {
        private readonly ScenarioTrace _trace;
        private readonly PowerState[] _states = new PowerState[8];

        public ScenarioRails(ScenarioTrace trace)
        {
            _trace = trace;
            for (int i = 0; i < _states.Length; i++)
            {
                _states[i] = PowerState.On;
            }
        }

        public bool SetState(int domainId, PowerState state)
        {
            _states[domainId] = state;
            _trace.Line(string.Concat("hal rail ", domainId.ToString(), " -> ", ScenarioNames.Of(state)));
            return true;
        }

        public PowerState GetState(int domainId)
        {
            return _states[domainId];
        }
    }

    public sealed class ScenarioWatchdog : IHardwareWatchdog
    {
        public long Kicks;

        public void Kick()
        {
            Kicks++;
        }
    }

    public sealed class ScenarioSafeState : ISafeStateOutput
    {
        private readonly ScenarioTrace _trace;

        public ScenarioSafeState(ScenarioTrace trace)
        {
            _trace = trace;
        }

        public void Assert()
        {
            _trace.Line("hal safe-state asserted");
        }

        public void Deassert()
        {
            _trace.Line("hal safe-state deasserted");
        }
    }

    public sealed class ScenarioReset : IResetControl
    {
        private readonly ScenarioTrace _trace;

        public ScenarioReset(ScenarioTrace trace)
        {
            _trace = trace;
        }

        public int Resets;

        public void ResetACluster()
        {
            Resets++;
            _trace.Line("hal a-cluster reset");
        }
    }
}
