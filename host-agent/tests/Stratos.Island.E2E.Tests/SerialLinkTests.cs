using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.E2E.Tests;

/// <summary>
/// island-sim and island-agent linked over a serial line (docs/island-sim.md "Serial link"): a real
/// pseudo-terminal pair made by socat, the island on one end (--link serial:TTY), the agent on the
/// other (a board whose link.transport is serial). Session up, operator requests answered by the
/// island, agent restart and island restart re-synchronised, line noise counted without losing the link.
/// </summary>
[TestClass]
public sealed class SerialLinkTests
{
    private static readonly string Repo = RepositoryRoot.Require();

    private static BoardProcess Start(string program, params string[] args) => BoardProcess.Start(program, new LaunchCommand(program, args));

    /// <summary>island-sim on the island end of <paramref name="link"/> and the agent, both on the serial board of <see cref="Board"/> (autostart off, no link key: as before the key existed).</summary>
    private static VirtualBoardLauncher Launcher(string dir, string link) =>
        new(new VirtualBoardLayout(dir), new VirtualBoardOptions(Repo) { Board = Board(dir), SimLink = link, Autostart = false, AuthenticatedLink = false });

    private static void Stop(BoardProcess? p)
    {
        p?.Kill();
        p?.Dispose();
    }

    private static (int Status, string Output) Island(string dir, params string[] args) => IslandCli.On(dir, args);

    /// <summary>One command on island-sim's control socket; its one-line answer ("" while it does not answer).</summary>
    private static string Control(string dir, string command)
    {
        try
        {
            return Readiness.SendLine(new VirtualBoardLayout(dir).ControlSocket, command);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return string.Empty;
        }
    }

    private static JsonElement? Status(string dir)
    {
        string line = Control(dir, "status");
        return line.StartsWith('{') ? JsonDocument.Parse(line).RootElement : null;
    }

    private static bool SessionUp(string dir, Func<JsonElement, bool>? and = null) =>
        Status(dir) is { } s && s.GetProperty("session").GetString() == "up" && (and is null || and(s));

    private static async Task WaitAsync(Func<bool> condition, string what, Func<string> detail, int timeoutMs = 30000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what + ": " + detail());
            }

            await Task.Delay(100);
        }
    }

    private static string Board(string dir)
    {
        string board = Path.Combine(dir, "serial-board");
        Directory.CreateDirectory(board);
        string yaml = File.ReadAllText(Path.Combine(Repo, "boards", "virtual", "board.yaml"));
        int link = yaml.IndexOf("\nlink:", StringComparison.Ordinal);
        int next = yaml.IndexOf("\npower_domains:", StringComparison.Ordinal);
        yaml = yaml[..link] + "\nlink:\n  transport: serial\n  channel_name: stratos-island\n  serial: { device: "
            + Path.Combine(dir, "agent-tty") + ", baud: 115200 }\n" + yaml[next..];
        File.WriteAllText(Path.Combine(board, "board.yaml"), yaml);
        File.Copy(Path.Combine(Repo, "boards", "virtual", "vms.yaml"), Path.Combine(board, "vms.yaml"), overwrite: true);
        return board;
    }

    [TestMethod]
    public async Task Island_and_agent_over_a_pty_pair_resync_after_either_restarts_and_count_line_noise()
    {
        string dir = Path.Combine(Path.GetTempPath(), "siser-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        BoardProcess? socat = null, island = null, agent = null;
        FileStream? islandKeeper = null, agentLine = null;
        try
        {
            string islandTty = Path.Combine(dir, "island-tty"), agentTty = Path.Combine(dir, "agent-tty");
            socat = Start("socat", "PTY,link=" + islandTty + ",rawer", "PTY,link=" + agentTty + ",rawer");
            await WaitAsync(() => File.Exists(islandTty) && File.Exists(agentTty), "socat's pty pair", () => "socat exited: " + socat.HasExited);

            // Both slaves stay open here too, so socat keeps the pair while either side restarts;
            // the agent-side handle also injects line noise toward the island.
            islandKeeper = new FileStream(islandTty, FileMode.Open, FileAccess.ReadWrite);
            agentLine = new FileStream(agentTty, FileMode.Open, FileAccess.ReadWrite);

            VirtualBoardLauncher launcher = Launcher(dir, "serial:" + islandTty + "@115200");
            launcher.Prepare();
            island = BoardProcess.Start("island-sim", launcher.SimCommand());
            agent = BoardProcess.Start("island-agent", launcher.AgentCommand());
            string IslandLog() => string.Join(" | ", File.Exists(Path.Combine(dir, "island", "island.log")) ? File.ReadAllLines(Path.Combine(dir, "island", "island.log")).TakeLast(6) : []);

            await WaitAsync(() => SessionUp(dir), "the session over the serial line", IslandLog);
            JsonElement first = Status(dir)!.Value;
            Assert.AreEqual("serial", first.GetProperty("link").GetProperty("transport").GetString());
            string agentBoot = first.GetProperty("agent_boot_id").GetString()!;
            string islandBoot = first.GetProperty("boot_id").GetString()!;

            // Requests answered by the island over the line: its VM table, its identity, a refusal.
            await WaitAsync(() => Island(dir, "vm", "list").Output.Contains("web", StringComparison.Ordinal), "the VM list", () => Island(dir, "vm", "list").Output);
            StringAssert.Contains(Island(dir, "status").Output, "boot " + islandBoot[2..]);
            var refused = Island(dir, "vm", "stop", "nope");
            Assert.AreEqual(4, refused.Status, refused.Output);
            StringAssert.Contains(refused.Output, "VM 'nope' not found; known VMs: base, web");

            // Line noise toward the island: random bytes between delimiters, a bad CRC, an overlong run.
            var random = new Random(18);
            byte[] noise = new byte[2000];
            random.NextBytes(noise);
            noise[0] = 0;
            noise[100] = 0;
            noise[700] = 0;
            noise[^1] = 0;
            for (int i = 101; i < 700; i++)
            {
                noise[i] = noise[i] == 0 ? (byte)1 : noise[i];
            }

            long received = first.GetProperty("session_counters").GetProperty("received").GetInt64();
            agentLine.Write(noise);
            agentLine.Flush();
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("link").GetProperty("errors").GetInt32() >= 2
                && s.GetProperty("link").GetProperty("overlong").GetInt32() >= 1
                && s.GetProperty("session_counters").GetProperty("received").GetInt64() > received + 5),
                "noise counted and the session still receiving", () => Control(dir, "status"));
            Assert.AreEqual(agentBoot, Status(dir)!.Value.GetProperty("agent_boot_id").GetString(), "the noise must not restart the session");
            Assert.AreEqual(0, Island(dir, "vm", "list").Status);

            // Agent restart: SIGKILL, a new agent on the same line; the island sees a new boot id.
            Stop(agent);
            agent = BoardProcess.Start("island-agent", launcher.AgentCommand());
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("agent_boot_id").GetString() != agentBoot), "the session with the new agent", IslandLog);
            Assert.IsTrue(Status(dir)!.Value.GetProperty("session_counters").GetProperty("established").GetInt64() >= 2);
            await WaitAsync(() => Island(dir, "vm", "list").Output.Contains("web", StringComparison.Ordinal), "the VM list after the agent restart", () => Island(dir, "vm", "list").Output);

            // Island restart (software reset): a new island boot, the agent re-Hellos and re-syncs.
            Assert.AreEqual("ok reset", Control(dir, "reset"));
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("boot_id").GetString() != islandBoot), "the session with the restarted island", IslandLog);
            JsonElement after = Status(dir)!.Value;
            Assert.AreEqual("software", after.GetProperty("reset_reason").GetString());
            await WaitAsync(() => Island(dir, "status").Output.Contains("boot " + after.GetProperty("boot_id").GetString()![2..], StringComparison.Ordinal),
                "the agent reporting the new island boot", () => Island(dir, "status").Output);
            Assert.AreEqual(0, Island(dir, "vm", "list").Status);
            Assert.IsFalse(island.HasExited || agent.HasExited || socat.HasExited, "every process survives");
        }
        finally
        {
            Stop(agent);
            Stop(island);
            islandKeeper?.Dispose();
            agentLine?.Dispose();
            Stop(socat);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The Xen machine's COM2 as this test plays it: QEMU's `-chardev socket,server=on` (one client
    /// at a time; what the UART sends while nobody is connected is lost) in front of a UART that a
    /// guest under emulation drains slowly. Bytes take <see cref="OneWayDelayMs"/> each way and pass at
    /// about 115200 baud; when the client goes away, what it sent that the UART has not taken yet is
    /// dropped (QEMU's disconnect), so a frame can reach the agent cut in half.
    /// </summary>
    private sealed class SlowUart : IDisposable
    {
        public const int OneWayDelayMs = 150;
        private const int BytesPerMs = 11;   // 115200 baud, 8N1
        private readonly Socket _listener;
        private readonly FileStream _uart;
        private readonly System.Collections.Concurrent.BlockingCollection<(long Due, byte[] Bytes, int Client)> _toUart = new();
        private readonly System.Collections.Concurrent.BlockingCollection<(long Due, byte[] Bytes, int Client)> _fromUart = new();
        private volatile Socket? _client;
        private int _clients;
        public int Accepted => _clients;

        public SlowUart(string socketPath, string uartTty)
        {
            _uart = new FileStream(uartTty, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            _listener.Listen(1);
            _ = Task.Run(AcceptLoop);
            _ = Task.Run(ToUartLoop);
            _ = Task.Run(FromUartLoop);
        }

        private void AcceptLoop()
        {
            byte[] buffer = new byte[256];
            while (true)
            {
                Socket c;
                try
                {
                    c = _listener.Accept();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                int id = System.Threading.Interlocked.Increment(ref _clients);
                _client = c;
                try
                {
                    int n;
                    while ((n = c.Receive(buffer)) > 0)
                    {
                        _toUart.Add((Environment.TickCount64 + OneWayDelayMs, buffer[..n], id));
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }

                _client = null;
                c.Dispose();
            }
        }

        // In order, each chunk not before its due time, at the UART's rate.
        private void ToUartLoop()
        {
            try
            {
                foreach (var (due, bytes, client) in _toUart.GetConsumingEnumerable())
                {
                    for (int at = 0; at < bytes.Length; at += BytesPerMs)
                    {
                        long wait = due + (at / BytesPerMs) - Environment.TickCount64;
                        if (wait > 0)
                        {
                            System.Threading.Thread.Sleep((int)wait);
                        }

                        if (client != _clients || _client is null)
                        {
                            break;   // that client is gone: QEMU drops what the UART did not take
                        }

                        _uart.Write(bytes, at, Math.Min(BytesPerMs, bytes.Length - at));
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        private void FromUartLoop()
        {
            _ = Task.Run(() =>
            {
                foreach (var (due, bytes, _) in _fromUart.GetConsumingEnumerable())
                {
                    long wait = due - Environment.TickCount64;
                    if (wait > 0)
                    {
                        System.Threading.Thread.Sleep((int)wait);
                    }

                    try
                    {
                        _client?.Send(bytes);   // nobody connected: lost, as with QEMU
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                    }
                }
            });
            byte[] buffer = new byte[256];
            try
            {
                int n;
                while ((n = _uart.Read(buffer, 0, buffer.Length)) > 0)
                {
                    _fromUart.Add((Environment.TickCount64 + OneWayDelayMs, buffer[..n], 0));
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            _client?.Dispose();
            _toUart.CompleteAdding();
            _fromUart.CompleteAdding();
            _uart.Dispose();
        }
    }

    /// <summary>
    /// Issue 18's link loss without the Xen boot: the agent on a UART whose round trip (about 300 ms)
    /// is longer than its first Hello retries, island-sim behind a socket in front of it (the Xen
    /// machine's COM2), authenticated as on the Xen board. island-sim is SIGKILLed mid-stream and
    /// started again on the same state: the agent must be back in session with the new island within
    /// seconds (before the fix every HelloAck answered a Hello older than the agent's latest and the
    /// session never came back), and a missing island is reported with the line's counters.
    /// </summary>
    [TestMethod]
    public async Task An_island_killed_mid_stream_behind_a_slow_uart_is_back_in_session_within_seconds()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sislow-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        BoardProcess? socat = null, island = null, agent = null;
        SlowUart? uart = null;
        try
        {
            string uartTty = Path.Combine(dir, "uart-tty"), agentTty = Path.Combine(dir, "agent-tty"), linkSocket = Path.Combine(dir, "link.sock");
            socat = Start("socat", "PTY,link=" + uartTty + ",rawer", "PTY,link=" + agentTty + ",rawer");
            await WaitAsync(() => File.Exists(uartTty) && File.Exists(agentTty), "socat's pty pair", () => "socat exited: " + socat.HasExited);
            uart = new SlowUart(linkSocket, uartTty);

            var launcher = new VirtualBoardLauncher(new VirtualBoardLayout(dir), new VirtualBoardOptions(Repo)
            {
                Board = Board(dir), SimLink = "serial-socket:" + linkSocket, Autostart = false, AuthenticatedLink = true,
            });
            launcher.Prepare();
            island = BoardProcess.Start("island-sim", launcher.SimCommand());
            var agentLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            agent = BoardProcess.Start("island-agent", launcher.AgentCommand(), (_, line) => agentLines.Enqueue(line));
            string IslandLog() => string.Join(" | ", File.Exists(Path.Combine(dir, "island", "island.log")) ? File.ReadAllLines(Path.Combine(dir, "island", "island.log")).TakeLast(6) : []);
            string AgentLog() => string.Join(" | ", agentLines.TakeLast(8));

            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("session_counters").GetProperty("authenticated").GetBoolean()), "the authenticated session over the slow line", () => IslandLog() + " || " + AgentLog(), 60_000);
            await WaitAsync(() => Island(dir, "vm", "list").Output.Contains("web", StringComparison.Ordinal), "the VM list", () => Island(dir, "vm", "list").Output);
            string agentBoot = Status(dir)!.Value.GetProperty("agent_boot_id").GetString()!;
            string islandBoot = Status(dir)!.Value.GetProperty("boot_id").GetString()!;

            // SIGKILL mid-stream (its Pongs and status were in flight), 3 s away, then a new island-sim.
            int accepted = uart.Accepted;
            island.Kill();
            island.Dispose();
            await Task.Delay(3_000);
            long restartedAt = Environment.TickCount64;
            island = BoardProcess.Start("island-sim", launcher.SimCommand());
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("boot_id").GetString() != islandBoot), "the session with the restarted island", () => IslandLog() + " || " + AgentLog(), 30_000);
            long backMs = Environment.TickCount64 - restartedAt;
            Console.WriteLine($"slow uart: restarted island-sim in session with the agent {backMs} ms after its start (round trip ~{2 * SlowUart.OneWayDelayMs} ms)");
            Assert.IsGreaterThan(accepted, uart.Accepted, "the new island-sim connected to the machine's socket");
            Assert.AreEqual(agentBoot, Status(dir)!.Value.GetProperty("agent_boot_id").GetString(), "the same agent, re-Helloed");
            Assert.IsLessThan(10_000L, backMs, "back within seconds (island-sim's own start included)");
            string newBoot = Status(dir)!.Value.GetProperty("boot_id").GetString()![2..];
            await WaitAsync(() => Island(dir, "status").Output.Contains("boot " + newBoot, StringComparison.Ordinal), "the agent reporting the new island boot", () => Island(dir, "status").Output);

            // The island gone for good: the agent says so, naming the line and what it carried.
            island.Kill();
            island.Dispose();
            island = null;
            await WaitAsync(() => agentLines.Any(l => l.Contains("no session with the island for", StringComparison.Ordinal)), "the agent's no-session warning", AgentLog, 30_000);
            string warning = agentLines.Last(l => l.Contains("no session with the island for", StringComparison.Ordinal));
            StringAssert.Contains(warning, "serial " + agentTty);
            StringAssert.Contains(warning, "frames received");
            var unavailable = Island(dir, "status");
            StringAssert.Contains(unavailable.Output, "connecting", "island status shows the missing session: " + unavailable.Output);
            StringAssert.Contains(unavailable.Output, "STALE", "and marks what it shows as stale: " + unavailable.Output);
            Assert.IsFalse(agent.HasExited, "the agent keeps waiting for the island");
        }
        finally
        {
            Stop(agent);
            Stop(island);
            uart?.Dispose();
            Stop(socat);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The Xen machine's wiring without the Xen boot: QEMU's `-chardev socket,server=on,wait=off`
    /// (machine.sh --link-socket) is played by this test, a listening AF_UNIX socket whose client
    /// bytes go to a UART (one end of a socat pty pair) the agent reads on the other end.
    /// island-sim connects with --link serial-socket:PATH before anything listens, and reconnects
    /// after its own reset and after the machine's end drops the connection.
    /// </summary>
    [TestMethod]
    public async Task Island_over_a_serial_socket_connects_late_and_reconnects_after_either_end_drops()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sisock-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        BoardProcess? socat = null, island = null, agent = null;
        FileStream? uart = null;
        Socket? listener = null;
        Socket? client = null;
        try
        {
            string uartTty = Path.Combine(dir, "uart-tty"), agentTty = Path.Combine(dir, "agent-tty"), linkSocket = Path.Combine(dir, "link.sock");
            socat = Start("socat", "PTY,link=" + uartTty + ",rawer", "PTY,link=" + agentTty + ",rawer");
            await WaitAsync(() => File.Exists(uartTty) && File.Exists(agentTty), "socat's pty pair", () => "socat exited: " + socat.HasExited);
            uart = new FileStream(uartTty, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);

            VirtualBoardLauncher launcher = Launcher(dir, "serial-socket:" + linkSocket);
            launcher.Prepare();
            island = BoardProcess.Start("island-sim", launcher.SimCommand());
            string IslandLog() => string.Join(" | ", File.Exists(Path.Combine(dir, "island", "island.log")) ? File.ReadAllLines(Path.Combine(dir, "island", "island.log")).TakeLast(6) : []);
            await WaitAsync(() => Status(dir) is { } s && s.GetProperty("link").GetProperty("last_open_error").GetString()!.Contains(linkSocket, StringComparison.Ordinal),
                "island-sim naming the socket nobody listens on", IslandLog);

            // The machine's end: accept one client at a time; UART -> client, client -> UART.
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(linkSocket));
            listener.Listen(1);
            int accepted = 0;
            _ = Task.Run(() =>
            {
                byte[] buffer = new byte[1024];
                while (true)
                {
                    Socket c;
                    try
                    {
                        c = listener.Accept();
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return; // the test is over
                    }

                    client = c;
                    System.Threading.Interlocked.Increment(ref accepted);
                    try
                    {
                        int n;
                        while ((n = c.Receive(buffer)) > 0)
                        {
                            uart.Write(buffer, 0, n);
                        }
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
                    {
                    }
                }
            });
            _ = Task.Run(() =>
            {
                byte[] buffer = new byte[1024];
                try
                {
                    int n;
                    while ((n = uart.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        try
                        {
                            client?.Send(buffer.AsSpan(0, n)); // no client: the bytes are lost, as with QEMU
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException)
                        {
                        }
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
            });

            agent = BoardProcess.Start("island-agent", launcher.AgentCommand());
            await WaitAsync(() => SessionUp(dir), "the session over the serial socket", IslandLog);
            JsonElement first = Status(dir)!.Value;
            Assert.AreEqual("serial-socket", first.GetProperty("link").GetProperty("transport").GetString());
            await WaitAsync(() => Island(dir, "vm", "list").Output.Contains("web", StringComparison.Ordinal), "the VM list", () => Island(dir, "vm", "list").Output);

            // Noise from the machine's end straight into the island's socket.
            byte[] noise = [0, 1, 2, 3, 4, 5, 0, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0];
            client!.Send(noise);
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("link").GetProperty("errors").GetInt32() >= 2), "noise counted", () => Control(dir, "status"));

            // The machine's end drops the connection (QEMU restarted): the island reconnects.
            string agentBoot = first.GetProperty("agent_boot_id").GetString()!;
            int before = accepted;
            client!.Shutdown(SocketShutdown.Both);
            client.Dispose();
            await WaitAsync(() => accepted > before && SessionUp(dir, s => s.GetProperty("link").GetProperty("opens").GetInt32() >= 2),
                "the island reconnected", IslandLog);
            Assert.AreEqual(agentBoot, Status(dir)!.Value.GetProperty("agent_boot_id").GetString());
            StringAssert.Contains(Status(dir)!.Value.GetProperty("link").GetProperty("last_down_reason").GetString(), "closed by the other side");

            // Island reset: a new child connects again and the agent learns the new boot.
            string islandBoot = first.GetProperty("boot_id").GetString()!;
            Assert.AreEqual("ok reset", Control(dir, "reset"));
            await WaitAsync(() => SessionUp(dir, s => s.GetProperty("boot_id").GetString() != islandBoot), "the session with the restarted island", IslandLog);
            string newBoot = Status(dir)!.Value.GetProperty("boot_id").GetString()![2..];
            await WaitAsync(() => Island(dir, "status").Output.Contains("boot " + newBoot, StringComparison.Ordinal), "the agent reporting the new island boot", () => Island(dir, "status").Output);
            Assert.IsFalse(island.HasExited || agent.HasExited, "both processes survive");
        }
        finally
        {
            Stop(agent);
            Stop(island);
            listener?.Dispose();
            client?.Dispose();
            Stop(socat);
            uart?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
