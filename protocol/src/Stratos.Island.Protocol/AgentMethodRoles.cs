using System.Collections.Generic;

namespace Stratos.Island.Protocol;

/// <summary>The roles of the operator API's callers (docs/security.md).</summary>
public enum ApiRole
{
    /// <summary>May only look: lists, status, logs, events, boards.</summary>
    Reader = 1,

    /// <summary>May also change the system: start, stop, kill VMs, power domains and system power.</summary>
    Operator = 2,
}

/// <summary>
/// The access rule of the operator API, next to its contract (<see cref="AgentMethods"/>): the role
/// each method needs. One table, whatever serves the API (the agent's own gRPC layer today); a test
/// checks that every method of <see cref="AgentMethods.All"/> is in it.
/// </summary>
public static class AgentMethodRoles
{
    /// <summary>Full method name -> the least role that may call it.</summary>
    public static readonly IReadOnlyDictionary<string, ApiRole> Required = new Dictionary<string, ApiRole>
    {
        [AgentMethods.ListVms] = ApiRole.Reader,
        [AgentMethods.GetVm] = ApiRole.Reader,
        [AgentMethods.StartVm] = ApiRole.Operator,
        [AgentMethods.StopVm] = ApiRole.Operator,
        [AgentMethods.RestartVm] = ApiRole.Operator,
        [AgentMethods.PauseVm] = ApiRole.Operator,
        [AgentMethods.ResumeVm] = ApiRole.Operator,
        [AgentMethods.KillVm] = ApiRole.Operator,
        [AgentMethods.ClearVm] = ApiRole.Operator,
        [AgentMethods.GetSupervisionStatus] = ApiRole.Reader,
        [AgentMethods.ListPowerDomains] = ApiRole.Reader,
        [AgentMethods.SetPowerDomain] = ApiRole.Operator,
        [AgentMethods.SetSystemPower] = ApiRole.Operator,
        [AgentMethods.WatchEvents] = ApiRole.Reader,
        [AgentMethods.ReadLog] = ApiRole.Reader,
        [AgentMethods.GetIslandInfo] = ApiRole.Reader,
        [AgentMethods.ListBoards] = ApiRole.Reader,
        [AgentMethods.GetBoard] = ApiRole.Reader,
    };

    /// <summary>The role a method needs; a method missing from the table needs <see cref="ApiRole.Operator"/>.</summary>
    public static ApiRole For(string method) => Required.TryGetValue(method, out ApiRole role) ? role : ApiRole.Operator;
}
