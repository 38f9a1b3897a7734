using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;

namespace Stratos.Island.Firmware.Configuration
{
    // Builds the island's IslandConfig from encoded VmDefinitions (link.proto, the bytes of a
    // configuration bundle on the MCU or of vms.yaml converted by island-sim) plus the board's
    // limits and power domains. The island keeps the encoded bytes as they came (the VMM part is
    // opaque to it and goes back to the agent in StatusRequest answers); only the supervision,
    // lifecycle and power parts become Configuration objects.
    //
    // Use: new ConfigurationBuilder(limits, domains, agentSupervision); AddEncoded for every
    // definition (returns null or the error, naming the definition and the field); Build validates
    // the whole with ConfigValidator. Runs once at configuration time, so it may allocate.
    public sealed class ConfigurationBuilder
    {
        private readonly IslandLimits _limits;
        private readonly PowerDomainConfig[] _domains;
        private readonly SupervisionConfig _agentSupervision;
        private readonly VmConfig[] _vms;
        private readonly byte[][] _encoded;
        private readonly VmDefinition _scratch = new VmDefinition();
        private int _count;

        public ConfigurationBuilder(IslandLimits limits, PowerDomainConfig[] domains, SupervisionConfig agentSupervision)
        {
            _limits = limits;
            _domains = domains;
            _agentSupervision = agentSupervision ?? DefaultAgentSupervision(limits.SupervisionCyclePeriodMs);
            _vms = new VmConfig[limits.MaxVms];
            _encoded = new byte[limits.MaxVms][];
        }

        // Number of definitions added so far.
        public int Count
        {
            get { return _count; }
        }

        // The encoded definition of the i-th VM added (in the order added), as given to AddEncoded.
        public byte[] EncodedAt(int index)
        {
            return _encoded[index];
        }

        // The agent (entity 0) must show at least one alive indication per second (100 reference
        // cycles of 10 ms at the default period); two failed reference cycles are tolerated, the
        // third expires it (A-cluster reset).
        public static SupervisionConfig DefaultAgentSupervision(int periodMs)
        {
            SupervisionConfig config = new SupervisionConfig();
            int cycles = periodMs <= 0 ? 100 : 1000 / periodMs;
            if (cycles < 1)
            {
                cycles = 1;
            }

            config.Alive = new AliveSupervisionConfig();
            config.Alive.ExpectedIndications = 10;
            config.Alive.MinMargin = 9;
            config.Alive.MaxMargin = 100000;
            config.Alive.ReferenceCycles = cycles;
            config.FailedRefCycleTolerance = 2;
            return config;
        }

        // Decodes one VmDefinition and adds it. Returns null, or the error naming the definition.
        public string AddEncoded(byte[] buffer, int offset, int count)
        {
            string what = string.Concat("VM definition #", (_count + 1).ToString());
            if (_count == _vms.Length)
            {
                return string.Concat(what, ": more than max_vms = ", _vms.Length.ToString(), " definitions");
            }

            CodecStatus status = _scratch.Decode(buffer, offset, count);
            if (status != CodecStatus.Ok)
            {
                return string.Concat(what, " (", count.ToString(), " bytes): cannot be decoded: ", CodecStatusText.Of(status));
            }

            byte[] copy = new byte[count];
            System.Array.Copy(buffer, offset, copy, 0, count);
            _encoded[_count] = copy;
            _vms[_count] = ToVmConfig(_scratch);
            _count++;
            return null;
        }

        // The configuration, or null with error set (the ConfigValidator message).
        public IslandConfig Build(out string error)
        {
            IslandConfig config = new IslandConfig();
            config.Limits = _limits;
            config.PowerDomains = _domains;
            config.AgentSupervision = _agentSupervision;
            VmConfig[] vms = new VmConfig[_count];
            System.Array.Copy(_vms, vms, _count);
            config.Vms = vms;
            error = ConfigValidator.Validate(config);
            return error == null ? config : null;
        }

        // Maps one decoded definition to the firmware's VmConfig (ids and times as int).
        public static VmConfig ToVmConfig(VmDefinition d)
        {
            VmConfig vm = new VmConfig();
            vm.Id = ToInt(d.VmId);
            vm.Name = d.Name;
            vm.Criticality = d.Criticality;
            vm.BootOrder = ToInt(d.BootOrder);
            vm.DependsOn = ToInts(d.DependsOn, d.DependsOnCount);
            vm.PowerDomains = ToInts(d.PowerDomains, d.PowerDomainsCount);
            vm.SafeAction = d.SafeAction;
            vm.StartTimeoutMs = ToInt(d.StartTimeoutMs);
            vm.StopTimeoutMs = ToInt(d.StopTimeoutMs);
            vm.Autostart = d.Autostart;

            RestartPolicyConfig restart = new RestartPolicyConfig();
            if (d.HasRestart)
            {
                restart.MaxRestarts = ToInt(d.Restart.MaxRestarts);
                restart.WindowMs = ToInt(d.Restart.WindowMs);
                restart.BackoffInitialMs = ToInt(d.Restart.BackoffInitialMs);
                restart.BackoffMaxMs = ToInt(d.Restart.BackoffMaxMs);
            }

            vm.Restart = restart;
            vm.Supervision = d.HasSupervision ? ToSupervision(d.Supervision) : new SupervisionConfig();
            return vm;
        }

        private static SupervisionConfig ToSupervision(Codec.Link.SupervisionConfig s)
        {
            SupervisionConfig config = new SupervisionConfig();
            config.FailedRefCycleTolerance = ToInt(s.FailedRefCycleTolerance);
            if (s.HasAlive)
            {
                config.Alive.ExpectedIndications = ToInt(s.Alive.ExpectedIndications);
                config.Alive.MinMargin = ToInt(s.Alive.MinMargin);
                config.Alive.MaxMargin = ToInt(s.Alive.MaxMargin);
                config.Alive.ReferenceCycles = ToInt(s.Alive.ReferenceCycles);
            }

            DeadlineSupervisionConfig[] deadlines = s.DeadlinesCount == 0 ? EmptyArrays.Deadlines : new DeadlineSupervisionConfig[s.DeadlinesCount];
            for (int i = 0; i < deadlines.Length; i++)
            {
                DeadlineSupervision source = s.Deadlines[i];
                DeadlineSupervisionConfig deadline = new DeadlineSupervisionConfig();
                deadline.StartCheckpoint = ToInt(source.StartCheckpoint);
                deadline.EndCheckpoint = ToInt(source.EndCheckpoint);
                deadline.MinMs = ToInt(source.MinMs);
                deadline.MaxMs = ToInt(source.MaxMs);
                deadlines[i] = deadline;
            }

            config.Deadlines = deadlines;
            if (s.HasLogical)
            {
                LogicalSupervision logical = s.Logical;
                config.Logical.InitialCheckpoints = ToInts(logical.InitialCheckpoints, logical.InitialCheckpointsCount);
                config.Logical.FinalCheckpoints = ToInts(logical.FinalCheckpoints, logical.FinalCheckpointsCount);
                LogicalTransitionConfig[] transitions = logical.TransitionsCount == 0 ? EmptyArrays.Transitions : new LogicalTransitionConfig[logical.TransitionsCount];
                for (int i = 0; i < transitions.Length; i++)
                {
                    LogicalTransition t = logical.Transitions[i];
                    transitions[i] = new LogicalTransitionConfig(ToInt(t.FromCheckpoint), ToInt(t.ToCheckpoint));
                }

                config.Logical.Transitions = transitions;
            }

            return config;
        }

        private static int[] ToInts(uint[] values, int count)
        {
            if (count == 0)
            {
                return EmptyArrays.Ints;
            }

            int[] result = new int[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = ToInt(values[i]);
            }

            return result;
        }

        // Out-of-range values become -1, which ConfigValidator rejects with the field's name.
        private static int ToInt(uint value)
        {
            return value > int.MaxValue ? -1 : (int)value;
        }
    }
}
