using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Agent.Api;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Cli.Tests;

/// <summary>
/// A stand-in agent API for CLI tests, served by the agent's gRPC server (ApiServer) on a real UNIX socket.
/// It answers like the agent does (same error codes and messages); the end-to-end suites run the
/// CLI against the real agent.
/// </summary>
internal sealed class ApiDouble : IAsyncDisposable
{
    private readonly ApiServer _server;

    private ApiDouble(ApiServer server, string socket)
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
        return new ApiDouble(await StartServerAsync(new ApiServerOptions { UnixSocketPath = socket }), socket);
    }

    /// <summary>The same API on a TLS listener only (the agent's --tcp-listen), at 127.0.0.1:<see cref="Port"/>.</summary>
    public static async Task<ApiDouble> StartTlsAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = await StartServerAsync(new ApiServerOptions { TcpEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), TlsCertificate = certificate });
        return new ApiDouble(server, string.Empty) { Port = port };
    }

    /// <summary>The TLS listener's port (0 for the UNIX socket double).</summary>
    public int Port { get; private init; }

    private static Task<ApiServer> StartServerAsync(ApiServerOptions options) =>
        ApiServer.StartAsync(new ApiServices()
            .Add(VmService.Descriptor.FullName, new VmApiDouble())
            .Add(IslandService.Descriptor.FullName, new IslandApiDouble())
            .Add(SupervisionService.Descriptor.FullName, new SupervisionApiDouble())
            .Add(PowerService.Descriptor.FullName, new PowerApiDouble())
            .Add(EventService.Descriptor.FullName, new EventApiDouble()),
            options);

    /// <summary>WatchEvents from this sequence sends its three events and then stays open.</summary>
    public const uint OpenStreamFrom = 1000;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static Vm Find(string name) =>
        Vms.FirstOrDefault(v => v.Name == name)
        ?? throw new RpcException(new Status(StatusCode.NotFound, $"VM '{name}' not found; known VMs: {string.Join(", ", Vms.Select(v => v.Name))}"));

    private sealed class VmApiDouble : VmService.VmServiceBase
    {
        public override Task<ListVmsResponse> ListVms(ListVmsRequest request, ServerCallContext context) =>
            Task.FromResult(new ListVmsResponse { Vms = { ApiDouble.Vms } });

        public override Task<GetVmResponse> GetVm(GetVmRequest request, ServerCallContext context) =>
            Task.FromResult(new GetVmResponse { Vm = Find(request.Name), Machine = "microvm", MemoryMib = 64, MaxRestarts = 3, RestartWindowMs = 60000, SafeAction = SafeAction.RestartVm });

        public override Task<StartVmResponse> StartVm(StartVmRequest request, ServerCallContext context) =>
            Task.FromResult(new StartVmResponse { Vm = new Vm(Find(request.Name)) { State = VmState.Starting } });

        public override Task<StopVmResponse> StopVm(StopVmRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"VM '{Find(request.Name).Name}' refused by island: 'web' depends on it and is Running"));
    }

    private sealed class IslandApiDouble : IslandService.IslandServiceBase
    {
        public override Task<GetIslandInfoResponse> GetIslandInfo(GetIslandInfoRequest request, ServerCallContext context) =>
            Task.FromResult(new GetIslandInfoResponse
            {
                Board = "virtual", LinkState = "up", Stale = true, LastHeardAgeMs = 12_345, StaleAfterMs = 500, RingResetsByIsland = 2, RingResetsByAgent = 1,
            });
    }

    private sealed class SupervisionApiDouble : SupervisionService.SupervisionServiceBase
    {
        public override Task<GetSupervisionStatusResponse> GetSupervisionStatus(GetSupervisionStatusRequest request, ServerCallContext context) =>
            Task.FromResult(new GetSupervisionStatusResponse { Global = GlobalStatus.Ok, Cycle = 3127, Stale = true, AgeMs = 3400 });
    }

    private sealed class PowerApiDouble : PowerService.PowerServiceBase
    {
        public override Task<ListPowerDomainsResponse> ListPowerDomains(ListPowerDomainsRequest request, ServerCallContext context) =>
            Task.FromResult(new ListPowerDomainsResponse { Domains = { new PowerDomain { Id = 0, Name = "a-cluster", State = PowerState.On, Criticality = Criticality.AsilB, Vms = { "base", "web" } } } });

        public override Task<SetPowerDomainResponse> SetPowerDomain(SetPowerDomainRequest request, ServerCallContext context) =>
            Task.FromResult(new SetPowerDomainResponse { Domain = new PowerDomain { Name = request.Name, State = request.State } });
    }

    private sealed class EventApiDouble : EventService.EventServiceBase
    {
        public override Task<ReadLogResponse> ReadLog(ReadLogRequest request, ServerCallContext context)
        {
            var response = new ReadLogResponse { FirstAvailable = 1, NextSequence = 31 };
            response.Events.Add(Enumerable.Range(1, 30).Where(i => i >= request.FromSequence).Select(i => new Event { Sequence = (uint)i, Type = EventType.VmState, Subject = "base", Detail = "event " + i }));
            return Task.FromResult(response);
        }

        public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
        {
            for (uint i = 0; i < 3; i++)
            {
                await responseStream.WriteAsync(new WatchEventsResponse { Event = new Event { Sequence = request.FromSequence + i, Type = EventType.SupervisionStatus, Subject = "web", Detail = "expired" } });
            }

            if (request.FromSequence == OpenStreamFrom)
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);   // stays open until the client goes
            }
        }
    }
}
