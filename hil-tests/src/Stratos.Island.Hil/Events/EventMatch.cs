using System;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Events;

/// <summary>A named predicate over island events (the name is printed when an expectation fails).</summary>
public sealed record EventMatch(string Description, Func<IslandEvent, bool> Predicate)
{
    public bool Matches(IslandEvent e) => Predicate(e);

    public override string ToString() => Description;

    public static EventMatch OfType(EventType type) =>
        new($"{type}", e => e.Type == type);

    public static EventMatch VmState(string vm, VmState state) =>
        new($"VM '{vm}' {state}", e => e.Type == EventType.VmState && e.Subject == vm && e.Value == (int)state);

    public static EventMatch Supervision(string subject, LocalStatus status) =>
        new($"supervision of '{subject}' {status}", e => e.Type == EventType.SupervisionStatus && e.Subject == subject && e.Value == (int)status);

    /// <summary>FAILED or EXPIRED: what counts as detection of a supervision fault.</summary>
    public static EventMatch SupervisionFault(string subject) =>
        new($"supervision of '{subject}' FAILED or EXPIRED", e => e.Type == EventType.SupervisionStatus && e.Subject == subject
            && (e.Value == (int)LocalStatus.Failed || e.Value == (int)LocalStatus.Expired));

    public static EventMatch Escalation(string subject, SafeAction action) =>
        new($"escalation {action} for '{subject}'", e => e.Type == EventType.Escalation && e.Subject == subject && e.Value == (int)action);

    public static EventMatch AnyEscalation(string subject) =>
        new($"an escalation for '{subject}'", e => e.Type == EventType.Escalation && e.Subject == subject);

    public static EventMatch IslandBoot(ResetReason reason) =>
        new($"island boot ({reason})", e => e.Type == EventType.IslandBoot && e.Value == (int)reason);

    public static EventMatch Global(GlobalStatus status) =>
        new($"global supervision {status}", e => e.Type == EventType.GlobalStatus && e.Value == (int)status);
}
