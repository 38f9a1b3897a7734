// island-sim's part of the heartbeat trace (--trace-heartbeats FILE; docs/guests.md "Timing each
// hop"): the moment the island's main loop hands each AliveIndication to the firmware core, the
// last hop of a relayed heartbeat. One line per indication, `entity recv_ns` (CLOCK_MONOTONIC
// nanoseconds, MonotonicTraceFile), joined with the agent's trace per entity in arrival order. It sits
// between the session and IslandLinkEndpoint as a pass-through ISessionListener, so the firmware core
// knows nothing of it and runs unchanged when the trace is off.
using System;
using System.Globalization;
using Stratos.Island.Codec.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Link.Session;

namespace Stratos.Island.Sim;

public sealed class AliveTrace : ISessionListener, IDisposable
{
    private readonly ISessionListener _inner;
    private readonly MonotonicTraceFile _file;

    public AliveTrace(ISessionListener inner, string path)
    {
        _inner = inner;
        _file = new MonotonicTraceFile(path, "island-sim heartbeat trace: entity recv_ns (CLOCK_MONOTONIC)");
    }

    public void OnEnvelope(Envelope envelope)
    {
        if (envelope.BodyCase == EnvelopeBody.AliveIndication)
        {
            long now = MonotonicTraceFile.NowNanoseconds();
            _file.Write(envelope.AliveIndication.EntityId.ToString(CultureInfo.InvariantCulture) + " " + now.ToString(CultureInfo.InvariantCulture));
        }

        _inner.OnEnvelope(envelope);
    }

    public void OnSessionUp(ulong peerBootId, bool peerRestarted, uint version) => _inner.OnSessionUp(peerBootId, peerRestarted, version);

    public void OnSessionDown(SessionDownReason reason, string detail) => _inner.OnSessionDown(reason, detail);

    public void OnRequestTimeout(uint correlationId) => _inner.OnRequestTimeout(correlationId);

    public void Dispose() => _file.Dispose();
}
