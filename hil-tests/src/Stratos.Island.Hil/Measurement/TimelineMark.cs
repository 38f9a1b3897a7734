namespace Stratos.Island.Hil.Measurement;

/// <summary>What a mark on a VM's timeline stands for (one row of the report's SVG timeline each).</summary>
public enum MarkKind
{
    /// <summary>An alive indication (guest <c>HB</c> line relayed by the agent).</summary>
    Heartbeat,
    /// <summary>A checkpoint (guest <c>CP</c> line); the label carries the checkpoint id.</summary>
    Checkpoint,
    /// <summary>A lifecycle or supervision status change (VmState / LocalStatus event).</summary>
    StatusChange,
    /// <summary>An escalation action or directive (Escalation event, kill / restart directive).</summary>
    Action,
    /// <summary>A fault injected by the bench.</summary>
    Fault,
    /// <summary>The bench saw the VM recover (heartbeats resumed, Running again).</summary>
    Recovery,
}

/// <summary>One mark on a timeline. Times are milliseconds since the run's time origin (host clock).</summary>
public sealed record TimelineMark(double TimeMs, MarkKind Kind, string Label);
