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
