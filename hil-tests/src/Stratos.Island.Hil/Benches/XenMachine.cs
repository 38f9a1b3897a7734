using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Hil.Benches;

/// <summary>
/// The virtual board's Xen variant, booted once for a whole HIL run (a TCG boot costs minutes):
/// island-sim on the host and the Xen machine whose dom0 runs the agent, started by
/// hil-tests/guest/xen/island-xen.sh on a state dir of the bench's own (docs/hil.md "The Xen bench").
///
/// What the bench adds to the board, all through the machine's own channels:
/// - a board folder (STATE/boards/virtual-xen) whose vms.yaml is boards/virtual-xen/hil-vms.yaml
///   (the two roles of the scenarios, 'base' and 'web' depending on it, as PV Linux domUs);
/// - the operator API on the host: the machine gets a NIC on QEMU's user network with dom0's port
///   <see cref="Dom0ApiPort"/> forwarded from a free host port (island-xen.sh
///   ISLAND_XEN_FORWARD_TCP); in dom0, socat relays that port to the agent's API socket; on the
///   host, <see cref="ApiSocket"/> relays to the forwarded port, so the bench's AgentApi is the
///   one every bench uses;
/// - a command channel into dom0 over the state share (STATE is dom0's /state, read-write): the
///   bench writes STATE/hil-cmd/N.sh, dom0 runs it and leaves N.started (when it began: the
///   injection time of a fault), N.out and N.rc. Faults, agent restarts and the clean-up between
///   scenarios go through it.
/// dom0's before-agent hook starts the relay and the command loop, then holds the agent back until
/// the first scenario has restarted island-sim on its own clock.
/// </summary>
public sealed class XenMachine : IAsyncDisposable
{
    /// <summary>
    /// The file in the run's log folder naming the machine's state dir: ./hil.sh's trap takes that
    /// machine down when the run is interrupted.
    /// </summary>
    public const string StateDirectoryFile = "state-dir";

    /// <summary>
    /// The machine lives as long as this process (island-xen.sh up --owner-pid): however the test
    /// host ends (its run done, SIGTERM from a Ctrl-C'd or timed-out ./hil.sh, SIGKILL), the
    /// script's detached lifeline takes the board down; nothing of it outlives the run.
    /// </summary>
    private static string OwnerPid => Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The port socat listens on in dom0 (10.0.2.15 on QEMU's user network).</summary>
    public const int Dom0ApiPort = 7300;

    /// <summary>How long the machine may take from `up` to dom0 running the bench's commands (a TCG boot).</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long a new API connection may wait for dom0's first byte (the agent's HTTP/2 SETTINGS).</summary>
    private static readonly TimeSpan FirstAnswerTimeout = TimeSpan.FromSeconds(15);

    private readonly string _repositoryRoot;
    private readonly CancellationTokenSource _stop = new();
    private readonly Socket _apiListener;
    private readonly Task _relay;
    private int _command;
    private bool _agentReleased;

    private XenMachine(string repositoryRoot, string directory, int hostPort)
    {
        _repositoryRoot = repositoryRoot;
        Directory = directory;
        HostApiPort = hostPort;
        _apiListener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _apiListener.Bind(new UnixDomainSocketEndPoint(ApiSocket));
        _apiListener.Listen(16);
        _relay = RelayApiAsync(_stop.Token);
    }

    /// <summary>The machine's state dir (dom0's /state), under the repository so dom0 sees the board folder in it at the same path.</summary>
    public string Directory { get; }

    /// <summary>The host's end of the operator API relay (AgentApi connects here).</summary>
    public string ApiSocket => Path.Combine(Directory, "api.sock");

    public int HostApiPort { get; }

    public string BoardsDirectory => Path.Combine(Directory, "boards");

    private string Script => Path.Combine(_repositoryRoot, "hil-tests", "guest", "xen", "island-xen.sh");

    private string CommandDirectory => Path.Combine(Directory, "hil-cmd");

    /// <summary>
    /// Prepares the state dir and boots the machine (island-xen.sh up --no-wait), then waits until
    /// dom0 runs the bench's commands. The agent is held back until <see cref="StartAgentAsync"/>.
    /// </summary>
    /// <param name="logDirectory">where a failed boot leaves the machine's logs</param>
    public static async Task<XenMachine> BootAsync(string repositoryRoot, string logDirectory, CancellationToken cancellationToken)
    {
        // Not under /tmp or /run: dom0 mounts its own tmpfs there, and it must read the board folder.
        string dir = Path.Combine(repositoryRoot, "out", "hil-xen", Guid.NewGuid().ToString("N")[..8]);
        string board = Path.Combine(dir, "boards", "virtual-xen");
        System.IO.Directory.CreateDirectory(board);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "hil-cmd"));
        string source = Path.Combine(repositoryRoot, "boards", "virtual-xen");
        File.Copy(Path.Combine(source, "board.yaml"), Path.Combine(board, "board.yaml"));
        File.Copy(Path.Combine(source, "hil-vms.yaml"), Path.Combine(board, "vms.yaml"));
        File.WriteAllText(Path.Combine(dir, "dom0-before-agent.sh"), BeforeAgent);
        File.WriteAllText(Path.Combine(dir, "hil-dom0-commands.sh"), CommandLoop);

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var machine = new XenMachine(repositoryRoot, dir, port);
        // hil.sh's trap reads it to take the machine down when the run is interrupted.
        System.IO.Directory.CreateDirectory(logDirectory);
        File.WriteAllText(Path.Combine(logDirectory, StateDirectoryFile), dir + "\n");
        try
        {
            var up = await machine.RunScriptAsync(cancellationToken, "up", "--no-wait", "--owner-pid", OwnerPid).ConfigureAwait(false);
            if (up.Status != 0)
                throw new InvalidOperationException($"xen bench: island-xen.sh up failed ({up.Status}): {up.Output}");
            var ready = await machine.RunInDom0Async("true", BootTimeout, cancellationToken).ConfigureAwait(false);
            if (ready.Status != 0)
                throw new InvalidOperationException("xen bench: dom0's command channel answered " + ready.Status);
            return machine;
        }
        catch
        {
            await machine.ShutDownAsync(logDirectory).ConfigureAwait(false);
            throw;
        }
    }

    // dom0.sh runs it before the agent (output in dom0-scenario.log). The relay and the command loop
    // run detached for the machine's life; the agent waits for the bench's go.
    private static readonly string BeforeAgent = $$"""
        set -u
        ip link set lo up
        ip link set eth0 up
        # dom0.sh may have given eth0 its address already (the agent's TLS listener).
        ip addr show eth0 | grep -q 'inet 10.0.2.15/' || ip addr add 10.0.2.15/24 dev eth0
        if ip addr show eth0 | grep -q 'inet 10.0.2.15/'; then
          setsid socat TCP-LISTEN:{{Dom0ApiPort}},fork,reuseaddr UNIX-CONNECT:/run/island/agent.sock </dev/null >/dev/null 2>&1 &
        else
          echo "hil: dom0 has no eth0: the operator API is not reachable from the host"
        fi
        setsid bash /state/hil-dom0-commands.sh </dev/null >> /state/hil-commands.log 2>&1 &
        while [ ! -f /state/hil-agent-go ]; do sleep 0.2; done
        """;

    // The command loop in dom0: runs STATE/hil-cmd/N.sh in order (the script itself leaves N.started
    // when it begins: RunInDom0Async), N.rc last.
    // bash, so that waiting (read -t on a FIFO nobody writes) and the tests fork nothing: every fork
    // and exec costs a TCG dom0 dearly, and the agent's link must not starve.
    private const string CommandLoop = """
        d=/state/hil-cmd
        mkfifo /run/hil-tick
        exec 3<> /run/hil-tick
        while [ ! -f /state/poweroff ]; do
          for f in $d/*.sh; do
            [ -e "$f" ] || continue
            n="${f%.sh}"
            mv "$f" "$n.run"
            sh "$n.run" > "$n.out" 2>&1
            echo $? > "$n.rc.tmp"
            mv "$n.rc.tmp" "$n.rc"
          done
          read -r -t 0.2 -u 3 _
        done
        """;

    /// <summary>One command's outcome in dom0: when it began (host stopwatch ticks), its status and output.</summary>
    public sealed record Dom0Result(long StartedTimestamp, int Status, string Output);

    /// <summary>
    /// Runs a shell script in dom0 and waits for it. <see cref="Dom0Result.StartedTimestamp"/> is when
    /// the host saw dom0 begin it: the script's own shell writes its N.started file first (after
    /// <paramref name="prepare"/>, shell builtins that need no fork), and the host polls for it every
    /// 5 ms. dom0's pick-up, the shell's start under TCG and the share's latency come before it, the
    /// command's own run time after: a fault injected with a builtin (kill) happens at that time.
    /// </summary>
    public async Task<Dom0Result> RunInDom0Async(string script, TimeSpan timeout, CancellationToken cancellationToken, string? prepare = null)
    {
        int n = Interlocked.Increment(ref _command);
        string id = n.ToString("D4", CultureInfo.InvariantCulture);
        string name = Path.Combine(CommandDirectory, id);
        string marker = ": > /state/hil-cmd/" + id + ".started\n";
        File.WriteAllText(name + ".tmp", (prepare is null ? "" : prepare + "\n") + marker + script + "\n");
        File.Move(name + ".tmp", name + ".sh");
        var wait = Stopwatch.StartNew();
        long started = 0;
        while (!File.Exists(name + ".rc"))
        {
            if (started == 0 && File.Exists(name + ".started"))
                started = Stopwatch.GetTimestamp();
            if (wait.Elapsed > timeout)
                throw new TimeoutException($"xen bench: dom0 did not {(started == 0 ? "begin" : "finish")} command {n} within {timeout.TotalSeconds:0} s: {script}");
            await Task.Delay(started == 0 ? 5 : 20, cancellationToken).ConfigureAwait(false);
        }
        if (started == 0)
            started = Stopwatch.GetTimestamp();
        string rc = File.ReadAllText(name + ".rc").Trim();
        string output = File.Exists(name + ".out") ? File.ReadAllText(name + ".out").Trim() : "";
        return new Dom0Result(started, int.Parse(rc, NumberStyles.Integer, CultureInfo.InvariantCulture), output);
    }

    /// <summary>
    /// The clean state between scenarios: the agent killed, every domU destroyed, the agent's runtime
    /// folder removed. Throws when a domain is left.
    /// </summary>
    public async Task CleanDom0Async(CancellationToken cancellationToken)
    {
        var clean = await RunInDom0Async("""
            pid=$(cat /run/island/agent.pid 2>/dev/null)
            if [ -n "$pid" ]; then
              kill -9 "$pid" 2>/dev/null
              while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
            fi
            for d in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$d"; done
            rm -rf /run/island/vms
            left=$(xl list | awk 'NR > 2 { print $1 }')
            [ -z "$left" ] || { echo "domains left: $left"; exit 1; }
            """, TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
        if (clean.Status != 0)
            throw new InvalidOperationException("xen bench: cleaning dom0 failed: " + clean.Output);
    }

    /// <summary>island-sim stopped and started again on an empty state (its link key kept): a new boot, a new event log.</summary>
    public async Task RestartIslandAsync(CancellationToken cancellationToken)
    {
        string pidFile = Path.Combine(Directory, "island-sim.pid");
        if (PosixProcess.LivePid(pidFile) is int pid && PosixProcess.CommandLine(pid).Contains(Directory, StringComparison.Ordinal))
            await PosixProcess.StopAsync(pid, 5000, cancellationToken).ConfigureAwait(false);
        foreach (var entry in new DirectoryInfo(Path.Combine(Directory, "island")).EnumerateFileSystemInfos())
        {
            if (entry.Name == "link.key")
                continue;
            if (entry is DirectoryInfo folder)
                folder.Delete(recursive: true);
            else
                entry.Delete();
        }
        var up = await RunScriptAsync(cancellationToken, "up", "--no-wait", "--owner-pid", OwnerPid).ConfigureAwait(false);
        if (up.Status != 0)
            throw new InvalidOperationException($"xen bench: restarting island-sim failed ({up.Status}): {up.Output}");
    }

    /// <summary>Starts the agent in dom0: the first time by releasing dom0.sh's own start, then as island-xen.sh's dom0-agent.sh.</summary>
    public async Task<long> StartAgentAsync(CancellationToken cancellationToken)
    {
        if (!_agentReleased)
        {
            _agentReleased = true;
            File.WriteAllText(Path.Combine(Directory, "hil-agent-go"), "");
            return Stopwatch.GetTimestamp();
        }
        var start = await RunInDom0Async("sh /state/dom0-agent.sh", TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (start.Status != 0)
            throw new InvalidOperationException("xen bench: starting the agent in dom0 failed: " + start.Output);
        return start.StartedTimestamp;
    }

    /// <summary>
    /// Waits until the agent serves its API: its log (STATE/island-agent.log, on the host) shows one
    /// more "API listening on" than <paramref name="before"/>. Its socket exists earlier (bound
    /// before Kestrel starts, which took minutes in a TCG dom0): the bench calls the API only then,
    /// so that no call times out in the listen backlog and no storm of connections (each a fork of
    /// dom0's relay) slows the agent's start.
    /// </summary>
    public async Task WaitForAgentApiAsync(int before, CancellationToken cancellationToken)
    {
        for (var wait = Stopwatch.StartNew(); ApiStarts() <= before; )
        {
            if (wait.Elapsed > AgentApiTimeout)
                throw new TimeoutException($"xen bench: the agent in dom0 did not serve its API within {AgentApiTimeout.TotalMinutes:0} min; see island-agent.log");
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How many times an agent in dom0 logged its API listening.</summary>
    public int ApiStarts()
    {
        string log = Path.Combine(Directory, "island-agent.log");
        if (!File.Exists(log))
            return 0;
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        int n = 0;
        while (reader.ReadLine() is string line)
            if (line.Contains("API listening on", StringComparison.Ordinal))
                n++;
        return n;
    }

    /// <summary>An agent's start to its API in a TCG dom0 (Kestrel's start took 2.5 min there).</summary>
    private static readonly TimeSpan AgentApiTimeout = TimeSpan.FromMinutes(6);

    /// <summary>The host half of the API relay: each connection to <see cref="ApiSocket"/> is piped to the forwarded port.</summary>
    private async Task RelayApiAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _apiListener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = PipeAsync(client, cancellationToken);
        }
    }

    private async Task PipeAsync(Socket client, CancellationToken cancellationToken)
    {
        using var host = client;
        using var dom0 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await dom0.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostApiPort), cancellationToken).ConfigureAwait(false);
            await using var a = new NetworkStream(host, ownsSocket: false);
            await using var b = new NetworkStream(dom0, ownsSocket: false);
            var toDom0 = a.CopyToAsync(b, cancellationToken);
            // QEMU's user network accepts the host's connection before it reaches dom0: while dom0
            // boots (after an A-cluster reset) nothing ever answers, and a gRPC client would keep
            // that silent connection. The agent's HTTP/2 SETTINGS answer the client's preface at
            // once: without a first byte within FirstAnswerTimeout the connection is closed.
            var first = new byte[16384];
            int n;
            using (var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                answer.CancelAfter(FirstAnswerTimeout);
                n = await b.ReadAsync(first, answer.Token).ConfigureAwait(false);
            }
            if (n == 0)
                return;
            await a.WriteAsync(first.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            // Either direction ending ends both (the other side sees the connection close).
            await Task.WhenAny(toDom0, b.CopyToAsync(a, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The agent (or dom0's relay) went away: the client sees its connection closed.
        }
    }

    private async Task<(int Status, string Output)> RunScriptAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(Script)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        start.Environment["ISLAND_STATE_DIR"] = Directory;
        start.Environment["ISLAND_XEN_BOARDS_DIR"] = BoardsDirectory;
        start.Environment["ISLAND_XEN_FORWARD_TCP"] = $"{HostApiPort}:{Dom0ApiPort}";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }

    /// <summary>Appends a line to STATE/hil-injections.log (each fault's command and how long dom0 took to run it).</summary>
    public void NoteInjection(string line) => File.AppendAllText(Path.Combine(Directory, "hil-injections.log"), line + "\n");

    /// <summary>The logs a run keeps (the agent's, island-sim's, dom0's and Xen's console, the command channel's).</summary>
    public static readonly IReadOnlyList<string> LogFiles =
        ["island-agent.log", "island-sim.log", "console.log", "machine.log", "dom0-scenario.log", "hil-commands.log", "hil-injections.log"];

    /// <summary>Powers the machine off (island-xen.sh down: dom0 stops the agent and destroys the domains), copies the logs, removes the state dir.</summary>
    public async Task ShutDownAsync(string? logDirectory)
    {
        try
        {
            await RunScriptAsync(CancellationToken.None, "down").ConfigureAwait(false);
        }
        finally
        {
            if (logDirectory is not null)
            {
                System.IO.Directory.CreateDirectory(logDirectory);
                foreach (var log in LogFiles.Where(l => File.Exists(Path.Combine(Directory, l))))
                    File.Copy(Path.Combine(Directory, log), Path.Combine(logDirectory, log), overwrite: true);
            }
            await DisposeAsync().ConfigureAwait(false);
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // Logs already copied; a leftover folder under out/ is harmless.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        _apiListener.Dispose();
        try
        {
            await _relay.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping.
        }
        File.Delete(ApiSocket);
    }
}
