// island-agent: parses options, sets up logging and systemd notification, runs AgentRuntime until
// SIGTERM/SIGINT. All logic lives in the Stratos.Island.Agent library.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Stratos.Island.Agent;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.TestHooks;
using Stratos.Island.Agent.Systemd;
using Stratos.Island.Boards;
using Stratos.Island.Protocol;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Agent.Host;

public static class Program
{
    private const string Usage = """
        usage: island-agent [options]
          --board NAME|PATH      board id under --boards-dir, or a board.yaml / board folder (default: virtual)
          --boards-dir DIR       where board folders live (default: $ISLAND_BOARDS_DIR, the
                                 repository's boards/ above the working dir or the program,
                                 /usr/share/stratos-island/boards)
          --socket PATH          API socket (default: $ISLAND_SOCKET, /run/island/agent.sock as root,
                                 $XDG_RUNTIME_DIR/island/agent.sock otherwise)
          --runtime-dir DIR      QEMU runtime directories (default: next to the socket, vms/)
          --shm-path PATH        shared-memory file (default: the board's link.shared_memory.path)
          --kick-socket PATH     kick socket (default: the board's link.kick_socket)
          --rpmsg-device PATH    fixed rpmsg char endpoint for rpmsg-char boards (default: find the
                                 island's channel and create the endpoint through the board's
                                 rpmsg_char.control_device)
          --guest-kernel-dir DIR base for relative kernel/disk paths in VM definitions (default: repository root)
          --alive-interval-ms N  period of the agent's own alive indication (default: 100)
          --qemu-arg ARG         extra QEMU argument for every VM (repeatable)
          --accel auto|kvm|tcg   accelerator of every VM (default: auto = each VM's definition,
                                 KVM when /dev/kvm is usable; tcg: never KVM; also $ISLAND_ACCEL)
          --log-level LEVEL      trace|debug|information|warning|error (default: information)
          --api-group GROUP      members may call the API's read-only methods; the API socket is
                                 0660 to GROUP (default: none, socket 0600: root and this user)
          --api-admin-group GROUP members are operators too (besides root and this user)
          --tcp-listen ADDR:PORT also serve the API on TCP (off by default); requires TLS:
          --tls-cert PEM         server certificate for --tcp-listen
          --tls-key PEM          its private key
          --link-key FILE        the link's board key (32 bytes or 64 hex digits, mode 0600): authenticates
                                 every link message (docs/link.md "Authentication"); required when the
                                 board descriptor sets link.require_authentication
          --fault-socket PATH    test hook for the HIL bench (off by default): link fault commands
                                 on a UNIX socket (docs/hil.md); never on a production agent
          --trace-heartbeats FILE diagnostic (off by default): one line per relayed heartbeat with
                                 the times of the agent's hops (docs/guests.md "Timing each hop")
        """;

    public static async Task<int> Main(string[] args)
    {
        // Everything this process and its QEMUs create is private unless given a group on purpose
        // (docs/security.md).
        PrivateEndpoints.RestrictUmask();
        Dictionary<string, List<string>> options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("island-agent: " + e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (options.ContainsKey("help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        IDictionary environment = Environment.GetEnvironmentVariables();
        if (!Enum.TryParse(Get(options, "log-level") ?? "information", ignoreCase: true, out LogLevel level))
        {
            Console.Error.WriteLine($"island-agent: --log-level '{Get(options, "log-level")}' is not one of trace, debug, information, warning, error");
            return 2;
        }

        using ILoggerFactory loggers = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            if (environment["JOURNAL_STREAM"] is string)
            {
                builder.AddSystemdConsole(o => o.TimestampFormat = null);
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                });
            }
        });
        ILogger logger = loggers.CreateLogger("island-agent");
        // Link and relay threads above the guests' QEMUs, which run at nice 0 (GuestScheduling).
        string? priority = SchedulingPriority.RaiseProcess();
        if (priority is null)
        {
            logger.LogInformation("scheduling priority raised to nice {Nice} (above guest VMs)", SchedulingPriority.LinkEndpointNice);
        }
        else
        {
            logger.LogWarning("{Reason}", priority);
        }


        AgentOptions agentOptions;
        try
        {
            agentOptions = BuildOptions(options, environment);
        }
        catch (Exception e) when (e is BoardDescriptorException or ArgumentException or IOException)
        {
            Console.Error.WriteLine("island-agent: " + e.Message);
            return 2;
        }

        // The HIL's link-fault hook, plugged in only when asked for (its own assembly; docs/agent.md).
        LinkFaultHook? faultHook = null;
        if (Get(options, "fault-socket") is string faultSocket)
        {
            try
            {
                faultHook = new LinkFaultHook(Path.GetFullPath(faultSocket), logger);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine("island-agent: " + e.Message);
                return 2;
            }

            agentOptions = agentOptions with { LinkChannelDecorator = faultHook.Decorate };
        }

        using LinkFaultHook? faultHookInUse = faultHook;
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        await using SdNotify systemd = SdNotify.FromEnvironment(environment, Environment.ProcessId);

        AgentRuntime runtime;
        try
        {
            runtime = await AgentRuntime.StartAsync(agentOptions, loggers, stop.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogCritical("cannot start: {Error}", e.Message);
            return 1;
        }

        systemd.Ready($"API on {agentOptions.SocketPath}", () => true);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("stopping (VMs keep running; the island decides about them)");
        }

        systemd.Stopping();
        await runtime.DisposeAsync();
        return 0;
    }

    private static string? Group(Dictionary<string, List<string>> options, string name)
    {
        if (Get(options, name) is not string group)
        {
            return null;
        }

        PrivateEndpoints.GroupId(group);   // an unknown group is an error at start, naming it
        return group;
    }

    private static AgentOptions BuildOptions(Dictionary<string, List<string>> options, IDictionary environment)
    {
        bool root = AgentSocket.CurrentUserIsRoot();
        string boardArg = Get(options, "board") ?? "virtual";
        string boardsDir = BoardsFolder.Find(Get(options, "boards-dir"), environment, Environment.CurrentDirectory, AppContext.BaseDirectory)
            ?? throw new ArgumentException(BoardsFolder.NotFound(Environment.CurrentDirectory, AppContext.BaseDirectory));
        BoardDescriptor board;
        if (File.Exists(boardArg))
        {
            board = BoardLoader.Load(boardArg);
        }
        else if (Directory.Exists(boardArg) && File.Exists(Path.Combine(boardArg, BoardLoader.DescriptorFileName)))
        {
            board = BoardLoader.Load(Path.Combine(boardArg, BoardLoader.DescriptorFileName));
        }
        else
        {
            board = BoardLoader.LoadById(boardsDir, boardArg);
        }

        string socket = Path.GetFullPath(AgentSocket.Resolve(Get(options, "socket"), environment, root));
        string runtimeDir = Path.GetFullPath(Get(options, "runtime-dir") ?? Path.Combine(Path.GetDirectoryName(socket)!, "vms"));
        string kernelDir = Path.GetFullPath(Get(options, "guest-kernel-dir") ?? Path.GetDirectoryName(Path.GetFullPath(boardsDir))!);
        int aliveMs = 100;
        if (Get(options, "alive-interval-ms") is string alive && (!int.TryParse(alive, out aliveMs) || aliveMs < 1 || aliveMs > 60_000))
        {
            throw new ArgumentException($"--alive-interval-ms '{alive}' is not a number of milliseconds in 1..60000");
        }

        System.Net.IPEndPoint? tcp = null;
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        if (Get(options, "tcp-listen") is string listen)
        {
            if (!System.Net.IPEndPoint.TryParse(listen, out tcp) || tcp.Port == 0)
            {
                throw new ArgumentException($"--tcp-listen '{listen}' is not ADDRESS:PORT (e.g. 127.0.0.1:7443)");
            }

            string cert = Get(options, "tls-cert") ?? throw new ArgumentException("--tcp-listen requires --tls-cert and --tls-key: the TCP listener is TLS only");
            string key = Get(options, "tls-key") ?? throw new ArgumentException("--tcp-listen requires --tls-key (the certificate's private key, PEM)");
            try
            {
                certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, key);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new ArgumentException($"--tls-cert '{cert}' / --tls-key '{key}': {e.Message}");
            }
        }
        else if (Get(options, "tls-cert") is not null || Get(options, "tls-key") is not null)
        {
            throw new ArgumentException("--tls-cert and --tls-key only make sense with --tcp-listen");
        }

        return new AgentOptions
        {
            TcpEndpoint = tcp,
            TlsCertificate = certificate,
            Board = board,
            BoardsDirectory = Path.GetFullPath(boardsDir),
            SocketPath = socket,
            RuntimeDirectory = runtimeDir,
            GuestKernelDirectory = kernelDir,
            SharedMemoryPath = Get(options, "shm-path"),
            KickSocketPath = Get(options, "kick-socket"),
            HeartbeatTracePath = TracePath(Get(options, "trace-heartbeats")),
            ApiReadGroup = Group(options, "api-group"),
            ApiAdminGroup = Group(options, "api-admin-group"),
            RpmsgDevice = Get(options, "rpmsg-device"),
            Accelerator = ParseAccelerator(Get(options, "accel") ?? environment["ISLAND_ACCEL"] as string),
            ExtraQemuArgs = options.TryGetValue("qemu-arg", out List<string>? extra) ? extra : new List<string>(),
            Link = new IslandLinkOptions
            {
                AliveIntervalMs = aliveMs,
                BoardKey = LinkKey(Get(options, "link-key"), board),
                RequireAuthentication = board.Link?.RequireAuthentication == true,
            },
            AgentVersion = typeof(AgentRuntime).Assembly.GetName().Version?.ToString(3) ?? "0.1.0",
        };
    }

    private static string? TracePath(string? path)
    {
        if (path is null)
        {
            return null;
        }

        string full = Path.GetFullPath(path);
        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new ArgumentException($"--trace-heartbeats '{path}': directory '{Path.GetDirectoryName(full)}' does not exist");
        }

        return full;
    }

    private static Agent.Vmm.Accelerator ParseAccelerator(string? text) => text switch
    {
        null or "" or "auto" => Agent.Vmm.Accelerator.Auto,
        "kvm" => Agent.Vmm.Accelerator.Kvm,
        "tcg" => Agent.Vmm.Accelerator.Tcg,
        _ => throw new ArgumentException($"--accel '{text}' is not auto, kvm or tcg"),
    };

    // --link-key FILE: the board key of the authenticated link (docs/link.md "Authentication"), 0600.
    private static byte[]? LinkKey(string? path, BoardDescriptor board)
    {
        if (path is null)
        {
            if (board.Link?.RequireAuthentication == true)
            {
                throw new ArgumentException($"board '{board.Id}' requires an authenticated link (link.require_authentication): pass --link-key FILE (the board key, mode 0600)");
            }

            return null;
        }

        try
        {
            return LinkKeyFile.Read(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--link-key: {e.Message}");
        }
    }

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "board", "boards-dir", "socket", "runtime-dir", "shm-path", "kick-socket", "rpmsg-device", "guest-kernel-dir", "alive-interval-ms", "qemu-arg", "accel", "log-level", "tcp-listen", "tls-cert", "tls-key", "fault-socket", "link-key", "api-group", "api-admin-group", "trace-heartbeats",
    };

    private static Dictionary<string, List<string>> Parse(string[] args)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                result["help"] = new List<string>();
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }

            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (!Known.Contains(name))
            {
                throw new ArgumentException($"unknown option '--{name}'");
            }

            if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"option '--{name}' needs a value");
                }

                value = args[++i];
            }

            if (!result.TryGetValue(name, out List<string>? values))
            {
                result[name] = values = new List<string>();
            }

            values.Add(value);
        }

        return result;
    }

    private static string? Get(Dictionary<string, List<string>> options, string name) =>
        options.TryGetValue(name, out List<string>? values) ? values[^1] : null;
}
