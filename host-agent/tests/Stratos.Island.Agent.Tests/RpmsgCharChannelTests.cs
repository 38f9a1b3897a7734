using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Agent.Tests;

/// <summary>The rpmsg-char channel finds its endpoint afresh on every open (after an island restart
/// the kernel makes a new rpmsgN), using a folder tree shaped like a board's sysfs and /dev.</summary>
[TestClass]
public sealed class RpmsgCharChannelTests
{
    private sealed class Sink : ILinkChannelSink
    {
        public List<string> Calls { get; } = new();

        public void OnChannelUp() => Calls.Add("up");

        public void OnChannelDown(string reason) => Calls.Add("down " + reason);

        public void OnChannelMessage(byte[] buffer, int offset, int count) => Calls.Add("message");
    }

    [TestMethod]
    public void Each_open_locates_the_endpoint_and_a_missing_announcement_fails_the_open_with_the_reason()
    {
        using var dir = new TempDir();
        var paths = new RpmsgSysfsPaths
        {
            ClassDirectory = Path.Combine(dir.Path, "class"),
            BusDevicesDirectory = Path.Combine(dir.Path, "bus"),
            DeviceDirectory = Path.Combine(dir.Path, "dev"),
        };
        Directory.CreateDirectory(Path.Combine(paths.ClassDirectory, "rpmsg_ctrl0"));
        Directory.CreateDirectory(paths.BusDevicesDirectory);
        Directory.CreateDirectory(paths.DeviceDirectory);
        int created = 0;
        var locator = new RpmsgEndpointLocator(paths, (control, name, source, destination) =>
        {
            created++;
            string endpoint = Path.Combine(paths.ClassDirectory, "rpmsg" + created);
            Directory.CreateDirectory(endpoint);
            File.WriteAllText(Path.Combine(endpoint, "name"), name + "\n");
            File.WriteAllText(Path.Combine(endpoint, "dst"), destination + "\n");
            File.WriteAllText(Path.Combine(paths.DeviceDirectory, "rpmsg" + created), string.Empty);
            return null;
        });
        LinkChannelFactory factory = RpmsgCharChannel.Factory(locator, "/dev/rpmsg_ctrl0", "stratos-island");
        var sink = new Sink();

        IOException notYet = Assert.ThrowsExactly<IOException>(() => factory(sink));
        StringAssert.Contains(notYet.Message, "has not announced rpmsg channel 'stratos-island'");

        string announcement = Path.Combine(paths.BusDevicesDirectory, "virtio0.stratos-island.-1.1024");
        Directory.CreateDirectory(announcement);
        File.WriteAllText(Path.Combine(announcement, "name"), "stratos-island\n");
        File.WriteAllText(Path.Combine(announcement, "dst"), "0x400\n");
        using (ILinkChannel channel = factory(sink))
        {
            Assert.AreEqual($"rpmsg char {paths.DeviceDirectory}/rpmsg1 (channel 'stratos-island' to island address 0x400, created now)", channel.Description);
        }

        using (ILinkChannel again = factory(sink))
        {
            StringAssert.Contains(again.Description, "rpmsg1 (channel 'stratos-island' to island address 0x400, reused)");
        }

        Assert.AreEqual(1, created);
        CollectionAssert.AreEqual(new[] { "up", "up" }, sink.Calls);
    }
}
