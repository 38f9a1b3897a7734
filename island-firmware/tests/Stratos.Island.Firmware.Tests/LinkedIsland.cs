using System;
using System.Collections.Generic;
using Google.Protobuf;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.Link;
using Stratos.Island.Link;
using Stratos.Island.Link.Session;
using LinkPb = Stratos.Island.Protocol.Link.V1;
using PbCommon = Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Firmware.Tests;

// The agent's side of the test link: records every application Envelope, decoded by Google.Protobuf
// from the codec's own re-encoding (so the tests read the messages the way the host agent does).
public sealed class AgentRecorder : ISessionListener
{
    private readonly byte[] _buffer = new byte[512];

    public bool Recording { get; set; } = true;

    public int UpCount { get; private set; }

    public bool LastUpRestarted { get; private set; }

    public List<LinkPb.Envelope> Received { get; } = new();

    public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version)
    {
        UpCount++;
        LastUpRestarted = peerRestarted;
    }

    public void OnSessionDown(SessionDownReason reason, string detail)
    {
    }

    public void OnEnvelope(Codec.Link.Envelope envelope)
    {
        if (!Recording)
        {
            return;
        }

        CodecStatus status = envelope.Encode(_buffer, 0, _buffer.Length, out int written);
        if (status != CodecStatus.Ok)
        {
            throw new InvalidOperationException("re-encoding a received envelope failed: " + status);
        }

        Received.Add(LinkPb.Envelope.Parser.ParseFrom(_buffer, 0, written));
    }

    public void OnRequestTimeout(uint correlationId)
    {
    }

    public IEnumerable<LinkPb.Envelope> Of(LinkPb.Envelope.BodyOneofCase body)
    {
        foreach (LinkPb.Envelope e in Received)
        {
            if (e.BodyCase == body)
            {
                yield return e;
            }
        }
    }
}

// IslandCore + IslandLinkEndpoint + an island LinkSession, joined to a real agent LinkSession by
// in-memory pipes (the scenario program's ScenarioPipe), all under a simulated clock. The configuration goes through ConfigurationBuilder
// from Google.Protobuf-encoded VmDefinitions, as on the MCU and in island-sim.
public sealed class LinkedIsland
{
    public const int PeriodMs = 10;

    // Messages each direction holds before a send is refused.
    public const int PipeSlots = 1024;

    public LinkedIsland(IReadOnlyList<LinkPb.VmDefinition> definitions, SupervisionConfig? agentSupervision = null)
    {
        Definitions = definitions;
        var limits = new IslandLimits { SupervisionCyclePeriodMs = PeriodMs, MaxVms = 32, ExpiredSupervisionCycleTolerance = 50 };
        var domains = new[]
        {
            new PowerDomainConfig { Id = 0, Name = "a-cluster", Criticality = Criticality.Qm, IsACluster = true },
            new PowerDomainConfig { Id = 1, Name = "vm-base", Criticality = Criticality.AsilB },
            new PowerDomainConfig { Id = 2, Name = "vm-web", Criticality = Criticality.Qm },
        };
        var builder = new ConfigurationBuilder(limits, domains, agentSupervision ?? new SupervisionConfig());
        foreach (LinkPb.VmDefinition d in definitions)
        {
            byte[] encoded = d.ToByteArray();
            string? error = builder.AddEncoded(encoded, 0, encoded.Length);
            if (error != null)
            {
                throw new InvalidOperationException(error);
            }
        }

        IslandConfig config = builder.Build(out string buildError) ?? throw new InvalidOperationException(buildError);
        var encodedDefinitions = new byte[builder.Count][];
        for (int i = 0; i < builder.Count; i++)
        {
            encodedDefinitions[i] = builder.EncodedAt(i);
        }

        Endpoint = new IslandLinkEndpoint(limits, encodedDefinitions, builder.Count);
        IslandSession = new LinkSession(Role.Island, 0x1517, new SessionSettings { BoardId = "virtual", SupervisionCycleMs = PeriodMs, VmCount = (uint)builder.Count },
            ToAgent, Endpoint);
        Core = new IslandCore(config, Clock, Flash, Rails, Watchdog, SafeState, Reset, Endpoint, ResetReason.PowerOn);
        Endpoint.Attach(IslandSession, Core, Clock);
        Agent = new LinkSession(Role.Agent, 0xA6E7, new SessionSettings(), ToIsland, AgentEvents);
    }

    public IReadOnlyList<LinkPb.VmDefinition> Definitions { get; }

    public SimulatedClock Clock { get; } = new();

    public ScenarioFlash Flash { get; } = new(256, 32);

    public RecordingPowerRails Rails { get; } = new();

    public RecordingWatchdog Watchdog { get; } = new();

    public RecordingSafeStateOutput SafeState { get; } = new();

    public RecordingResetControl Reset { get; } = new();

    public ScenarioPipe ToIsland { get; } = new(PipeSlots);

    public ScenarioPipe ToAgent { get; } = new(PipeSlots);

    public AgentRecorder AgentEvents { get; } = new();

    public IslandLinkEndpoint Endpoint { get; }

    public LinkSession IslandSession { get; }

    public LinkSession Agent { get; }

    public IslandCore Core { get; }

    public long NowMs => Clock.MonotonicMs;

    public void Connect()
    {
        IslandSession.TransportUp(NowMs);
        Agent.TransportUp(NowMs);
        Pump();
    }

    // Delivers everything queued both ways (the island first), then polls both sessions.
    public void Pump()
    {
        for (int i = 0; i < 100 && (ToIsland.Count > 0 || ToAgent.Count > 0); i++)
        {
            ToIsland.DeliverTo(IslandSession, NowMs);
            ToAgent.DeliverTo(Agent, NowMs);
        }
    }

    // One main-loop pass as island-sim runs it: sessions polled, core stepped, endpoint serviced.
    public void Step()
    {
        Pump();
        IslandSession.Poll(NowMs);
        Agent.Poll(NowMs);
        Core.Step();
        Endpoint.Service();
        Pump();
    }

    public void Run(int ms)
    {
        for (int t = 0; t < ms; t += PeriodMs)
        {
            Clock.AdvanceMs(PeriodMs);
            Step();
        }
    }

    public void SendFromAgent(Action<Codec.Link.Envelope> fill, uint correlationId = 0)
    {
        Codec.Link.Envelope e = Agent.Outgoing;
        fill(e);
        e.CorrelationId = correlationId;
        LinkSendStatus status = Agent.Send(e);
        if (status != LinkSendStatus.Ok)
        {
            throw new InvalidOperationException("agent send failed: " + status);
        }

        Pump();
    }

    public void Request(uint vmId, VmAction action, uint correlationId) => SendFromAgent(e =>
    {
        e.SetBody(Codec.Link.EnvelopeBody.VmRequest);
        e.VmRequest.VmId = vmId;
        e.VmRequest.Action = action;
        e.VmRequest.Reason = "test";
    }, correlationId);

    public void Report(uint vmId, ObservedVmState state, uint directiveId) => SendFromAgent(e =>
    {
        e.SetBody(Codec.Link.EnvelopeBody.VmStateReport);
        e.VmStateReport.VmId = vmId;
        e.VmStateReport.State = state;
        e.VmStateReport.DirectiveId = directiveId;
    });

    // A VM definition in the shape of boards/virtual/vms.yaml.
    public static LinkPb.VmDefinition Vm(uint id, string name, PbCommon.Criticality criticality, uint bootOrder, uint domain, params uint[] dependsOn)
    {
        var vm = new LinkPb.VmDefinition
        {
            VmId = id,
            Name = name,
            Criticality = criticality,
            BootOrder = bootOrder,
            SafeAction = PbCommon.SafeAction.RestartVm,
            Autostart = true,
            StartTimeoutMs = 5000,
            StopTimeoutMs = 3000,
            Restart = new LinkPb.RestartPolicy { MaxRestarts = 3, WindowMs = 60_000, BackoffInitialMs = 100, BackoffMaxMs = 800 },
            Supervision = new LinkPb.SupervisionConfig
            {
                Alive = new LinkPb.AliveSupervision { ExpectedIndications = 2, MinMargin = 1, MaxMargin = 2, ReferenceCycles = 5 },
                FailedRefCycleTolerance = 1,
            },
            Vmm = new LinkPb.VmmConfig { Machine = "microvm", MemoryMib = 64, Vcpus = 1, Kernel = "hil-tests/guest/build/heartbeat.elf", Cmdline = "console=ttyS0" },
        };
        vm.PowerDomains.Add(domain);
        vm.DependsOn.Add(dependsOn);
        return vm;
    }

    public static List<LinkPb.VmDefinition> Demo() => new()
    {
        Vm(1, "base", PbCommon.Criticality.AsilB, 1, 1),
        Vm(2, "web", PbCommon.Criticality.Qm, 2, 2, 1),
    };
}
