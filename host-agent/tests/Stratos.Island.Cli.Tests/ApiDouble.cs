using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Cli.Tests;

/// <summary>
/// A stand-in agent API for CLI tests, served by the production gRPC server on a real UNIX socket.
/// It answers like the agent does (same error codes and messages); the end-to-end suites run the
/// CLI against the real agent.
/// </summary>
internal sealed class ApiDouble : IAsyncDisposable
{
    private readonly GrpcServer _server;

    private ApiDouble(GrpcServer server, string socket)
    {
        _server = server;
        Socket = socket;
    }

    public string Socket { get; }

    public static Vm[] Vms { get; } =
    {
        new() { Id = 1, Name = "base", State = VmState.Running, Supervision = LocalStatus.Ok, Criticality = Criticality.AsilB, BootOrder = 1, Pid = 4242 },
        new() { Id = 2, Name = "web", State = VmState.Stopped, Supervision = LocalStatus.Deactivated, Criticality = Criticality.Qm, BootOrder = 2, DependsOn = { "base" } },
    };

    public static async Task<ApiDouble> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stratos-cli-tests");
        Directory.CreateDirectory(dir);
        var socket = Path.Combine(dir, Guid.NewGuid().ToString("N")[..12] + ".sock");
        var registry = new GrpcServiceRegistry();
        registry.AddUnary(AgentMethods.ListVms, ListVmsRequest.Parser, (ListVmsRequest _, ServerCallContext _) =>
            Task.FromResult(new ListVmsResponse { Vms = { Vms } }));
        registry.AddUnary(AgentMethods.GetIslandInfo, GetIslandInfoRequest.Parser, (GetIslandInfoRequest _, ServerCallContext _) =>
            Task.FromResult(new GetIslandInfoResponse
            {
                Board = "virtual", LinkState = "up", Stale = true, LastHeardAgeMs = 12_345, StaleAfterMs = 500, RingResetsByIsland = 2, RingResetsByAgent = 1,
            }));
        registry.AddUnary(AgentMethods.GetVm, GetVmRequest.Parser, (GetVmRequest r, ServerCallContext _) =>
            Task.FromResult(new GetVmResponse { Vm = Find(r.Name), Machine = "microvm", MemoryMib = 64, MaxRestarts = 3, RestartWindowMs = 60000, SafeAction = SafeAction.RestartVm }));
        registry.AddUnary(AgentMethods.StartVm, StartVmRequest.Parser, (StartVmRequest r, ServerCallContext _) =>
        {
            var vm = Find(r.Name);
            return Task.FromResult(new StartVmResponse { Vm = new Vm(vm) { State = VmState.Starting } });
        });
        registry.AddUnary<StopVmRequest, StopVmResponse>(AgentMethods.StopVm, StopVmRequest.Parser, (StopVmRequest r, ServerCallContext _) =>
        {
            var vm = Find(r.Name);
            throw new GrpcException(GrpcStatusCode.FailedPrecondition, $"VM '{vm.Name}' refused by island: 'web' depends on it and is Running");
        });
        registry.AddUnary(AgentMethods.GetSupervisionStatus, GetSupervisionStatusRequest.Parser, (GetSupervisionStatusRequest _, ServerCallContext _) =>
            Task.FromResult(new GetSupervisionStatusResponse { Global = GlobalStatus.Ok, Cycle = 3127, Stale = true, AgeMs = 3400 }));
        registry.AddUnary(AgentMethods.ListPowerDomains, ListPowerDomainsRequest.Parser, (ListPowerDomainsRequest _, ServerCallContext _) =>
            Task.FromResult(new ListPowerDomainsResponse { Domains = { new PowerDomain { Id = 0, Name = "a-cluster", State = PowerState.On, Criticality = Criticality.AsilB, Vms = { "base", "web" } } } }));
        registry.AddUnary(AgentMethods.SetPowerDomain, SetPowerDomainRequest.Parser, (SetPowerDomainRequest r, ServerCallContext _) =>
            Task.FromResult(new SetPowerDomainResponse { Domain = new PowerDomain { Name = r.Name, State = r.State } }));
        registry.AddUnary(AgentMethods.ReadLog, ReadLogRequest.Parser, (ReadLogRequest r, ServerCallContext _) =>
        {
            var response = new ReadLogResponse { FirstAvailable = 1, NextSequence = 31 };
            response.Events.Add(Enumerable.Range(1, 30).Where(i => i >= r.FromSequence).Select(i => new Event { Sequence = (uint)i, Type = EventType.VmState, Subject = "base", Detail = "event " + i }));
            return Task.FromResult(response);
        });
        registry.AddServerStreaming(AgentMethods.WatchEvents, WatchEventsRequest.Parser, async (WatchEventsRequest r, IServerStreamWriter<WatchEventsResponse> w, ServerCallContext call) =>
        {
            for (uint i = 0; i < 3; i++)
            {
                await w.WriteAsync(new WatchEventsResponse { Event = new Event { Sequence = r.FromSequence + i, Type = EventType.SupervisionStatus, Subject = "web", Detail = "expired" } });
            }

            if (r.FromSequence == OpenStreamFrom)
            {
                await Task.Delay(Timeout.Infinite, call.CancellationToken);   // stays open until the client goes
            }
        });
        var server = await GrpcServer.StartAsync(registry, new GrpcServerOptions { UnixSocketPath = socket });
        return new ApiDouble(server, socket);
    }

    /// <summary>WatchEvents from this sequence sends its three events and then stays open.</summary>
    public const uint OpenStreamFrom = 1000;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static Vm Find(string name) =>
        Vms.FirstOrDefault(v => v.Name == name)
        ?? throw new GrpcException(GrpcStatusCode.NotFound, $"VM '{name}' not found; known VMs: {string.Join(", ", Vms.Select(v => v.Name))}");
}
