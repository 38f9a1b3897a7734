using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

/// <summary>QmpClient against a bare QEMU started here (paused, -S), without the backend.</summary>
[TestClass]
public sealed class QmpClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private string _directory = "";
    private Process? _qemu;

    [TestInitialize]
    public void StartQemu()
    {
        _directory = Path.Combine(Path.GetTempPath(), "siqmp-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_directory);
        var startInfo = new ProcessStartInfo("qemu-system-x86_64") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-machine", "microvm,accel=tcg", "-m", "16", "-nodefaults", "-no-user-config", "-nographic", "-S",
                     "-kernel", GuestBuild.KernelPath, "-qmp", $"unix:{SocketPath},server=on,wait=off" })
            startInfo.ArgumentList.Add(a);
        _qemu = Process.Start(startInfo);
    }

    [TestCleanup]
    public void KillQemu()
    {
        if (_qemu is not null && !_qemu.HasExited)
        {
            _qemu.Kill();
            _qemu.WaitForExit();
        }
        _qemu?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string SocketPath => Path.Combine(_directory, "qmp.sock");

    [TestMethod]
    public async Task Handshake_negotiates_capabilities_and_query_status_follows_cont()
    {
        await using var qmp = await QmpClient.ConnectAsync(SocketPath, Timeout);
        Assert.AreEqual(7, qmp.Greeting.GetProperty("version").GetProperty("qemu").GetProperty("major").GetInt32());
        var events = new ConcurrentQueue<QmpEvent>();
        qmp.EventReceived += events.Enqueue;

        var before = await qmp.ExecuteAsync("query-status", null, Timeout);
        Assert.AreEqual("prelaunch", before.GetProperty("status").GetString());
        Assert.IsFalse(before.GetProperty("running").GetBoolean());

        await qmp.ExecuteAsync("cont", null, Timeout);
        await VmHarness.WaitForAsync(() => events.Any(e => e.Name == "RESUME"), "the RESUME event");
        var after = await qmp.ExecuteAsync("query-status", null, Timeout);
        Assert.AreEqual("running", after.GetProperty("status").GetString());
    }

    [TestMethod]
    public async Task Error_reply_carries_the_class_and_the_command()
    {
        await using var qmp = await QmpClient.ConnectAsync(SocketPath, Timeout);
        var error = await Assert.ThrowsExactlyAsync<QmpCommandException>(() => qmp.ExecuteAsync("no-such-command", null, Timeout));
        Assert.AreEqual("CommandNotFound", error.ErrorClass);
        Assert.AreEqual("no-such-command", error.Command);

        var badArgument = await Assert.ThrowsExactlyAsync<QmpCommandException>(() => qmp.ExecuteAsync("query-status", new { bogus = 1 }, Timeout));
        Assert.AreEqual("GenericError", badArgument.ErrorClass);
        Assert.Contains("bogus", badArgument.Description);
    }

    [TestMethod]
    public async Task Quit_closes_the_connection_and_later_commands_fail_clearly()
    {
        await using var qmp = await QmpClient.ConnectAsync(SocketPath, Timeout);
        var events = new ConcurrentQueue<QmpEvent>();
        qmp.EventReceived += events.Enqueue;
        try
        {
            await qmp.ExecuteAsync("quit", null, Timeout);
        }
        catch (VmmException e) when (e.Kind == VmmErrorKind.ConnectionClosed)
        {
            // QEMU may close before its reply reaches us; both are correct.
        }
        await qmp.Closed.WaitAsync(Timeout);
        Assert.IsTrue(qmp.IsClosed);
        Assert.Contains(e => e.Name == "SHUTDOWN" && e.DataString("reason") == "host-qmp-quit", events.ToArray());
        var error = await Assert.ThrowsExactlyAsync<VmmException>(() => qmp.ExecuteAsync("query-status", null, Timeout));
        Assert.AreEqual(VmmErrorKind.ConnectionClosed, error.Kind);
        Assert.Contains("query-status", error.Message);
    }

    [TestMethod]
    public async Task Connecting_to_a_socket_nobody_serves_times_out_naming_it()
    {
        string missing = Path.Combine(_directory, "nobody.sock");
        var error = await Assert.ThrowsExactlyAsync<VmmException>(() => QmpClient.ConnectAsync(missing, TimeSpan.FromMilliseconds(150)));
        Assert.AreEqual(VmmErrorKind.Timeout, error.Kind);
        Assert.Contains(missing, error.Message);
    }

    [TestMethod]
    public async Task A_socket_bound_but_never_listening_is_retried_until_the_timeout_names_it()
    {
        // The window between QEMU's bind and listen: the path exists, connects are refused.
        string bound = Path.Combine(_directory, "bound.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(bound));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsExactlyAsync<VmmException>(() => QmpClient.ConnectAsync(bound, TimeSpan.FromMilliseconds(200)));
        Assert.AreEqual(VmmErrorKind.Timeout, error.Kind);
        Assert.Contains(bound, error.Message);
        Assert.IsGreaterThanOrEqualTo(190L, clock.ElapsedMilliseconds, "it kept retrying until the timeout");
    }

    [TestMethod]
    public async Task A_socket_that_appears_later_is_connected_once_it_listens()
    {
        string late = Path.Combine(_directory, "late.sock");
        Task<QmpClient> connecting = QmpClient.ConnectAsync(late, Timeout);
        await Task.Delay(150);
        Assert.IsFalse(connecting.IsCompleted, "nothing to connect to yet");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(late));
        listener.Listen(1);
        using var accepted = await listener.AcceptAsync();
        await accepted.SendAsync("{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}, \"capabilities\": []}}\r\n"u8.ToArray());
        var buffer = new byte[512];
        Task<int> request = accepted.ReceiveAsync(buffer);
        // qmp_capabilities: answer it so the connect completes.
        int n = await request.WaitAsync(Timeout);
        StringAssert.Contains(System.Text.Encoding.ASCII.GetString(buffer, 0, n), "qmp_capabilities");
        string id = System.Text.Json.JsonDocument.Parse(System.Text.Encoding.ASCII.GetString(buffer, 0, n)).RootElement.GetProperty("id").GetRawText();
        await accepted.SendAsync(System.Text.Encoding.ASCII.GetBytes("{\"return\": {}, \"id\": " + id + "}\r\n"));
        await using QmpClient qmp = await connecting.WaitAsync(Timeout);
        Assert.AreEqual(7, qmp.Greeting.GetProperty("version").GetProperty("qemu").GetProperty("major").GetInt32());
    }
}
