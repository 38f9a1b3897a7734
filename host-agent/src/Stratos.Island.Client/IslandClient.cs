using System;
using System.Collections;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Net.Client;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;

namespace Stratos.Island.Client;

/// <summary>
/// A connection to island-agent's operator API over its UNIX socket, with one typed client per
/// service of agent.proto. One HTTP/2 connection, opened on the first call and shared by every
/// call (concurrent calls are multiplexed); dispose it when done.
/// <para>Failures are <see cref="Grpc.Core.RpcException"/>s carrying the agent's status code and
/// message (docs/api.md, "Errors"); deadlines and cancellation are the standard
/// <c>deadline:</c> and <c>cancellationToken:</c> arguments of every call.</para>
/// </summary>
public sealed class IslandClient : IDisposable
{
    private IslandClient(string socketPath, GrpcChannel channel)
    {
        SocketPath = socketPath;
        Channel = channel;
        Vms = new VmService.VmServiceClient(channel);
        Supervision = new SupervisionService.SupervisionServiceClient(channel);
        Power = new PowerService.PowerServiceClient(channel);
        Events = new EventService.EventServiceClient(channel);
        Island = new IslandService.IslandServiceClient(channel);
        Boards = new BoardService.BoardServiceClient(channel);
    }

    /// <summary>The agent's API socket this client calls.</summary>
    public string SocketPath { get; }

    /// <summary>The channel, for other clients (e.g. grpc.health.v1 or reflection) on the same connection.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>VMs: list, get, start, stop, restart, pause, resume, kill, clear.</summary>
    public VmService.VmServiceClient Vms { get; }

    /// <summary>The island's supervision status.</summary>
    public SupervisionService.SupervisionServiceClient Supervision { get; }

    /// <summary>Power domains and system power.</summary>
    public PowerService.PowerServiceClient Power { get; }

    /// <summary>The island's event log (ReadLog) and live events (WatchEvents).</summary>
    public EventService.EventServiceClient Events { get; }

    /// <summary>The island and the link as the agent sees them.</summary>
    public IslandService.IslandServiceClient Island { get; }

    /// <summary>Board descriptors known to the agent.</summary>
    public BoardService.BoardServiceClient Boards { get; }

    /// <summary>A client of the agent listening on <paramref name="socketPath"/>.</summary>
    public static IslandClient ForUnixSocket(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var endpoint = new UnixDomainSocketEndPoint(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, cancellationToken) => ConnectAsync(endpoint, cancellationToken),
            // One connection is enough for a tool; a WatchEvents stream must not be cut by idle timers.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
        };

        // The authority is not used on a UNIX socket; "http" selects HTTP/2 with prior knowledge.
        var channel = GrpcChannel.ForAddress("http://island-agent", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new IslandClient(socketPath, channel);
    }

    /// <summary>
    /// A client of the agent at the default socket, resolved as the CLI resolves it
    /// (<see cref="AgentSocket"/>): $ISLAND_SOCKET, else /run/island/agent.sock for root, else
    /// $XDG_RUNTIME_DIR/island/agent.sock or /tmp/island-$USER/agent.sock.
    /// </summary>
    public static IslandClient ForDefaultSocket(IDictionary? environment = null) =>
        ForUnixSocket(AgentSocket.Resolve(null, environment ?? Environment.GetEnvironmentVariables(), AgentSocket.CurrentUserIsRoot()));

    public void Dispose() => Channel.Dispose();

    private static async ValueTask<System.IO.Stream> ConnectAsync(UnixDomainSocketEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
