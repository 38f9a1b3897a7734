using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>The guest console tap (RUN/NAME/console.sock) on real QEMU with the heartbeat guest.</summary>
[TestClass]
public sealed class ConsoleTapTests : VmHarnessTest
{
    [TestMethod]
    public async Task Stop_sent_through_the_tap_stops_heartbeats_at_the_agent_and_start_resumes_them()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("tapstop", "hb.rate=20"));
        var serial = vm.Serial!;
        Assert.AreEqual(Path.Combine(vm.RuntimeDirectory, "console.sock"), vm.ConsoleSocketPath);
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(vm.ConsoleSocketPath));
        await using var client = await TapClient.ConnectAsync(vm.ConsoleSocketPath);
        await VmHarness.WaitForAsync(() => serial.HeartbeatCount >= 2, "heartbeats before stop");

        await client.SendAsync("stop");
        await client.WaitForLineAsync("ACK stop");
        long stopped = serial.HeartbeatCount;
        await Task.Delay(300);
        Assert.AreEqual(stopped, serial.HeartbeatCount, "no heartbeat reaches the agent after stop");

        await client.SendAsync("start");
        await client.WaitForLineAsync("ACK start");
        await VmHarness.WaitForAsync(() => serial.HeartbeatCount >= stopped + 3, "heartbeats after start");
        await client.WaitForLineAsync($"HB {serial.LastHeartbeatSequence}");
        Assert.AreEqual(0L, serial.MalformedCount);
    }

    [TestMethod]
    public async Task Every_client_sees_the_same_guest_output_including_answers_to_another_client()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("tapmulti", "hb.rate=20 hb.cps=7"));
        await using var first = await TapClient.ConnectAsync(vm.ConsoleSocketPath);
        await using var second = await TapClient.ConnectAsync(vm.ConsoleSocketPath);
        await VmHarness.WaitForAsync(() => vm.Console!.ClientCount == 2, "two tap clients");

        long bothConnected = vm.Serial!.LastHeartbeatSequence + 1;
        await first.SendAsync("rate 30");
        await first.WaitForLineAsync("ACK rate 30");
        await second.WaitForLineAsync("ACK rate 30");
        long last = vm.Serial.LastHeartbeatSequence + 2;
        await first.WaitForLineAsync($"HB {last}");
        await second.WaitForLineAsync($"HB {last}");
        await second.WaitForLineAsync($"CP 7 {last}");
        for (long sequence = bothConnected + 1; sequence <= last; sequence++)
        {
            Assert.Contains($"HB {sequence}", first.Lines);
            Assert.Contains($"HB {sequence}", second.Lines);
        }
    }

    [TestMethod]
    public async Task Line_over_120_characters_is_refused_and_not_forwarded()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("taplong", "hb.rate=50"));
        var guestErrors = new ConcurrentQueue<string>();
        vm.Serial!.LineReceived += line =>
        {
            if (line.StartsWith("ERR", StringComparison.Ordinal))
                guestErrors.Enqueue(line);
        };
        await using var client = await TapClient.ConnectAsync(vm.ConsoleSocketPath);

        await client.SendAsync("rate " + new string('1', 116));  // 121 characters
        await client.WaitForLineAsync(ConsoleTap.LineTooLongReply);
        await client.SendAsync("cps " + new string('9', 116) + "\r"); // 120 characters before CRLF: forwarded
        await VmHarness.WaitForAsync(() => !guestErrors.IsEmpty, "the guest's answer to the 120-character line");
        await client.SendAsync("rate 40");
        await client.WaitForLineAsync("ACK rate 40");
        Assert.HasCount(1, guestErrors, "only the 120-character line reached the guest: " + string.Join(" | ", guestErrors));
        Assert.StartsWith("ERR cps", guestErrors.Single());
        Assert.AreEqual(1, client.Lines.Count(l => l == ConsoleTap.LineTooLongReply));
    }

    [TestMethod]
    public async Task Slow_client_loses_lines_without_blocking_the_agent_or_other_clients()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("tapslow", "hb.rate=1 hb.cps=1,2,3,4,5,6,7,8"));
        using var stalled = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stalled.ReceiveBufferSize = 4096;
        await stalled.ConnectAsync(new UnixDomainSocketEndPoint(vm.ConsoleSocketPath));
        await using var reading = await TapClient.ConnectAsync(vm.ConsoleSocketPath);

        await VmHarness.WaitForAsync(() => vm.Console!.LinesDropped > 0, "lines dropped for the stalled client", TimeSpan.FromSeconds(20));
        long heartbeats = vm.Serial!.HeartbeatCount;
        await VmHarness.WaitForAsync(() => vm.Serial.HeartbeatCount >= heartbeats + 20, "heartbeats at the agent while a client stalls");
        await reading.WaitForLineAsync($"HB {vm.Serial.LastHeartbeatSequence}");
    }

    [TestMethod]
    public async Task Tap_socket_is_gone_and_clients_are_closed_after_the_vm_stops()
    {
        var vm = await Harness.StartAsync(VmHarness.Spec("tapgone", "hb.rate=20"));
        await using var client = await TapClient.ConnectAsync(vm.ConsoleSocketPath);
        // At 20 ms per heartbeat any given sequence may be gone before the client connects: wait for
        // one heartbeat line, whichever it is.
        await VmHarness.WaitForAsync(() => client.Lines.Any(l => l.StartsWith("HB ", StringComparison.Ordinal)), "a heartbeat line on the tap");

        await vm.KillAsync();
        Assert.IsFalse(File.Exists(vm.ConsoleSocketPath));
        await client.Closed.WaitAsync(VmHarness.StepTimeout);
        using var late = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await Assert.ThrowsAsync<SocketException>(async () => await late.ConnectAsync(new UnixDomainSocketEndPoint(vm.ConsoleSocketPath)));
    }

    /// <summary>A console tap client: records every line it reads.</summary>
    private sealed class TapClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly Task _reader;
        private readonly ConcurrentQueue<string> _lines = new();

        private TapClient(Socket socket)
        {
            _socket = socket;
            _reader = Task.Run(ReadAsync);
        }

        public static async Task<TapClient> ConnectAsync(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return new TapClient(socket);
        }

        public string[] Lines => _lines.ToArray();

        /// <summary>Completes when the tap closes the connection.</summary>
        public Task Closed => _reader;

        public async Task SendAsync(string line) => await _socket.SendAsync(Encoding.ASCII.GetBytes(line + "\n"), SocketFlags.None);

        public Task WaitForLineAsync(string line) =>
            VmHarness.WaitForAsync(() => _lines.Contains(line), $"'{line}' on the tap (last lines: {string.Join(" | ", _lines.TakeLast(5))})");

        private async Task ReadAsync()
        {
            using var reader = new StreamReader(new NetworkStream(_socket, ownsSocket: false), Encoding.ASCII);
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                    _lines.Enqueue(line);
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            await _reader;
        }
    }
}
