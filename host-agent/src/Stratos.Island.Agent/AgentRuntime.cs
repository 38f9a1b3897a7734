// The agent assembled: QEMU backend (after stale cleanup), state cache, island link, directive
// executor, heartbeat relay, event fan-out, API services and the gRPC server (Grpc.AspNetCore, Api/ApiServer.cs) on the UNIX socket.
//
// Re-synchronisation (docs/agent.md):
//   * at start: QEMUs a previous agent run left running are re-adopted (DirectiveExecutor.
//     AdoptRunningAsync -> QemuBackend.AdoptAsync); stale folders are removed, QEMUs of unknown VMs
//     killed. The first session then reports each VM's real state (adopted ones RUNNING / PAUSED) and
//     the island reconciles with directives (a VM that must not run gets a STOP).
//   * at every session up (first connection, island restart, link glitch): StatusRequest with
//     include_definitions -> the cache gets every VmStatus, PowerDomainStatus, SupervisionStatus and
//     VmDefinition blob; then one VmStateReport per VM with its real state.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Stratos.Island.Agent.Api;
using Stratos.Island.Agent.Link;
using Stratos.Island.Link.Linux;
using Stratos.Island.Agent.Services;
using Stratos.Island.Agent.State;
using Stratos.Island.Agent.Vmm;
using Stratos.Island.Agent.Vms;
using Stratos.Island.Boards;
using Stratos.Island.Link;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent;

/// <summary>Everything the host exe decides from its command line.</summary>
public sealed record AgentOptions
{
    public required BoardDescriptor Board { get; init; }
    public required string BoardsDirectory { get; init; }
    public required string SocketPath { get; init; }
    public required string RuntimeDirectory { get; init; }
    /// <summary>Base for relative kernel/disk paths of VM definitions.</summary>
    public required string GuestKernelDirectory { get; init; }
    public string? SharedMemoryPath { get; init; }
    public string? KickSocketPath { get; init; }
    /// <summary>A fixed rpmsg char endpoint device for board transport rpmsg-char; null (the default)
    /// finds or creates the endpoint through the board's rpmsg_char.control_device.</summary>
    public string? RpmsgDevice { get; init; }
    /// <summary>Host-wide accelerator (--accel): Auto follows each VM's definition; Tcg forces TCG.</summary>
    public Stratos.Island.Agent.Vmm.Accelerator Accelerator { get; init; } = Stratos.Island.Agent.Vmm.Accelerator.Auto;
    /// <summary>Extra QEMU arguments for every VM (tests add isa-debug-exit).</summary>
    public IReadOnlyList<string> ExtraQemuArgs { get; init; } = Array.Empty<string>();
    public IslandLinkOptions Link { get; init; } = new();
    public string AgentVersion { get; init; } = "0.1.0";
    /// <summary>Optional TCP listener for the API (off by default); always TLS.</summary>
    public System.Net.IPEndPoint? TcpEndpoint { get; init; }
    /// <summary>Server certificate of the TCP listener (required with TcpEndpoint).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsCertificate { get; init; }
    /// <summary>Wraps the factory of the link's channels (a test hook such as the HIL's link faults,
    /// plugged in by the host only when asked for); null, the production path: channels as opened.</summary>
    public Func<LinkChannelFactory, LinkChannelFactory>? LinkChannelDecorator { get; init; }
    /// <summary>Diagnostic: the heartbeat trace file (--trace-heartbeats; null = off).</summary>
    public string? HeartbeatTracePath { get; init; }
    /// <summary>Group whose members may call the API's read-only methods (--api-group); the API
    /// socket is 0660 to it. Null: the socket is 0600 (root and the agent's user only).</summary>
    public string? ApiReadGroup { get; init; }
    /// <summary>Group whose members are operators besides root and the agent's user (--api-admin-group).</summary>
    public string? ApiAdminGroup { get; init; }
}

public sealed class AgentRuntime : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _apiLogger;
    private readonly ApiServices _api;
    private ApiServer? _server;
    private readonly object _healthLock = new();

    private AgentRuntime(AgentOptions options, ILoggerFactory loggers)
    {
        Options = options;
        _logger = loggers.CreateLogger("island-agent");
        Cache = new StateCache();
        Events = new EventHub();
        Backend = options.Board.Vmm == "xen"
            ? new Stratos.Island.Agent.Vmm.Xen.XenBackend(new Stratos.Island.Agent.Vmm.Xen.XenBackendOptions { RuntimeDirectory = options.RuntimeDirectory })
            : new QemuBackend(new QemuBackendOptions { RuntimeDirectory = options.RuntimeDirectory, Accelerator = options.Accelerator });
        LinkChannelFactory channels = CreateChannelFactory(options);
        if (options.LinkChannelDecorator is not null)
        {
            channels = options.LinkChannelDecorator(channels);
        }

        Link = new IslandLink(options.Link with { BoardId = options.Board.Id }, channels, loggers.CreateLogger("island-link"));
        var sink = new LinkSupervisionSink(Link);
        Relay = new HeartbeatRelay(sink);
        if (options.HeartbeatTracePath is not null)
        {
            Relay.Trace = new HeartbeatTrace(options.HeartbeatTracePath);
            Link.PostSent += Relay.Trace.Sent;
            _logger.LogInformation("heartbeat trace on in {File}", options.HeartbeatTracePath);
        }
        Executor = new DirectiveExecutor(Backend, Cache, new VmSpecFactory(options.GuestKernelDirectory, options.ExtraQemuArgs), Relay, sink, loggers.CreateLogger("directives"));
        var gateway = new IslandGateway(Link);
        Island = new IslandService(gateway, options.Board.Id, options.AgentVersion) { SupervisionCycleMs = options.Board.Island.SupervisionCycleMs };
        var events = new EventService(gateway, Cache, Events);
        Feed = new EventFeed(Events, async (from, token) => (await events.ReadIslandLogAsync(from, 0, token).ConfigureAwait(false)).Records,
            loggers.CreateLogger("events"));
        _apiLogger = loggers.CreateLogger("grpc");
        _api = new ApiServices()
            .Add(Protocol.Agent.V1.VmService.Descriptor.FullName, new VmApi(new VmService(gateway, Cache)))
            .Add(Protocol.Agent.V1.SupervisionService.Descriptor.FullName, new SupervisionApi(new SupervisionService(gateway, Cache)))
            .Add(Protocol.Agent.V1.PowerService.Descriptor.FullName, new PowerApi(new PowerService(gateway, Cache)))
            .Add(Protocol.Agent.V1.EventService.Descriptor.FullName, new EventApi(events))
            .Add(Protocol.Agent.V1.IslandService.Descriptor.FullName, new IslandApi(Island))
            .Add(Protocol.Agent.V1.BoardService.Descriptor.FullName, new BoardApi(new BoardService(options.BoardsDirectory)));
    }

    public AgentOptions Options { get; }
    public StateCache Cache { get; }
    public EventHub Events { get; }
    public IVmmBackend Backend { get; }
    public IslandLink Link { get; }
    public HeartbeatRelay Relay { get; }
    public DirectiveExecutor Executor { get; }
    public IslandService Island { get; }
    public EventFeed Feed { get; }
    /// <summary>The API server (operator API, reflection, health); null until started and after disposal.</summary>
    public ApiServer? Server => _server;

    /// <summary>Leftovers of a previous run cleaned up at start (gone QEMUs, unknown or unadoptable ones killed).</summary>
    public IReadOnlyList<StaleVm> StaleVms { get; private set; } = Array.Empty<StaleVm>();

    /// <summary>Completes after each re-synchronisation (tests wait on it).</summary>
    public event Action? Resynchronised;

    /// <summary>Starts everything; returns once the API socket listens.</summary>
    public static async Task<AgentRuntime> StartAsync(AgentOptions options, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        PrivateEndpoints.CreateDirectory(options.RuntimeDirectory, options.ApiReadGroup is string read ? PrivateEndpoints.GroupId(read) : null);
        var runtime = new AgentRuntime(options, loggers);
        try
        {
            await runtime.StartCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return runtime;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        SeedDefinitions();
        StaleVms = await Executor.AdoptRunningAsync(cancellationToken).ConfigureAwait(false);
        foreach (StaleVm stale in StaleVms)
        {
            _logger.LogWarning("leftover of VM '{Vm}' (pid {Pid}) from a previous agent run: {Detail}", stale.VmName, stale.Pid, stale.Detail);
        }

        Link.VmStatusReceived += Cache.ApplyVmStatus;
        Link.SupervisionStatusReceived += Cache.ApplySupervision;
        Link.PowerStatusReceived += Cache.ApplyPower;
        Link.EventReceived += Feed.OnEvent;
        Link.BlobReceived += OnBlob;
        Link.DirectiveReceived += d => _ = Executor.HandleAsync(d);
        Link.SessionUp += session =>
        {
            Feed.OnSessionUp();
            _ = Task.Run(ResynchroniseAsync);
            FollowLinkHealth();
        };
        Link.SessionDown += _ => FollowLinkHealth();
        Link.Start();

        // Least privilege (docs/security.md): the socket is 0600, or 0660 to the read group, from
        // before it listens; every call is checked against AgentMethodRoles by the caller's SO_PEERCRED.
        (string Name, int Id)? readGroup = Options.ApiReadGroup is string read ? (read, PrivateEndpoints.GroupId(read)) : null;
        (string Name, int Id)? adminGroup = Options.ApiAdminGroup is string admin ? (admin, PrivateEndpoints.GroupId(admin)) : null;
        var policy = new ApiAccessPolicy(PrivateEndpoints.CurrentUserId(), readGroup, adminGroup);
        string? socketDir = Path.GetDirectoryName(Options.SocketPath);
        if (!string.IsNullOrEmpty(socketDir))
        {
            PrivateEndpoints.CreateDirectory(socketDir, readGroup?.Id);
        }

        _server = await ApiServer.StartAsync(_api, new ApiServerOptions
        {
            UnixSocketPath = Options.SocketPath,
            UnixListener = path => PrivateEndpoints.ListenUnix(path, 512, readGroup?.Id),
            TcpEndpoint = Options.TcpEndpoint,
            TlsCertificate = Options.TlsCertificate,
            Authorize = policy.Check,
            InitiallyServing = name => !IslandBacked(name) || Link.IsUp,
            Logger = _apiLogger,
        }, cancellationToken).ConfigureAwait(false);
        FollowLinkHealth();
        _logger.LogInformation("API listening on {Socket}; board '{Board}'; QEMU runtime {Runtime}", Options.SocketPath, Options.Board.Id, Options.RuntimeDirectory);
    }

    // Health (grpc.health.v1): the server ("") and every service answered from the island are
    // SERVING only while the island link is up; BoardService reads board files and always serves.
    private static bool IslandBacked(string service) => service != Protocol.Agent.V1.BoardService.Descriptor.FullName;

    private void FollowLinkHealth()
    {
        lock (_healthLock)
        {
            // Read and set under one lock: the link thread and the start-up never leave an old state behind.
            if (_server is ApiServer server)
            {
                server.SetServing(Link.IsUp, _api.Names.Where(IslandBacked).Prepend(string.Empty));
            }
        }
    }

    private void SeedDefinitions()
    {
        string path = Path.Combine(Path.GetDirectoryName(Options.Board.SourcePath) ?? ".", IslandConfigLoader.ConfigFileName);
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            Cache.SeedDefinitions(IslandConfigLoader.Load(path, Options.Board).Vms);
        }
        catch (BoardDescriptorException e)
        {
            _logger.LogWarning("{Path}: not used until the island sends its definitions: {Error}", path, e.Message);
        }
    }

    private void OnBlob(BlobKind kind, byte[] blob)
    {
        if (kind != BlobKind.VmDefinition)
        {
            return;
        }

        try
        {
            Cache.ApplyDefinition(VmDefinition.Parser.ParseFrom(blob));
        }
        catch (InvalidProtocolBufferException e)
        {
            _logger.LogWarning("VM definition blob of {Length} bytes rejected: {Error}", blob.Length, e.Message);
        }
    }

    private async Task ResynchroniseAsync()
    {
        try
        {
            var request = new Envelope { StatusRequest = new StatusRequest { IncludeDefinitions = true } };
            await Link.RequestAsync(request, ReplyShape.RequestResult, TimeSpan.FromSeconds(5), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AgentException or OperationCanceledException)
        {
            _logger.LogWarning("re-sync: status request failed: {Error}", e.Message);
        }

        Executor.ReportAll(Cache.VmIds());
        _logger.LogInformation("re-sync: reported {Count} VM(s) to the island", Cache.VmIds().Count);
        Resynchronised?.Invoke();
    }

    private static LinkChannelFactory CreateChannelFactory(AgentOptions options)
    {
        LinkSpec link = options.Board.Link;
        switch (link.Transport)
        {
            case LinkTransport.SharedMemory:
                SharedMemorySpec shm = link.SharedMemory ?? throw new AgentException(Protocol.Common.V1.ErrorCode.InvalidArgument,
                    $"board '{options.Board.Id}': link.shared_memory is missing");
                return SharedMemoryChannel.Factory(options.SharedMemoryPath ?? shm.Path, options.KickSocketPath ?? link.KickSocket
                    ?? throw new AgentException(Protocol.Common.V1.ErrorCode.InvalidArgument, $"board '{options.Board.Id}': link.kick_socket is missing (or pass --kick-socket)"),
                    link.ChannelName, ToLayout(shm));
            case LinkTransport.Serial:
                SerialSpec serial = link.Serial ?? throw new AgentException(Protocol.Common.V1.ErrorCode.InvalidArgument, $"board '{options.Board.Id}': link.serial is missing");
                return SerialChannel.Factory(serial.Device, (int)serial.Baud);
            default:
                if (options.RpmsgDevice is not null)
                {
                    return RpmsgCharChannel.Factory(options.RpmsgDevice);
                }

                RpmsgCharSpec rpmsg = link.RpmsgChar ?? throw new AgentException(Protocol.Common.V1.ErrorCode.InvalidArgument,
                    $"board '{options.Board.Id}': link.rpmsg_char.control_device is missing (or pass --rpmsg-device)");
                return RpmsgCharChannel.Factory(new RpmsgEndpointLocator(), rpmsg.ControlDevice, link.ChannelName);
        }
    }

    /// <summary>The board's shared-memory layout as the link library wants it.</summary>
    public static LinkLayout ToLayout(SharedMemorySpec shm)
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        layout.SharedMemorySize = (int)shm.Size;
        layout.ResourceTableOffset = (int)shm.ResourceTable;
        if (shm.Vrings.Count >= 2)
        {
            layout.VringNum = (int)shm.Vrings[0].Num;
            layout.VringAlign = (int)shm.Vrings[0].Align;
            layout.Vring0Address = (int)shm.Vrings[0].Da;
            layout.Vring1Address = (int)shm.Vrings[1].Da;
        }

        layout.BufferBase = (int)shm.Buffers.Base;
        layout.BufferCount = (int)shm.Buffers.Count;
        layout.BufferSize = (int)shm.Buffers.Size;
        return layout;
    }

    /// <summary>
    /// Clean stop: the API closes and its socket is removed; the link closes; VMs keep running
    /// (the island decides about them; the next agent run re-adopts them).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }

        try
        {
            File.Delete(Options.SocketPath);
        }
        catch (IOException)
        {
            // Nothing to remove.
        }

        await Executor.DisposeAsync().ConfigureAwait(false);
        await Feed.DisposeAsync().ConfigureAwait(false);
        await Link.DisposeAsync().ConfigureAwait(false);
        Relay.Trace?.Dispose();
    }
}
