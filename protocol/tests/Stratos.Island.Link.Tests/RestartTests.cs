using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Link.Tests;

/// <summary>Either side may restart at any moment; endpoints and announcements come back.</summary>
[TestClass]
public sealed class RestartTests
{
    private static void AssertBothWaysFlow(LinkPair pair)
    {
        Assert.AreEqual(LinkState.Up, pair.Device.State);
        Assert.AreEqual(LinkState.Up, pair.Driver.State);
        Assert.AreEqual(pair.DeviceEndpoint.LocalAddress, pair.DriverEndpoint.RemoteAddress);
        Assert.AreEqual(pair.DriverEndpoint.LocalAddress, pair.DeviceEndpoint.RemoteAddress);
        pair.AssertTrafficFlows();
        byte[] payload = LinkPair.Bytes(40, 9);
        int before = pair.DriverSink.Messages.Count;
        Assert.AreEqual(LinkSendStatus.Ok, pair.DeviceEndpoint.TrySendToRemote(payload, 0, payload.Length));
        pair.Driver.Poll();
        Assert.AreEqual(before + 1, pair.DriverSink.Messages.Count);
        CollectionAssert.AreEqual(payload, pair.DriverSink.Messages[^1].Payload);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Agent_restart_is_detected_by_the_island_which_re_announces_its_endpoint()
    {
        LinkPair pair = new();
        for (int i = 0; i < 10; i++)
        {
            pair.DeviceEndpoint.TrySendToRemote(new byte[3], 0, 3);
        }

        RpmsgLink oldDevice = pair.Device;
        pair.NewDriver();
        pair.Driver.Start();
        pair.Settle();
        Assert.AreSame(oldDevice, pair.Device);
        Assert.AreEqual(1, pair.Device.Counters.PeerRestarts);
        Assert.AreEqual(2, pair.DeviceEvents.Ups);
        Assert.AreEqual(1, pair.DeviceEvents.Downs.Count);
        Assert.AreEqual(1, pair.DriverEvents.Channels.Count, "the new agent heard the island's announcement");
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    public void Agent_restart_before_any_island_traffic_is_detected_through_the_status_byte()
    {
        LinkPair pair = new();
        pair.NewDriver();
        ResourceTableStatusReset(pair);
        pair.Device.Poll();
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        pair.Driver.Start();
        pair.Settle();
        AssertBothWaysFlow(pair);
    }

    private static void ResourceTableStatusReset(LinkPair pair) => pair.Memory.Bytes[0x2c] = 0;

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Island_restart_is_detected_by_the_agent_which_reinitialises_the_rings()
    {
        LinkPair pair = new();
        pair.DriverEndpoint.TrySendToRemote(new byte[3], 0, 3); // left in flight, never consumed
        RpmsgLink oldDriver = pair.Driver;
        pair.NewDevice();
        pair.Device.Start();
        Assert.AreEqual((byte)0, pair.Memory.Bytes[0x2c]);
        pair.Settle();
        Assert.AreSame(oldDriver, pair.Driver);
        Assert.AreEqual(1, pair.Driver.Counters.PeerRestarts);
        Assert.AreEqual(2, pair.DriverEvents.Ups);
        Assert.AreEqual(0, pair.DeviceSink.Messages.Count, "the message sent to the dead island is not replayed");
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Both_sides_restarting_come_back_up()
    {
        LinkPair pair = new();
        pair.NewDevice();
        pair.NewDriver();
        pair.Driver.Start();
        pair.Device.Start();
        pair.Settle();
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    public void Wiped_shared_memory_is_rebuilt_by_both_sides()
    {
        LinkPair pair = new();
        System.Array.Clear(pair.Memory.Bytes);
        pair.Settle();
        Assert.AreEqual(1, pair.Device.Counters.Errors(LinkErrorCode.PeerRestart));
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Platform_reported_peer_reset_makes_the_island_clear_DRIVER_OK_and_both_re_announce()
    {
        LinkPair pair = new();
        int announcementsBefore = pair.DriverEvents.Channels.Count;
        pair.Device.NotifyPeerReset("kick socket reconnected");
        Assert.AreEqual((byte)0, pair.Memory.Bytes[0x2c], "the stale DRIVER_OK is withdrawn");
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        pair.Device.Poll();
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State, "no attach without a fresh DRIVER_OK");
        pair.Settle();
        Assert.AreEqual(1, pair.Driver.Counters.PeerRestarts, "the agent re-initialised its rings");
        Assert.AreEqual(announcementsBefore + 1, pair.DriverEvents.Channels.Count);
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    public void Island_restart_while_the_agent_is_not_polling_keeps_the_island_waiting_without_blocking()
    {
        LinkPair pair = new();
        pair.NewDevice();
        pair.Device.Start();
        for (int i = 0; i < 3; i++)
        {
            Assert.AreEqual(0, pair.Device.Poll());
        }

        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        Assert.AreEqual(LinkSendStatus.NotReady, pair.DeviceEndpoint.TrySend(0x400, new byte[1], 0, 1));
        pair.Settle();
        AssertBothWaysFlow(pair);
    }

    [TestMethod]
    [Verifies("IslDsgn~link-restart-detection~1")]
    public void Late_store_of_the_old_session_landing_after_the_agent_reset_triggers_another_reset_instead_of_an_attach()
    {
        LinkPair pair = new();
        for (int i = 0; i < 21; i++)
        {
            pair.DriverEndpoint.TrySendToRemote(new byte[2], 0, 2);
        }

        pair.Device.Poll();
        ushort staleUsed = pair.Memory.ReadUInt16(LinkPair.Vring1Used + 2);
        pair.NewDriver();
        pair.Driver.Start();
        // The island's late store of its vring1 used idx lands after the new agent zeroed the rings.
        pair.Memory.WriteUInt16(LinkPair.Vring1Used + 2, staleUsed);
        pair.Device.Poll();
        Assert.AreEqual((byte)0x47, pair.Memory.Bytes[0x2c], "island asked for another reset");
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        Assert.IsTrue(pair.DeviceErrors.Errors.Exists(e => e.Code == LinkErrorCode.PeerRestart && e.Message.Contains("inconsistent at attach")));
        pair.Settle();
        Assert.AreEqual(0, pair.Device.Counters.Errors(LinkErrorCode.IndexJump));
        AssertBothWaysFlow(pair);
    }
}
