using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// The virtual bench: island-sim + island-agent + QEMU heartbeat guests on this machine, launched by
/// the virtual board's launcher (Stratos.Island.VirtualBoard) with every path unique to the bench
/// (its layout under one temp directory, the shared-memory file in /dev/shm), so benches never share
/// anything.
///
/// Fault injection, each by pid of a process the bench started (or that its agent started):
/// - guest hang = SIGSTOP the VM's QEMU (no more output; QEMU stays alive); guest crash = SIGKILL QEMU;
/// - agent kill = SIGKILL the agent (the bench restarts it, like systemd's Restart=always);
///   agent freeze = SIGSTOP (SIGCONT at dispose or when the A-cluster is reset);
/// - island hang / reset = the island-sim control socket's <c>hang</c> / <c>reset</c>;
/// - power cut = SIGKILL island-sim (supervisor and child) and start it again on the same state dir;
/// - A-cluster reset = what island-sim's <c>--a-cluster-reset-hook</c> triggers too: kill the agent
///   and every QEMU, start the agent again.
/// - link faults and a slow agent = a command on the agent's link fault socket (--fault-socket, the
///   agent's test hook: FaultInjectingChannel); power cut = island-sim's <c>powercut 1 mid</c>, then a
///   crash of the target VM makes the island write, and the write kills it half done.
/// - guest commands (stop, slow, skip, reorder, exit) = a line on the agent's console tap of the VM
///   (RUN/VM/console.sock), which also gives the bench every guest line for the timelines.
/// </summary>
public sealed class VirtualBench : IBench, IGuestConsoles
{
    private readonly string _repositoryRoot;
    private readonly string _dir;
    private readonly VirtualBoardLauncher _launcher;
    private readonly CancellationTokenSource _stop = new();
    private BoardProcess? _sim;
    private BoardProcess? _agent;
    private AgentApi? _api;
    private Task? _pump;
    private Task? _resetWatch;
    private readonly object _agentGate = new();
    // Separate from _agentGate: BoardProcess.WaitForExit (called under _agentGate) waits for the output
    // handlers, which append to the log; one shared lock deadlocked the bench.
    private readonly object _logGate = new();

    /// <param name="configPath">island configuration for island-sim (default: boards/virtual/vms.yaml).</param>
    public VirtualBench(string repositoryRoot, string? configPath = null)
    {
        _repositoryRoot = repositoryRoot;
        // Short: UNIX socket paths must fit 107 bytes, and QEMU sockets go two levels below.
        _dir = Path.Combine("/tmp", "hil-" + Guid.NewGuid().ToString("N")[..10]);
        var layout = new VirtualBoardLayout(_dir) { ShmPath = "/dev/shm/" + Path.GetFileName(_dir) };
        _launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(repositoryRoot)
        {
            IslandConfig = configPath,
            ACLusterResetHook = $"echo reset >> '{ResetFlagFile}'",
            AgentFaultSocket = true,
            // The guest's `exit N` command needs QEMU's isa-debug-exit device (hil-tests/guest/README.md).
            QemuArguments = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
        });
        Events = new EventRecorder(Clock);
    }

    public string Name => "virtual";
    public RunClock Clock { get; } = new();
    public EventRecorder Events { get; }
    public string Directory => _dir;
    public VirtualBoardLayout Layout => _launcher.Layout;
    public string AgentSocket => Layout.AgentSocket;
    public string ControlSocket => Layout.ControlSocket;
    public string FaultSocket => Layout.FaultSocket;
    public string ShmPath => Layout.ShmPath;
    public string RuntimeDirectory => Layout.RuntimeDir;

    /// <summary>The link's board key (0600), given to both island-sim and the agent like <c>island up</c>
    /// does: the bench's link is authenticated (docs/link.md "Authentication").</summary>
    public string LinkKeyPath => Layout.LinkKey;
    private string ResetFlagFile => Path.Combine(_dir, "a-cluster-resets");

    /// <summary>Log lines of the bench's own processes (island-sim, island-agent), for failure messages.</summary>
    public string ProcessLog => File.Exists(Path.Combine(_dir, "processes.log")) ? File.ReadAllText(Path.Combine(_dir, "processes.log")) : "";

    /// <summary>Null when island-sim, island-agent and the guest are built here, else what is missing.</summary>
    public static string? MissingParts(string repositoryRoot)
    {
        var missing = VirtualBoardBinaries.InRepository(repositoryRoot).MissingPrograms().ToList();
        if (!File.Exists(Path.Combine(repositoryRoot, "hil-tests/guest/build/heartbeat.elf")))
            missing.Add("the heartbeat guest (make -C hil-tests/guest)");
        if (!File.Exists(Path.Combine(repositoryRoot, "hil-tests/guest/build/linux/vmlinux")))
            missing.Add("the Linux guest (hil-tests/guest/linux/build.sh)");
        return missing.Count == 0 ? null : "not built: " + string.Join(", ", missing);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (MissingParts(_repositoryRoot) is string missing)
            throw new InvalidOperationException("virtual bench: " + missing);
        _launcher.Prepare();
        File.WriteAllText(ResetFlagFile, "");
        StartSim();
        await Readiness.WaitForSocketAsync(ControlSocket, "island-sim control socket", _sim, Readiness.DefaultTimeout, cancellationToken).ConfigureAwait(false);
        StartAgent();
        await Readiness.WaitForSocketAsync(AgentSocket, "island-agent API socket", _agent, Readiness.DefaultTimeout, cancellationToken).ConfigureAwait(false);
        _api = new AgentApi(AgentSocket);
        _pump = _api.PumpEventsAsync(Events, 1, _stop.Token);
        _resetWatch = WatchACLusterResetsAsync(_stop.Token);
        _consoleWatch = WatchConsolesAsync(_stop.Token);
    }

    // ---- guest consoles (the agent's console tap, RUN/VM/console.sock) --------------------------

    /// <summary>The agent's tap of a VM's heartbeat port (RUN/VM/hb-tap.sock, docs/guests.md).</summary>
    private const string HeartbeatTapName = "hb-tap.sock";

    private Task? _consoleWatch;
    private readonly object _consoleGate = new();
    private readonly List<GuestLine> _guestLines = new();
    private readonly Dictionary<string, Socket> _consoles = new();

    /// <summary>Every line the guests printed so far (heartbeats, checkpoints, ACKs), on the run's axis.</summary>
    public IReadOnlyList<GuestLine> GuestLines()
    {
        lock (_consoleGate)
            return _guestLines.ToList();
    }

    /// <summary>Connects to every VM's console tap (again after each restart: a new QEMU, a new tap) and records its lines.</summary>
    private async Task WatchConsolesAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (System.IO.Directory.Exists(RuntimeDirectory))
            {
                // The console tap, and the heartbeat port's tap of a VM that has one (docs/guests.md).
                foreach (var path in System.IO.Directory.GetFiles(RuntimeDirectory, "console.sock", SearchOption.AllDirectories)
                    .Concat(System.IO.Directory.GetFiles(RuntimeDirectory, HeartbeatTapName, SearchOption.AllDirectories)))
                {
                    string vm = Path.GetFileName(Path.GetDirectoryName(path)!);
                    lock (_consoleGate)
                        if (_consoles.ContainsKey(path))
                            continue;
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    }
                    catch (SocketException)
                    {
                        socket.Dispose();
                        continue;
                    }
                    catch (OperationCanceledException)
                    {
                        socket.Dispose();
                        return;
                    }
                    lock (_consoleGate)
                        _consoles[path] = socket;
                    _ = ReadConsoleAsync(vm, path, socket, cancellationToken);
                }
            }
            try
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReadConsoleAsync(string vm, string path, Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is string line)
            {
                double at = Clock.NowMs;
                lock (_consoleGate)
                    _guestLines.Add(new GuestLine(vm, at, line));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The VM (or its tap) went away; the watcher connects to the next one.
        }
        finally
        {
            lock (_consoleGate)
                if (_consoles.TryGetValue(path, out var current) && current == socket)
                    _consoles.Remove(path);
        }
    }

    /// <summary>
    /// Writes a heartbeat-guest command (hil-tests/guest/README.md) to the VM's console tap and waits
    /// for the guest's ACK (or ERR) line, which it returns.
    /// </summary>
    public async Task<string> SendGuestCommandAsync(string vm, string command, CancellationToken cancellationToken)
    {
        // A VM with a heartbeat port takes its commands there (its console is a kernel console).
        string path = Path.Combine(RuntimeDirectory, vm, HeartbeatTapName);
        if (!File.Exists(path))
            path = Path.Combine(RuntimeDirectory, vm, "console.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var wait = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (SocketException) when (wait.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"virtual bench: no console tap for VM '{vm}' at {path} after 5 s: {e.Message}", e);
            }
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            while (await reader.ReadLineAsync(limit.Token).ConfigureAwait(false) is string line)
            {
                if (line == "ACK " + command)
                    return line;
                if (line.StartsWith("ERR ", StringComparison.Ordinal) && line.EndsWith(command, StringComparison.Ordinal))
                    throw new InvalidOperationException($"virtual bench: guest '{vm}' refused '{command}': {line}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Falls through to the failure below.
        }
        throw new InvalidOperationException($"virtual bench: guest '{vm}' did not acknowledge '{command}' within 5 s");
    }

    private void StartSim() => _sim = StartProcess("island-sim", _launcher.SimCommand());

    private void StartAgent()
    {
        lock (_agentGate)
        {
            _agent = StartProcess("island-agent", _launcher.AgentCommand());
        }
    }

    private BoardProcess StartProcess(string name, LaunchCommand command)
    {
        string log = Path.Combine(_dir, "processes.log");
        return BoardProcess.Start(name, command, (process, line) =>
        {
            lock (_logGate)
                File.AppendAllText(log, $"{Clock.NowMs,9:0.0} {name}[{process.Id}] {line}\n");
        }, _repositoryRoot);
    }

    /// <summary>island-sim's A-cluster reset hook appends to a file; this resets the A side when it grows.</summary>
    private async Task WatchACLusterResetsAsync(CancellationToken cancellationToken)
    {
        long seen = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long length = new FileInfo(ResetFlagFile).Length;
            if (length > seen)
            {
                seen = length;
                ResetACluster();
            }
        }
    }

    /// <summary>Every QEMU the agent started (pid files under the runtime dir).</summary>
    public IReadOnlyList<(string Vm, int Pid)> QemuProcesses() => Teardown.QemuPidFiles(RuntimeDirectory);

    private void ResetACluster()
    {
        lock (_agentGate)
        {
            if (_agent is { HasExited: false })
            {
                _agent.Signal(PosixProcess.SIGKILL); // the agent only: its QEMUs are killed below
                _agent.WaitForExit(Timeout.Infinite);
            }
        }
        foreach (var (_, pid) in QemuProcesses())
            PosixProcess.Send(pid, PosixProcess.SIGKILL);
        StartAgent();
    }

    public string? CanInject(FaultKind fault) => fault switch
    {
        FaultKind.GuestHang or FaultKind.GuestCrash or FaultKind.AgentKill or FaultKind.AgentFreeze
            or FaultKind.IslandHang or FaultKind.IslandReset or FaultKind.IslandKill or FaultKind.PowerCutDuringLogWrite or FaultKind.AClusterReset
            or FaultKind.LinkRingScribble
            or FaultKind.LinkDrop or FaultKind.LinkDuplicate or FaultKind.LinkDelay or FaultKind.LinkCorrupt or FaultKind.LinkTxRingFull
            or FaultKind.LinkForge or FaultKind.AgentSlow => null,
        FaultKind.GuestStallHeartbeats or FaultKind.GuestSlowHeartbeats or FaultKind.GuestLateCheckpoint
            or FaultKind.GuestReorderCheckpoints or FaultKind.GuestExit => null,
        FaultKind.GuestKernelPanic or FaultKind.GuestWatchdogHang or FaultKind.GuestHelperKill or FaultKind.GuestReboot => null,
        _ => $"{fault} is not a fault this bench knows",
    };

    /// <summary>The heartbeat-guest command for a guest fault.</summary>
    public static string GuestCommand(FaultKind fault) => fault switch
    {
        FaultKind.GuestStallHeartbeats => "stop",
        FaultKind.GuestSlowHeartbeats => "slow 3",
        FaultKind.GuestLateCheckpoint => "skip 2",
        FaultKind.GuestReorderCheckpoints => "reorder",
        FaultKind.GuestExit => "exit 3",
        FaultKind.GuestKernelPanic => "crash",
        FaultKind.GuestWatchdogHang => "hang",
        FaultKind.GuestHelperKill => "quit",
        FaultKind.GuestReboot => "reboot",
        _ => throw new ArgumentException($"{fault} is not a guest command fault", nameof(fault)),
    };

    public async Task<double> InjectAsync(FaultKind fault, string target, CancellationToken cancellationToken)
    {
        if (CanInject(fault) is string reason)
            throw new NotSupportedException($"virtual bench: cannot inject {fault}: {reason}");
        double at;
        switch (fault)
        {
            case FaultKind.GuestHang:
            case FaultKind.GuestCrash:
            {
                // The API may show Running a moment before the agent's pid file is there.
                int pid = 0;
                for (var wait = Stopwatch.StartNew(); pid == 0 && wait.Elapsed < TimeSpan.FromSeconds(5); )
                {
                    pid = QemuProcesses().Where(q => q.Vm == target).Select(q => q.Pid).FirstOrDefault(PosixProcess.Exists);
                    if (pid == 0)
                        await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
                if (pid == 0)
                    throw new InvalidOperationException($"virtual bench: VM '{target}' has no live QEMU under {RuntimeDirectory} after 5 s (pid files: {string.Join(", ", QemuProcesses().Select(q => $"{q.Vm}={q.Pid}{(PosixProcess.Exists(q.Pid) ? "" : " (gone)")}"))})");
                at = Clock.NowMs;
                PosixProcess.Send(pid, fault == FaultKind.GuestHang ? PosixProcess.SIGSTOP : PosixProcess.SIGKILL);
                return at;
            }
            case FaultKind.GuestStallHeartbeats:
            case FaultKind.GuestSlowHeartbeats:
            case FaultKind.GuestLateCheckpoint:
            case FaultKind.GuestReorderCheckpoints:
            case FaultKind.GuestExit:
            case FaultKind.GuestKernelPanic:
            case FaultKind.GuestWatchdogHang:
            case FaultKind.GuestHelperKill:
            case FaultKind.GuestReboot:
            {
                at = Clock.NowMs;
                await SendGuestCommandAsync(target, GuestCommand(fault), cancellationToken).ConfigureAwait(false);
                return at;
            }
            case FaultKind.AgentKill:
                lock (_agentGate)
                {
                    at = Clock.NowMs;
                    _agent!.Signal(PosixProcess.SIGKILL); // the agent only: its VMs keep running
                    _agent.WaitForExit(Timeout.Infinite);
                }
                StartAgent();
                return at;
            case FaultKind.AgentFreeze:
                at = Clock.NowMs;
                PosixProcess.Send(_agent!.Id, PosixProcess.SIGSTOP);
                return at;
            case FaultKind.IslandHang:
            case FaultKind.IslandReset:
                at = Clock.NowMs;
                string answer = await SendControlAsync(fault == FaultKind.IslandHang ? "hang" : "reset", cancellationToken).ConfigureAwait(false);
                if (!answer.StartsWith("ok", StringComparison.Ordinal))
                    throw new InvalidOperationException($"virtual bench: island-sim control socket answered '{answer}'");
                return at;
            case FaultKind.IslandKill:
            {
                // The island process (island-sim's child), not its supervisor: the board's reset circuit survives.
                var status = await IslandStatusAsync(cancellationToken).ConfigureAwait(false);
                int pid = status.GetProperty("pid").GetInt32();
                at = Clock.NowMs;
                PosixProcess.Send(pid, PosixProcess.SIGKILL);
                return at;
            }
            case FaultKind.LinkRingScribble:
                at = Clock.NowMs;
                ScribbleRings(target);
                return at;
            case FaultKind.PowerCutDuringLogWrite:
            {
                // Arm the cut at the next flash write (half of it reaches the file), then make the
                // island write: the target VM's QEMU dies, the island logs its Failed state.
                string armed = await SendControlAsync("powercut 1 mid", cancellationToken).ConfigureAwait(false);
                if (!armed.StartsWith("ok", StringComparison.Ordinal))
                    throw new InvalidOperationException($"virtual bench: island-sim control socket answered '{armed}' to powercut");
                await InjectAsync(FaultKind.GuestCrash, target, cancellationToken).ConfigureAwait(false);
                var sim = _sim!;
                var waited = Stopwatch.StartNew();
                while (!sim.HasExited && waited.Elapsed < TimeSpan.FromSeconds(15))
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                if (!sim.HasExited)
                    throw new InvalidOperationException($"virtual bench: island-sim did not cut its power within 15 s of the crash of '{target}' (no flash write?)");
                at = Clock.NowMs;
                StartSim();
                await Readiness.WaitForSocketAsync(ControlSocket, "island-sim control socket after the power cut", _sim, Readiness.DefaultTimeout, cancellationToken).ConfigureAwait(false);
                return at;
            }
            case FaultKind.LinkDrop:
            case FaultKind.LinkDuplicate:
            case FaultKind.LinkDelay:
            case FaultKind.LinkCorrupt:
            case FaultKind.LinkForge:
            case FaultKind.LinkTxRingFull:
            case FaultKind.AgentSlow:
            {
                string command = LinkFaultCommand(fault, target);
                at = Clock.NowMs;
                string reply = await SendLineAsync(FaultSocket, command, cancellationToken).ConfigureAwait(false);
                if (!reply.StartsWith("ok", StringComparison.Ordinal))
                    throw new InvalidOperationException($"virtual bench: the agent's fault socket answered '{reply}' to '{command}'");
                return at;
            }
            default: // AClusterReset
                at = Clock.NowMs;
                ResetACluster();
                return at;
        }
    }

    /// <summary>The vring area of the virtual board's layout (vring0 at 0x4000 to the end of vring1's used ring).</summary>
    public const int VringAreaStart = 0x4000, VringAreaEnd = 0xB000;

    /// <summary>
    /// Writes <c>count x 8</c> random bytes at random offsets of the vring area of the shared file,
    /// through a mapping of its own (no file lock, like the agent and island). <paramref name="target"/>
    /// is "COUNT SEED" (default "64 1414"), so a failing run can be replayed.
    /// </summary>
    public void ScribbleRings(string target)
    {
        string[] words = target.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int count = words.Length > 0 && int.TryParse(words[0], out int c) ? c : 64;
        int seed = words.Length > 1 && int.TryParse(words[1], out int s) ? s : 1414;
        var random = new Random(seed);
        byte[] bytes = new byte[8];
        using var memory = Stratos.Island.Link.Linux.MappedFileSharedMemory.Open(ShmPath, VringAreaEnd);
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            memory.WriteBytes(VringAreaStart + random.Next(VringAreaEnd - VringAreaStart - bytes.Length), bytes, 0, bytes.Length);
        }
    }

    /// <summary>
    /// The agent fault-socket command for a link fault or a slow agent. <paramref name="target"/> gives
    /// the arguments after the command word ("out 3", "in 2 300", "3000", "1500 3000"); empty or a
    /// plain name ("link", "agent") takes the default shown below.
    /// </summary>
    public static string LinkFaultCommand(FaultKind fault, string target)
    {
        bool given = target.Length > 0 && (char.IsDigit(target[0]) || target.StartsWith("out ", StringComparison.Ordinal) || target.StartsWith("in ", StringComparison.Ordinal));
        return fault switch
        {
            FaultKind.LinkDrop => "drop " + (given ? target : "out 3"),
            FaultKind.LinkDuplicate => "dup " + (given ? target : "out 3"),
            FaultKind.LinkDelay => "delay " + (given ? target : "out 3 100"),
            FaultKind.LinkCorrupt => "corrupt " + (given ? target : "out 3"),
            FaultKind.LinkForge => "forge " + (given ? target : "out 1"),
            FaultKind.LinkTxRingFull => "txfull " + (given ? target : "3000"),
            FaultKind.AgentSlow => "slow " + (given ? target : "1500 3000"),
            _ => throw new ArgumentException($"{fault} is not a link fault", nameof(fault)),
        };
    }

    /// <summary>One line on the agent's link fault socket (e.g. "status") and its answer.</summary>
    public Task<string> SendFaultAsync(string command, CancellationToken cancellationToken) => SendLineAsync(FaultSocket, command, cancellationToken);

    /// <summary>island-sim's status (control socket <c>status</c>) as JSON.</summary>
    public async Task<System.Text.Json.JsonElement> IslandStatusAsync(CancellationToken cancellationToken)
    {
        string line = await SendControlAsync("status", cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidOperationException($"virtual bench: island-sim status is not JSON ({e.Message}): '{line}'", e);
        }
    }

    /// <summary>One line command on island-sim's control socket (hang / reset / status / powercut) and its answer.</summary>
    public Task<string> SendControlAsync(string command, CancellationToken cancellationToken) => SendLineAsync(ControlSocket, command, cancellationToken);

    private static Task<string> SendLineAsync(string path, string command, CancellationToken cancellationToken) =>
        Readiness.SendLineAsync(path, command, cancellationToken);

    public AgentApi Api => _api ?? throw new InvalidOperationException("virtual bench: not started");

    public Task<IReadOnlyList<Vm>> ListVmsAsync(CancellationToken cancellationToken) =>
        (_api ?? throw new InvalidOperationException("virtual bench: not started")).ListVmsAsync(cancellationToken);

    public Task<GetSupervisionStatusResponse> GetSupervisionStatusAsync(CancellationToken cancellationToken) =>
        (_api ?? throw new InvalidOperationException("virtual bench: not started")).GetSupervisionStatusAsync(cancellationToken);

    /// <summary>What the bench left behind: live processes it owns, QEMU pids, the shm file, sockets.</summary>
    public IReadOnlyList<string> Leftovers(IReadOnlyList<int> pids)
    {
        // A process killed a moment ago exists until its parent (or init, for orphans) reaps it:
        // give them 5 s to go before calling them leftovers.
        var wait = Stopwatch.StartNew();
        while (pids.Any(PosixProcess.Exists) && wait.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(50);
        var left = pids.Where(PosixProcess.Exists).Select(p => $"process {p} still running").ToList();
        if (File.Exists(ShmPath))
            left.Add($"shared memory {ShmPath}");
        if (System.IO.Directory.Exists(_dir))
            left.AddRange(System.IO.Directory.GetFiles(_dir, "*.sock", SearchOption.AllDirectories).Select(s => "socket " + s));
        return left;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        // Nothing below may stop the cleanup that follows: a failing background task is ignored here
        // (its failure already showed in the scenario), the processes must go regardless.
        foreach (var task in new[] { _pump, _resetWatch, _consoleWatch })
        {
            try
            {
                if (task is not null)
                    await task.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already stopping.
            }
        }
        _api?.Dispose();
        lock (_consoleGate)
        {
            foreach (var socket in _consoles.Values)
                socket.Dispose();
            _consoles.Clear();
        }
        var qemus = QemuProcesses();
        lock (_agentGate)
        {
            if (_agent is { HasExited: false })
            {
                PosixProcess.Send(_agent.Id, PosixProcess.SIGCONT);
                _agent.Kill();
            }
            _agent?.Dispose();
        }
        foreach (var (_, pid) in qemus)
            PosixProcess.Send(pid, PosixProcess.SIGKILL);
        _sim?.Kill();
        _sim?.Dispose();
        if (File.Exists(ShmPath))
            File.Delete(ShmPath);
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A QEMU may still be removing its runtime directory; the temp dir goes with the next reboot.
        }
        _stop.Dispose();
    }
}
