namespace Stratos.Island.Protocol;

/// <summary>
/// Full gRPC method names of the operator API (agent.proto), shared by the agent (server) and the
/// CLI (client). A test checks every name against the generated descriptors.
/// </summary>
public static class AgentMethods
{
    private const string Vm = "/stratos.island.agent.v1.VmService/";
    private const string Supervision = "/stratos.island.agent.v1.SupervisionService/";
    private const string Power = "/stratos.island.agent.v1.PowerService/";
    private const string Events = "/stratos.island.agent.v1.EventService/";
    private const string Island = "/stratos.island.agent.v1.IslandService/";
    private const string Boards = "/stratos.island.agent.v1.BoardService/";

    public const string ListVms = Vm + "ListVms";
    public const string GetVm = Vm + "GetVm";
    public const string StartVm = Vm + "StartVm";
    public const string StopVm = Vm + "StopVm";
    public const string RestartVm = Vm + "RestartVm";
    public const string PauseVm = Vm + "PauseVm";
    public const string ResumeVm = Vm + "ResumeVm";
    public const string KillVm = Vm + "KillVm";
    public const string ClearVm = Vm + "ClearVm";
    public const string GetSupervisionStatus = Supervision + "GetSupervisionStatus";
    public const string ListPowerDomains = Power + "ListPowerDomains";
    public const string SetPowerDomain = Power + "SetPowerDomain";
    public const string SetSystemPower = Power + "SetSystemPower";
    public const string WatchEvents = Events + "WatchEvents";
    public const string ReadLog = Events + "ReadLog";
    public const string GetIslandInfo = Island + "GetIslandInfo";
    public const string ListBoards = Boards + "ListBoards";
    public const string GetBoard = Boards + "GetBoard";

    /// <summary>Every method, for registration checks.</summary>
    public static readonly string[] All =
    {
        ListVms, GetVm, StartVm, StopVm, RestartVm, PauseVm, ResumeVm, KillVm, ClearVm,
        GetSupervisionStatus, ListPowerDomains, SetPowerDomain, SetSystemPower,
        WatchEvents, ReadLog, GetIslandInfo, ListBoards, GetBoard,
    };
}
