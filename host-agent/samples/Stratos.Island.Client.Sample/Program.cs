// island-client-sample [--socket PATH] [--watch]
// Lists the VMs and the island's link state through the typed client, then with --watch prints
// events until Ctrl+C. Exit codes: 0 done, 1 the agent answered with an error, 2 bad arguments.
using System;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Stratos.Island.Client;
using Stratos.Island.Protocol.Agent.V1;

string? socket = null;
bool watch = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--socket" when i + 1 < args.Length:
            socket = args[++i];
            break;
        case "--watch":
            watch = true;
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: island-client-sample [--socket PATH] [--watch]");
            return 2;
    }
}

using IslandClient client = socket is null ? IslandClient.ForDefaultSocket() : IslandClient.ForUnixSocket(socket);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    GetIslandInfoResponse island = await client.Island.GetIslandInfoAsync(new GetIslandInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
    Console.WriteLine($"board {island.Board}, link {island.LinkState}");
    ListVmsResponse vms = await client.Vms.ListVmsAsync(new ListVmsRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
    foreach (Vm vm in vms.Vms)
    {
        Console.WriteLine($"{vm.Name,-12} {vm.State,-10} {vm.Criticality}");
    }

    if (watch)
    {
        using AsyncServerStreamingCall<WatchEventsResponse> events = client.Events.WatchEvents(new WatchEventsRequest(), cancellationToken: stop.Token);
        await foreach (WatchEventsResponse e in events.ResponseStream.ReadAllAsync(stop.Token))
        {
            Console.WriteLine($"#{e.Event.Sequence} {e.Event.Type} {e.Event.Subject}: {e.Event.Detail}");
        }
    }

    return 0;
}
catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
{
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
catch (RpcException e)
{
    Console.Error.WriteLine($"island-agent at {client.SocketPath}: {e.StatusCode}: {e.Status.Detail}");
    return 1;
}
