using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Protocol.Agent.V1;
using EventServiceGrpc = Stratos.Island.Protocol.Agent.V1.EventService;

namespace Stratos.Island.Agent.Api;

/// <summary>EventService handlers.</summary>
public sealed class EventApi : EventServiceGrpc.EventServiceBase
{
    private readonly Services.EventService _events;

    public EventApi(Services.EventService events) => _events = events;

    public override Task<ReadLogResponse> ReadLog(ReadLogRequest request, ServerCallContext context) =>
        _events.ReadLogAsync(request.FromSequence, request.MaxRecords, context.CancellationToken);

    /// <summary>The response headers go out once the subscription exists (a client that saw them
    /// misses no later event), then one message per event until the client ends the call.</summary>
    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
    {
        await foreach (Event e in _events.WatchAsync(request.FromSequence, () => context.WriteResponseHeadersAsync(new Metadata()), context.CancellationToken))
        {
            await responseStream.WriteAsync(new WatchEventsResponse { Event = e }, context.CancellationToken);
        }
    }
}
