using System.Threading.Tasks;
using Stratos.Island.Agent.Services;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Agent.Api;

/// <summary>EventService handlers.</summary>
public static class EventApi
{
    public static void Register(GrpcServiceRegistry registry, EventService events)
    {
        registry.AddUnary(AgentMethods.ReadLog, ReadLogRequest.Parser, (ReadLogRequest r, ServerCallContext c) =>
            ErrorMapping.Guard(() => events.ReadLogAsync(r.FromSequence, r.MaxRecords, c.CancellationToken)));
        registry.AddServerStreaming(AgentMethods.WatchEvents, WatchEventsRequest.Parser, async (WatchEventsRequest r, IServerStreamWriter<WatchEventsResponse> writer, ServerCallContext c) =>
        {
            await ErrorMapping.Guard(async () =>
            {
                await foreach (Event e in events.WatchAsync(r.FromSequence, writer.WriteResponseHeadersAsync, c.CancellationToken))
                {
                    await writer.WriteAsync(new WatchEventsResponse { Event = e });
                }

                return true;
            });
        });
    }
}
