using System;
using System.Diagnostics;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// The reset handshake against a peer that follows only the virtio spec (Peers/virtio_spec_peer.py,
/// a second process mapping the file like libmetal and polling, no kick socket): the project's
/// RpmsgLink over the production MappedFileSharedMemory plays the other role.
/// </summary>
[TestClass]
public sealed class VirtioSpecPeerTests
{
    private const int Size = 0x80000;

    public TestContext TestContext { get; set; } = null!;

    private static void PollUntil(RpmsgLink link, Func<bool> done, string what, PythonPeer peer, int timeoutMs = 5_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!done())
        {
            if (Environment.TickCount64 > deadline)
            {
                Assert.Fail("timed out waiting for " + what + " (link " + link.State + "); peer stderr: " + peer.Stderr);
            }

            link.Poll();
            System.Threading.Thread.Sleep(0);
        }
    }

    // Reads peer lines while polling the link (the peer needs the link serviced to make progress).
    private static string ReadLineWhilePolling(PythonPeer peer, RpmsgLink link, string what)
    {
        long deadline = Environment.TickCount64 + 5_000;
        while (Environment.TickCount64 < deadline)
        {
            link.Poll();
            string? line = peer.TryReadLine(1);
            if (line != null)
            {
                return line;
            }
        }

        Assert.Fail("the spec peer did not " + what + "; stderr: " + peer.Stderr);
        return string.Empty;
    }

    [TestMethod]
    [Verifies("IslDsgn~status-byte-handshake~1")]
    public void A_spec_only_driver_honours_DEVICE_NEEDS_RESET_from_this_device_and_the_link_comes_back()
    {
        using TestPaths paths = new();
        using MappedFileSharedMemory memory = MappedFileSharedMemory.Create(paths.Shm, Size);
        var errors = new RecordingErrors();
        var device = new RpmsgLink(LinkLayout.CreateOpenAmpLinuxReference(), memory, null, LinkRole.Device, 4, new LinkCounters(), errors, null);
        device.CreateEndpoint("stratos-island", RpmsgHeader.AddressAny, new RecordingSink());
        device.Start();
        using PythonPeer driver = PythonPeer.Start("virtio_spec_peer.py", "driver", paths.Shm);
        Assert.AreEqual("mapped", driver.ReadLine(5_000, "map the file"));
        Assert.AreEqual("announce stratos-island 0x400", ReadLineWhilePolling(driver, device, "receive the device's announcement"));
        Assert.AreEqual(LinkState.Up, device.State);

        // A driver-TX avail idx that jumped past num: corruption only a reset can repair.
        memory.WriteUInt16(0x9002, (ushort)(memory.ReadUInt16(0x9002) + 300));
        long corrupted = Stopwatch.GetTimestamp();
        Assert.AreEqual("needs-reset " + 0x47, ReadLineWhilePolling(driver, device, "see DEVICE_NEEDS_RESET"));
        Assert.AreEqual("renegotiated 7", ReadLineWhilePolling(driver, device, "renegotiate"));
        Assert.AreEqual("announce stratos-island 0x400", ReadLineWhilePolling(driver, device, "receive the re-announcement"));
        TestContext.WriteLine("spec driver: reset to re-announcement " + Stopwatch.GetElapsedTime(corrupted).TotalMilliseconds.ToString("F1") + " ms");
        Assert.AreEqual(LinkState.Up, device.State);
        Assert.AreEqual(1, device.Counters.RingResetsRequested);
        Assert.AreEqual(2, device.Counters.LinkUps);
        Assert.IsTrue(errors.Errors.Exists(e => e.Code == LinkErrorCode.IndexJump));
    }

    [TestMethod]
    [Verifies("IslDsgn~status-byte-handshake~1")]
    public void This_driver_honours_DEVICE_NEEDS_RESET_and_a_reboot_of_a_spec_only_device()
    {
        using TestPaths paths = new();
        using (MappedFileSharedMemory.Create(paths.Shm, Size))
        {
        }

        using PythonPeer device = PythonPeer.Start("virtio_spec_peer.py", "device", paths.Shm);
        Assert.AreEqual("mapped", device.ReadLine(5_000, "map the file"));
        using MappedFileSharedMemory memory = MappedFileSharedMemory.Open(paths.Shm, Size);
        var driver = new RpmsgLink(LinkLayout.CreateOpenAmpLinuxReference(), memory, null, LinkRole.Driver, 4, new LinkCounters(), new RecordingErrors(), null);
        RpmsgEndpoint endpoint = driver.CreateEndpoint("spec-peer", RpmsgHeader.AddressAny, new RecordingSink());
        driver.Start();
        PollUntil(driver, () => driver.State == LinkState.Up, "the spec device's table", device);
        Assert.AreEqual("driver-ok 7", ReadLineWhilePolling(device, driver, "see DRIVER_OK"));
        Assert.AreEqual("announced", ReadLineWhilePolling(device, driver, "announce"));
        PollUntil(driver, () => endpoint.RemoteAddress == 0x400, "the spec device's announcement", device);

        Assert.AreEqual("needs-reset-set " + 0x47, device.Ask("needs-reset"));
        PollUntil(driver, () => driver.Counters.RingResetsByPeer == 1, "this driver to honour DEVICE_NEEDS_RESET", device);
        Assert.AreEqual(RpmsgHeader.AddressAny, endpoint.RemoteAddress, "the reset forgot the peer's address");
        Assert.AreEqual("driver-ok 7", ReadLineWhilePolling(device, driver, "see the driver reset and renegotiate"));
        Assert.AreEqual("announced", ReadLineWhilePolling(device, driver, "announce again"));
        PollUntil(driver, () => endpoint.RemoteAddress == 0x400, "the re-announcement on the fresh rings", device);
        Assert.AreEqual(0, driver.Counters.PeerRestarts, "a reset request is not a restart");

        device.Send("reboot");
        PollUntil(driver, () => driver.Counters.PeerRestarts == 1, "this driver to see the device's reboot (status back to 0)", device);
        Assert.AreEqual("driver-ok 7", ReadLineWhilePolling(device, driver, "see DRIVER_OK after its reboot"));
        Assert.AreEqual("announced", ReadLineWhilePolling(device, driver, "announce after its reboot"));
        PollUntil(driver, () => endpoint.RemoteAddress == 0x400, "the rebooted device's announcement", device);
    }
}
