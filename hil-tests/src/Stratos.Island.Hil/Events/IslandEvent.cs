using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Events;

/// <summary>
/// An island event-log record as the bench received it (agent EventService.WatchEvents / ReadLog),
/// with the host time of reception and its time on the run's axis once the island clock is mapped.
/// </summary>
public sealed record IslandEvent(Event Event, double HostReceivedMs)
{
    /// <summary>Island time mapped onto the run's host axis (ms); set by <see cref="EventRecorder"/>.</summary>
    public double TimeMs { get; init; } = HostReceivedMs;

    public EventType Type => Event.Type;
    public string Subject => Event.Subject;
    public int Value => Event.Value;
    public uint Sequence => Event.Sequence;

    public override string ToString() =>
        $"#{Event.Sequence} {Event.Type} {(Event.Subject.Length > 0 ? Event.Subject : Event.SubjectId.ToString(System.Globalization.CultureInfo.InvariantCulture))} value={Event.Value}{(Event.Detail.Length > 0 ? " " + Event.Detail : "")}";
}
