using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;

namespace Stratos.Island.Agent.Tests;

/// <summary>The agent's serial channel over a real socat pty pair: the line's other side going away
/// reports the channel down once, and the next pump throws so the link thread reopens the channel.</summary>
[TestClass]
public sealed class SerialChannelTests
{
    private sealed class Sink : ILinkChannelSink
    {
        public readonly List<string> Events = new();

        public void OnChannelUp() => Events.Add("up");

        public void OnChannelDown(string reason) => Events.Add("down: " + reason);

        public void OnChannelMessage(byte[] buffer, int offset, int count) => Events.Add("message " + count);
    }

    [TestMethod]
    public void A_pty_closed_at_the_other_side_reports_down_and_the_next_pump_throws()
    {
        string dir = Directory.CreateTempSubdirectory("serial-channel-").FullName;
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        using var socat = Process.Start(new ProcessStartInfo("socat") { ArgumentList = { "PTY,link=" + a + ",rawer", "PTY,link=" + b + ",rawer" } })!;
        try
        {
            for (int i = 0; i < 100 && !(File.Exists(a) && File.Exists(b)); i++)
            {
                Thread.Sleep(50);
            }

            var sink = new Sink();
            using ILinkChannel channel = SerialChannel.Factory(a, 115200)(sink);
            channel.Pump(50);
            CollectionAssert.AreEqual(new[] { "up" }, sink.Events);

            socat.Kill();
            socat.WaitForExit();
            for (int i = 0; i < 40 && sink.Events.Count == 1; i++)
            {
                channel.Pump(50);
            }

            Assert.AreEqual(2, sink.Events.Count, string.Join(", ", sink.Events));
            StringAssert.StartsWith(sink.Events[1], "down: serial " + a + " at 115200 baud: line closed by the other side");
            Assert.ThrowsExactly<IOException>(() => channel.Pump(0));
        }
        finally
        {
            if (!socat.HasExited)
            {
                socat.Kill();
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
