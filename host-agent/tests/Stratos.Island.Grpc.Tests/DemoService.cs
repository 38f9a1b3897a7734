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

namespace Stratos.Island.Grpc.Tests;

/// <summary>
/// A small real service over agent.proto, served by the agent's own gRPC server (ApiServer on
/// Grpc.AspNetCore) to exercise the wire: two VMs, a slow method that honours cancellation, an event
/// stream that can fail midway. It records the cancellation it observed so tests can assert the
/// server side saw the client's cancel.
/// </summary>
internal sealed class DemoService
{
    public const string ListVms = AgentMethods.ListVms;
    public const string StartVm = AgentMethods.StartVm;
    public const string StopVm = AgentMethods.StopVm;
    public const string WatchEvents = AgentMethods.WatchEvents;

    private static readonly string[] Names = { "base", "web" };

    public TaskCompletionSource<bool> SlowCallCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a slow StopVm handler has started (a test can cancel it only after that).</summary>
    public TaskCompletionSource<bool> SlowCallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ApiServices CreateServices() => new ApiServices()
        .Add(VmService.Descriptor.FullName, new Vms(this))
        .Add(EventService.Descriptor.FullName, new Events(this));

    public static string NewSocketPath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stratos-grpc-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, Guid.NewGuid().ToString("N")[..12] + ".sock");
    }

    /// <summary>
    /// Reads WatchEvents from fromSequence into sequences (what arrived stays there when the stream
    /// fails); with cancelAfter, the client cancels the call once that many messages arrived.
    /// </summary>
    public static async Task ReadSequencesAsync(GrpcClient client, uint fromSequence, System.Collections.Generic.List<uint> sequences, int cancelAfter = 0)
    {
        using var cts = new CancellationTokenSource();
        await foreach (var r in client.ServerStreamingAsync(WatchEvents, new WatchEventsRequest { FromSequence = fromSequence }, WatchEventsResponse.Parser, cancellationToken: cts.Token))
        {
            sequences.Add(r.Event.Sequence);
            if (sequences.Count == cancelAfter)
            {
                cts.Cancel();
            }
        }
    }

    private sealed class Vms : VmService.VmServiceBase
    {
        private readonly DemoService _demo;

        public Vms(DemoService demo) => _demo = demo;

        public override Task<ListVmsResponse> ListVms(ListVmsRequest request, ServerCallContext context)
        {
            var response = new ListVmsResponse();
            response.Vms.Add(Names.Select((n, i) => new Vm { Id = (uint)i + 1, Name = n, State = VmState.Running, Criticality = Criticality.AsilB }));
            return Task.FromResult(response);
        }

        public override Task<StartVmResponse> StartVm(StartVmRequest request, ServerCallContext context)
        {
            if (!Names.Contains(request.Name))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"VM '{request.Name}' not found; known VMs: {string.Join(", ", Names)}"));
            }

            return Task.FromResult(new StartVmResponse { Vm = new Vm { Name = request.Name, State = VmState.Starting } });
        }

        /// <summary>Takes as long as the reason says (milliseconds), honouring cancellation.</summary>
        public override async Task<StopVmResponse> StopVm(StopVmRequest request, ServerCallContext context)
        {
            _demo.SlowCallStarted.TrySetResult(true);
            try
            {
                await Task.Delay(int.Parse(request.Reason, System.Globalization.CultureInfo.InvariantCulture), context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                _demo.SlowCallCancelled.TrySetResult(true);
                throw;
            }

            return new StopVmResponse { Vm = new Vm { Name = request.Name, State = VmState.Stopped } };
        }
    }

    /// <summary>WatchEvents streams 5 events from from_sequence; from_sequence 900 fails after two
    /// events; from_sequence 0 streams until cancelled.</summary>
    private sealed class Events : EventService.EventServiceBase
    {
        private readonly DemoService _demo;

        public Events(DemoService demo) => _demo = demo;

        public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
        {
            uint count = request.FromSequence == 0 ? uint.MaxValue : 5;
            for (uint i = 0; i < count; i++)
            {
                if (request.FromSequence == 900 && i == 2)
                {
                    throw new RpcException(new Status(StatusCode.DataLoss, "event log page 3 failed its CRC"));
                }

                await responseStream.WriteAsync(new WatchEventsResponse { Event = new Event { Sequence = request.FromSequence + i, Type = EventType.VmState, Detail = "event " + i } });
                if (request.FromSequence == 0)
                {
                    try
                    {
                        await Task.Delay(20, context.CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        _demo.SlowCallCancelled.TrySetResult(true);
                        throw;
                    }
                }
            }
        }
    }
}

/// <summary>DemoService served by the agent's ApiServer on a fresh UNIX socket, with the lean client connected.</summary>
internal sealed class DemoServer : IAsyncDisposable
{
    private readonly ApiServer _server;

    private DemoServer(string socket, DemoService service, ApiServer server)
    {
        Socket = socket;
        Service = service;
        _server = server;
        Client = GrpcClient.ForUnixSocket(socket);
    }

    public string Socket { get; }

    public DemoService Service { get; }

    public GrpcClient Client { get; }

    public static async Task<DemoServer> StartAsync()
    {
        string socket = DemoService.NewSocketPath();
        var service = new DemoService();
        return new DemoServer(socket, service, await ApiServer.StartAsync(service.CreateServices(), new ApiServerOptions { UnixSocketPath = socket }));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
    }
}
