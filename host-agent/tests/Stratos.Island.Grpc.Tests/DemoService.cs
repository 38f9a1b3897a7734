using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Grpc.Tests;

/// <summary>
/// A small real service over agent.proto messages used to exercise the wire layer: two VMs, a slow
/// method that honours cancellation, an event stream that can fail midway. It records the
/// cancellation it observed so tests can assert the server side saw the client's cancel.
/// </summary>
internal sealed class DemoService
{
    public static readonly string ListVms = Method("VmService", "ListVms");
    public static readonly string StartVm = Method("VmService", "StartVm");
    public static readonly string StopVm = Method("VmService", "StopVm");
    public static readonly string WatchEvents = Method("EventService", "WatchEvents");

    private static string Method(string service, string method) =>
        GrpcServiceRegistry.MethodName(AgentReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>(service), method);

    private static readonly string[] Names = { "base", "web" };

    public TaskCompletionSource<bool> SlowCallCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GrpcServiceRegistry CreateRegistry()
    {
        var registry = new GrpcServiceRegistry();
        registry.AddUnary(ListVms, ListVmsRequest.Parser, (ListVmsRequest _, ServerCallContext _) =>
        {
            var response = new ListVmsResponse();
            response.Vms.Add(Names.Select((n, i) => new Vm { Id = (uint)i + 1, Name = n, State = VmState.Running, Criticality = Criticality.AsilB }));
            return Task.FromResult(response);
        });
        registry.AddUnary(StartVm, StartVmRequest.Parser, (StartVmRequest request, ServerCallContext _) =>
        {
            if (!Names.Contains(request.Name))
            {
                throw new GrpcException(GrpcStatusCode.NotFound, $"VM '{request.Name}' not found; known VMs: {string.Join(", ", Names)}");
            }

            return Task.FromResult(new StartVmResponse { Vm = new Vm { Name = request.Name, State = VmState.Starting } });
        });
        // StopVm takes as long as the reason says (milliseconds), honouring cancellation.
        registry.AddUnary(StopVm, StopVmRequest.Parser, async (StopVmRequest request, ServerCallContext call) =>
        {
            try
            {
                await Task.Delay(int.Parse(request.Reason, System.Globalization.CultureInfo.InvariantCulture), call.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                SlowCallCancelled.TrySetResult(true);
                throw;
            }

            return new StopVmResponse { Vm = new Vm { Name = request.Name, State = VmState.Stopped } };
        });
        // WatchEvents streams 5 events from from_sequence; from_sequence 900 fails after two events;
        // from_sequence 0 streams until cancelled.
        registry.AddServerStreaming(WatchEvents, WatchEventsRequest.Parser, async (WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> writer, ServerCallContext call) =>
        {
            uint count = request.FromSequence == 0 ? uint.MaxValue : 5;
            for (uint i = 0; i < count; i++)
            {
                if (request.FromSequence == 900 && i == 2)
                {
                    throw new GrpcException(GrpcStatusCode.DataLoss, "event log page 3 failed its CRC");
                }

                await writer.WriteAsync(new WatchEventsResponse { Event = new Event { Sequence = request.FromSequence + i, Type = EventType.VmState, Detail = "event " + i } });
                if (request.FromSequence == 0)
                {
                    try
                    {
                        await Task.Delay(20, call.CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        SlowCallCancelled.TrySetResult(true);
                        throw;
                    }
                }
            }
        });
        return registry;
    }

    public static string NewSocketPath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stratos-grpc-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, Guid.NewGuid().ToString("N")[..12] + ".sock");
    }
}
