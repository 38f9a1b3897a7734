using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Hil.Benches;

/// <summary>One line a guest printed on its console (HB, CP, ACK, READY, ...), when the bench read it.</summary>
public sealed record GuestLine(string Vm, double TimeMs, string Text);

/// <summary>
/// A bench that reads the guests' consoles (the virtual bench, through the agent's console tap):
/// the scenario runner fills the heartbeat and checkpoint lanes of the timelines from these lines.
/// </summary>
public interface IGuestConsoles
{
    IReadOnlyList<GuestLine> GuestLines();

    /// <summary>Writes a heartbeat-guest command to the VM's console and returns the guest's ACK line.</summary>
    Task<string> SendGuestCommandAsync(string vm, string command, CancellationToken cancellationToken);
}
