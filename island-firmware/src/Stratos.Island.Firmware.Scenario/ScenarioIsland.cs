// One island of the scenario: the firmware core (IslandCore), its link endpoint and an island-role
// LinkSession, joined over in-memory pipes to an agent-role LinkSession, on the fake HAL under
// simulated time: the wiring of island-sim and of the nanoFramework app with the hardware replaced.
// Everything is allocated here, at boot; a cycle (Cycle) allocates nothing but trace lines.
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Firmware.Scenario
{
    public sealed class ScenarioIsland
    {
        public const int PeriodMs = 10;
        public const int PipeSlots = 64;

        public const uint DeadlineVm = 3;
        public const uint LogicalVm = 4;

        private readonly ScenarioTrace _trace;
        private readonly IslandLimits _limits;
        private readonly IslandConfig _config;
        private readonly byte[][] _definitions;
        private readonly int _vmCount;
        private readonly bool[] _silent;
        private bool _deadlineHeld;
        private readonly IHeapProbe _probe;

        public ScenarioIsland(ScenarioTrace trace, VmDefinition[] vms, int vmCount, int maxVms)
            : this(trace, vms, vmCount, maxVms, null)
        {
        }

        // probe (may be null) measures what the firmware itself allocates at boot, apart from the
        // scenario's own pipes, fakes and agent: ConfigBytes, CoreBytes and LinkBytes (-1 without one).
        public ScenarioIsland(ScenarioTrace trace, VmDefinition[] vms, int vmCount, int maxVms, IHeapProbe probe)
        {
            _trace = trace;
            _probe = probe;
            _vmCount = vmCount;
            _silent = new bool[vmCount + 1];
            Clock = new ScenarioClock();
            Flash = new ScenarioFlash(256, 32);
            Rails = new ScenarioRails(trace);
            Watchdog = new ScenarioWatchdog();
            SafeState = new ScenarioSafeState(trace);
            Reset = new ScenarioReset(trace);
            ToIsland = new ScenarioPipe(PipeSlots);
            ToAgent = new ScenarioPipe(PipeSlots);
            Agent = new ScenarioAgent(trace);

            _limits = new IslandLimits();
            _limits.SupervisionCyclePeriodMs = PeriodMs;
            _limits.MaxVms = maxVms;
            _limits.ExpiredSupervisionCycleTolerance = 50;
            long before = Allocated();
            PowerDomainConfig[] domains = new PowerDomainConfig[3];
            domains[0] = Domain(0, "a-cluster", Criticality.Qm, true);
            domains[1] = Domain(1, "vm-safety", Criticality.AsilB, false);
            domains[2] = Domain(2, "vm-qm", Criticality.Qm, false);
            ConfigurationBuilder builder = new ConfigurationBuilder(_limits, domains, AgentSupervision());
            byte[] buffer = new byte[ScenarioPipe.SlotBytes];
            for (int i = 0; i < vmCount; i++)
            {
                int written;
                vms[i].Encode(buffer, 0, buffer.Length, out written);
                string error = builder.AddEncoded(buffer, 0, written);
                if (error != null)
                {
                    _trace.Line(string.Concat("configuration refused: ", error));
                }
            }

            string buildError;
            _config = builder.Build(out buildError);
            if (_config == null)
            {
                _trace.Line(string.Concat("configuration refused: ", buildError));
            }

            _definitions = new byte[builder.Count][];
            for (int i = 0; i < builder.Count; i++)
            {
                _definitions[i] = builder.EncodedAt(i);
            }

            ConfigBytes = Since(before);
        }

        // Bytes the firmware allocated at boot: the island configuration (ConfigurationBuilder and
        // what it decoded), the core (IslandCore and every manager) and the link (the endpoint and
        // the island's LinkSession). -1 without a probe.
        public long ConfigBytes;
        public long CoreBytes;
        public long LinkBytes;

        public ScenarioClock Clock { get; private set; }

        public ScenarioFlash Flash { get; private set; }

        public ScenarioRails Rails { get; private set; }

        public ScenarioWatchdog Watchdog { get; private set; }

        public ScenarioSafeState SafeState { get; private set; }

        public ScenarioReset Reset { get; private set; }

        public ScenarioPipe ToIsland { get; private set; }

        public ScenarioPipe ToAgent { get; private set; }

        public ScenarioAgent Agent { get; private set; }

        public IslandCore Core { get; private set; }

        public IslandLinkEndpoint Endpoint { get; private set; }

        public LinkSession IslandSession { get; private set; }

        public LinkSession AgentSession { get; private set; }

        // The agent sends heartbeats (its own and every VM's) each cycle.
        public bool Heartbeats = true;

        // The deadline VM's end checkpoint is held back this many more cycles (a deadline miss).
        public int HoldDeadlineEndCycles;

        public long NowMs
        {
            get { return Clock.MonotonicMs; }
        }

        // Island (re)boot: a fresh core, endpoint and session on the same flash (the event log
        // recovers), as after a reset of the MCU. Messages in flight are lost.
        public void Boot(ResetReason reason, ulong bootId)
        {
            ToIsland.Clear();
            ToAgent.Clear();
            long before = Allocated();
            Endpoint = new IslandLinkEndpoint(_limits, _definitions, _definitions.Length);
            SessionSettings settings = new SessionSettings();
            settings.BoardId = "scenario";
            settings.SoftwareVersion = "scenario 1";
            settings.SupervisionCycleMs = PeriodMs;
            settings.VmCount = (uint)_definitions.Length;
            settings.ResetReason = reason;
            IslandSession = new LinkSession(Role.Island, bootId, settings, ToAgent, Endpoint);
            LinkBytes = Since(before);
            before = Allocated();
            Core = new IslandCore(_config, Clock, Flash, Rails, Watchdog, SafeState, Reset, Endpoint, reason);
            CoreBytes = Since(before);
            Endpoint.Attach(IslandSession, Core, Clock);
            IslandSession.TransportUp(NowMs);
        }

        private long Allocated()
        {
            return _probe == null ? -1 : _probe.UsedBytes();
        }

        private long Since(long before)
        {
            return _probe == null ? -1 : _probe.UsedBytes() - before;
        }

        // A (new) agent process connects: a fresh agent session with its own boot id.
        public void ConnectAgent(ulong bootId)
        {
            ToIsland.Down = false;
            ToAgent.Down = false;
            Agent.Forget();
            SessionSettings settings = new SessionSettings();
            AgentSession = new LinkSession(Role.Agent, bootId, settings, ToIsland, Agent);
            Agent.Session = AgentSession;
            AgentSession.TransportUp(NowMs);
            _trace.Line(string.Concat("agent-> Hello ", ScenarioNames.Of(Role.Agent), " boot ", bootId.ToString(),
                string.Concat(" reset ", ScenarioNames.Of(settings.ResetReason), " | ", ToIsland.LastHex())));
            Pump();
        }

        // The agent is gone (its host crashed): nothing more reaches the island from it.
        public void LoseAgent()
        {
            ToIsland.Down = true;
            ToAgent.Down = true;
            ToIsland.Clear();
            ToAgent.Clear();
            Agent.Forget();
            Heartbeats = false;
        }

        // The link drops under a live agent (the island reset the rings): both sessions see their
        // transport go down at once, and nothing in flight survives. The agent reconnects with
        // ConnectAgent.
        public void DropLink(string reason)
        {
            ToIsland.Clear();
            ToAgent.Clear();
            IslandSession.TransportDown(reason);
            AgentSession.TransportDown(reason);
            IslandSession.TransportUp(NowMs);
        }

        public void Silence(uint vmId, bool silent)
        {
            _silent[vmId] = silent;
        }

        public void Pump()
        {
            for (int i = 0; i < 100 && (ToIsland.Count > 0 || ToAgent.Count > 0); i++)
            {
                ToIsland.DeliverTo(IslandSession, NowMs);
                if (AgentSession != null)
                {
                    ToAgent.DeliverTo(AgentSession, NowMs);
                }
            }
        }

        // One supervision period: heartbeats, time, both sessions polled, the core stepped, the
        // endpoint serviced, directives answered.
        public void Cycle()
        {
            if (Heartbeats && AgentSession != null && AgentSession.State == SessionState.Up)
            {
                SendAlive(0);
                for (uint id = 1; id <= _vmCount; id++)
                {
                    if (_silent[id])
                    {
                        continue;
                    }

                    SendAlive(id);
                    if (id == DeadlineVm)
                    {
                        if (HoldDeadlineEndCycles == 0)
                        {
                            SendCheckpoint(id, 1);
                            SendCheckpoint(id, 2);
                        }
                        else
                        {
                            // The start goes out in the first held cycle; the end only after the hold.
                            if (!_deadlineHeld)
                            {
                                SendCheckpoint(id, 1);
                                _deadlineHeld = true;
                            }

                            if (--HoldDeadlineEndCycles == 0)
                            {
                                SendCheckpoint(id, 2);
                                _deadlineHeld = false;
                            }
                        }
                    }
                    else if (id == LogicalVm)
                    {
                        SendCheckpoint(id, 1);
                        SendCheckpoint(id, 2);
                    }
                }
            }

            Clock.AdvanceMs(PeriodMs);
            Pump();
            IslandSession.Poll(NowMs);
            if (AgentSession != null)
            {
                AgentSession.Poll(NowMs);
            }

            Core.Step();
            Endpoint.Service();
            Pump();
            if (AgentSession != null && Agent.Answering)
            {
                Agent.Answer(AgentSession);
                Pump();
            }
        }

        public void Run(int ms)
        {
            for (int t = 0; t < ms; t += PeriodMs)
            {
                Cycle();
            }
        }

        public void SendAlive(uint entity)
        {
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.AliveIndication);
            e.AliveIndication.EntityId = entity;
            e.AliveIndication.Count = 1;
            AgentSession.Send(e);
        }

        public void SendCheckpoint(uint entity, uint checkpoint)
        {
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.Checkpoint);
            e.Checkpoint.EntityId = entity;
            e.Checkpoint.CheckpointId = checkpoint;
            e.Checkpoint.ObservedAtUs = (ulong)Clock.MonotonicUs;
            AgentSession.Send(e);
        }

        public void RequestVm(uint correlationId, uint vmId, VmAction action, string reason)
        {
            string line = string.Concat("agent-> VmRequest #", correlationId.ToString(), " vm ", vmId.ToString(), " ", ScenarioNames.Of(action), " '", reason, "'");
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.VmRequest);
            e.CorrelationId = correlationId;
            e.VmRequest.VmId = vmId;
            e.VmRequest.Action = action;
            e.VmRequest.Reason = reason;
            SendTraced(e, line);
        }

        public void RequestPowerDomain(uint correlationId, uint domainId, PowerState state, string reason)
        {
            string line = string.Concat("agent-> PowerDomainRequest #", correlationId.ToString(), " domain ", domainId.ToString(), " ", ScenarioNames.Of(state), " '", reason, "'");
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.PowerDomainRequest);
            e.CorrelationId = correlationId;
            e.PowerDomainRequest.DomainId = domainId;
            e.PowerDomainRequest.State = state;
            e.PowerDomainRequest.Reason = reason;
            SendTraced(e, line);
        }

        public void RequestSystemPower(uint correlationId, SystemPowerAction action, string reason)
        {
            string line = string.Concat("agent-> SystemPowerRequest #", correlationId.ToString(), " ", ScenarioNames.Of(action), " '", reason, "'");
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.SystemPowerRequest);
            e.CorrelationId = correlationId;
            e.SystemPowerRequest.Action = action;
            e.SystemPowerRequest.Reason = reason;
            SendTraced(e, line);
        }

        // The agent reports what its VMM saw without a directive (a guest crash), with a detail.
        public void ReportVm(uint vmId, ObservedVmState state, string detail)
        {
            string line = string.Concat("agent-> VmStateReport vm ", vmId.ToString(), " ", ScenarioNames.Of(state), " '", detail, "'");
            Envelope e = AgentSession.Outgoing;
            e.SetBody(EnvelopeBody.VmStateReport);
            e.VmStateReport.VmId = vmId;
            e.VmStateReport.State = state;
            e.VmStateReport.DirectiveId = 0;
            e.VmStateReport.ExitStatus = 0;
            e.VmStateReport.Detail = detail;
            SendTraced(e, line);
        }

        // Sends an agent message and traces it with the bytes that went onto the link.
        private void SendTraced(Envelope e, string line)
        {
            LinkSendStatus status = AgentSession.Send(e);
            _trace.Line(status == LinkSendStatus.Ok ? string.Concat(line, " | ", ToIsland.LastHex()) : string.Concat(line, " (not sent)"));
            Pump();
        }

        // Bytes that are not an Envelope, straight onto the island's link.
        public void SendRaw(byte[] bytes)
        {
            _trace.Line(string.Concat("agent-> raw ", ScenarioTrace.Hex(bytes, 0, bytes.Length)));
            ToIsland.TrySend(bytes, 0, bytes.Length);
            Pump();
        }

        // The agent (entity 0) must show one alive indication per 100 ms reference cycle; the second
        // failed cycle expires it (A-cluster reset, docs/firmware.md "Escalation"). That is well within
        // the global tolerance (50 cycles = 500 ms), so losing the agent, whose silence also silences
        // every VM's heartbeats, resets the A cluster rather than reaching the safe state.
        public static Configuration.SupervisionConfig AgentSupervision()
        {
            Configuration.SupervisionConfig config = new Configuration.SupervisionConfig();
            config.Alive = new AliveSupervisionConfig();
            config.Alive.ExpectedIndications = 10;
            config.Alive.MinMargin = 9;
            config.Alive.MaxMargin = 100000;
            config.Alive.ReferenceCycles = 100 / PeriodMs;
            config.FailedRefCycleTolerance = 1;
            return config;
        }

        private static PowerDomainConfig Domain(int id, string name, Criticality criticality, bool aCluster)
        {
            PowerDomainConfig d = new PowerDomainConfig();
            d.Id = id;
            d.Name = name;
            d.Criticality = criticality;
            d.InitialState = PowerState.On;
            d.IsACluster = aCluster;
            return d;
        }
    }
}
