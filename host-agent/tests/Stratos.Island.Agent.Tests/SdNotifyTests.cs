using System;
using System.Collections;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Systemd;

namespace Stratos.Island.Agent.Tests;

/// <summary>sd_notify against a real AF_UNIX datagram socket, as systemd would listen.</summary>
[TestClass]
public sealed class SdNotifyTests
{
    private static (Socket Socket, string Name) Listen(bool @abstract, TempDir dir)
    {
        string name = @abstract ? "@stratos-test-" + Guid.NewGuid().ToString("N")[..8] : System.IO.Path.Combine(dir.Path, "notify");
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(@abstract ? "\0" + name[1..] : name));
        socket.ReceiveTimeout = 2000;
        return (socket, name);
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[256];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Ready_and_stopping_reach_the_notify_socket(bool @abstract)
    {
        using var dir = new TempDir();
        var (socket, name) = Listen(@abstract, dir);
        using (socket)
        {
            await using SdNotify notify = SdNotify.FromEnvironment(new Hashtable { ["NOTIFY_SOCKET"] = name }, Environment.ProcessId);

            notify.Ready("API on /x");
            StringAssert.StartsWith(Receive(socket), "READY=1\nSTATUS=API on /x");
            notify.Stopping();
            Assert.AreEqual("STOPPING=1", Receive(socket));
        }
    }

    [TestMethod]
    public async Task The_watchdog_pings_every_half_interval_when_it_is_meant_for_this_process()
    {
        using var dir = new TempDir();
        var (socket, name) = Listen(false, dir);
        using (socket)
        {
            var environment = new Hashtable { ["NOTIFY_SOCKET"] = name, ["WATCHDOG_USEC"] = "100000", ["WATCHDOG_PID"] = Environment.ProcessId.ToString() };
            await using SdNotify notify = SdNotify.FromEnvironment(environment, Environment.ProcessId);
            Assert.AreEqual(TimeSpan.FromMilliseconds(50), notify.WatchdogInterval);

            notify.Ready("up");
            var received = new List<string>();
            for (int i = 0; i < 4; i++)
            {
                received.Add(Receive(socket));
            }

            CollectionAssert.AreEqual(new[] { "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1" }, received.GetRange(1, 3));
        }
    }

    [TestMethod]
    public async Task A_watchdog_for_another_pid_or_no_socket_does_nothing()
    {
        await using SdNotify other = SdNotify.FromEnvironment(new Hashtable { ["NOTIFY_SOCKET"] = "/nonexistent", ["WATCHDOG_USEC"] = "100000", ["WATCHDOG_PID"] = "1" }, Environment.ProcessId);
        Assert.IsNull(other.WatchdogInterval);
        await using SdNotify none = SdNotify.FromEnvironment(new Hashtable(), Environment.ProcessId);
        Assert.IsFalse(none.Enabled);
        Assert.IsFalse(none.Notify("READY=1"));
    }
}
