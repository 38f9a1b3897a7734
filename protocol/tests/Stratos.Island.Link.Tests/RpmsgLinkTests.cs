using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Link.Tests;

[TestClass]
public sealed class RpmsgLinkTests
{
    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void Both_sides_announce_their_channel_and_learn_the_peer_address()
    {
        LinkPair pair = new();
        Assert.AreEqual(0x400u, pair.DeviceEndpoint.LocalAddress);
        Assert.AreEqual(0x400u, pair.DriverEndpoint.LocalAddress);
        Assert.AreEqual(0x400u, pair.DeviceEndpoint.RemoteAddress);
        Assert.AreEqual(0x400u, pair.DriverEndpoint.RemoteAddress);
        Assert.IsTrue(pair.Driver.NameServiceEnabled);
        Assert.AreEqual(1, pair.DriverEvents.Channels.Count);
        Assert.AreEqual((LinkPair.Channel, 0x400u, true), pair.DriverEvents.Channels[0]);
        Assert.AreEqual(1, pair.DeviceEvents.Channels.Count);
    }

    [TestMethod]
    public void Driver_message_reaches_the_device_with_addresses_and_payload()
    {
        LinkPair pair = new();
        byte[] payload = LinkPair.Bytes(16);
        Assert.AreEqual(LinkSendStatus.Ok, pair.DriverEndpoint.TrySendToRemote(payload, 0, 16));
        Assert.AreEqual(1, pair.Device.Poll());
        Assert.AreEqual(1, pair.DeviceSink.Messages.Count);
        Assert.AreEqual(0x400u, pair.DeviceSink.Messages[0].Src);
        Assert.AreEqual(0x400u, pair.DeviceSink.Messages[0].Dst);
        CollectionAssert.AreEqual(payload, pair.DeviceSink.Messages[0].Payload);
    }

    [TestMethod]
    public void Device_message_of_496_bytes_reaches_the_driver_and_its_buffer_is_reposted()
    {
        LinkPair pair = new();
        byte[] payload = LinkPair.Bytes(496, 3);
        ushort availBefore = pair.Memory.ReadUInt16(LinkPair.Vring0Avail + 2);
        Assert.AreEqual(LinkSendStatus.Ok, pair.DeviceEndpoint.TrySendToRemote(payload, 0, payload.Length));
        Assert.AreEqual(1, pair.Driver.Poll());
        CollectionAssert.AreEqual(payload, pair.DriverSink.Messages[0].Payload);
        Assert.AreEqual((ushort)(availBefore + 1), pair.Memory.ReadUInt16(LinkPair.Vring0Avail + 2));
    }

    [TestMethod]
    [Verifies("IslDsgn~envelope-fits-rpmsg~1")]
    public void Payload_over_496_bytes_is_refused_as_too_large()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkSendStatus.TooLarge, pair.DriverEndpoint.TrySendToRemote(new byte[497], 0, 497));
        Assert.AreEqual(LinkSendStatus.TooLarge, pair.DeviceEndpoint.TrySendToRemote(new byte[497], 0, 497));
        Assert.AreEqual(1, pair.Driver.Counters.TxTooLarge);
        Assert.AreEqual(1, pair.Device.Counters.TxTooLarge);
    }

    [TestMethod]
    public void Bad_send_arguments_return_a_status_instead_of_throwing()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkSendStatus.BadArgument, pair.DeviceEndpoint.TrySend(0x400, null!, 0, 1));
        Assert.AreEqual(LinkSendStatus.BadArgument, pair.DeviceEndpoint.TrySend(0x400, new byte[4], 3, 2));
        Assert.AreEqual(LinkSendStatus.NoDestination, pair.DeviceEndpoint.TrySend(RpmsgHeader.AddressAny, new byte[4], 0, 4));
    }

    [TestMethod]
    [Verifies("IslDsgn~sends-never-block~1")]
    public void Island_out_of_buffers_gets_NoTxBuffer_immediately_and_recovers_after_the_driver_polls()
    {
        LinkPair pair = new();
        byte[] payload = LinkPair.Bytes(8);
        int sent = 0;
        LinkSendStatus status;
        while ((status = pair.DeviceEndpoint.TrySendToRemote(payload, 0, 8)) == LinkSendStatus.Ok)
        {
            sent++;
        }

        Assert.AreEqual(LinkSendStatus.NoTxBuffer, status);
        Assert.AreEqual(256, sent, "every posted RX buffer (the announcement's was already re-posted)");
        Assert.AreEqual(1, pair.Device.Counters.TxNoBuffer);
        Assert.AreEqual(0, pair.Memory.ReadUInt16(LinkPair.Vring0Used), "device asked to be notified of re-posted buffers");
        int kicksBefore = pair.DriverDoorbell.Kicks;
        Assert.AreEqual(256, pair.Driver.Poll());
        Assert.AreEqual(kicksBefore + 1, pair.DriverDoorbell.Kicks, "driver kicks once for the batch of re-posted buffers");
        Assert.AreEqual(LinkSendStatus.Ok, pair.DeviceEndpoint.TrySendToRemote(payload, 0, 8));
        Assert.AreEqual(1, pair.Memory.ReadUInt16(LinkPair.Vring0Used), "no-notify restored once buffers came back");
    }

    [TestMethod]
    public void Agent_out_of_tx_buffers_gets_NoTxBuffer_and_reclaims_after_the_island_polls()
    {
        LinkPair pair = new();
        byte[] payload = LinkPair.Bytes(8);
        int sent = 0;
        while (pair.DriverEndpoint.TrySendToRemote(payload, 0, 8) == LinkSendStatus.Ok)
        {
            sent++;
        }

        Assert.AreEqual(256, sent, "every TX buffer (the announcement's was already returned)");
        Assert.AreEqual(1, pair.Driver.Counters.TxNoBuffer);
        Assert.AreEqual(256, pair.Device.Poll());
        Assert.AreEqual(LinkSendStatus.Ok, pair.DriverEndpoint.TrySendToRemote(payload, 0, 8));
    }

    [TestMethod]
    public void Kicks_are_suppressed_while_the_receiver_polls_and_resume_when_it_stops()
    {
        LinkPair pair = new();
        byte[] payload = LinkPair.Bytes(4);
        pair.Device.SetRxPolling(true);
        int kicks = pair.DriverDoorbell.Kicks;
        pair.DriverEndpoint.TrySendToRemote(payload, 0, 4);
        Assert.AreEqual(kicks, pair.DriverDoorbell.Kicks);
        Assert.AreEqual(1, pair.Driver.Counters.KicksSuppressed);
        pair.Device.SetRxPolling(false);
        pair.DriverEndpoint.TrySendToRemote(payload, 0, 4);
        Assert.AreEqual(kicks + 1, pair.DriverDoorbell.Kicks);
        Assert.AreEqual(2, pair.Device.Poll());
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Steady_state_round_trips_allocate_nothing()
    {
        LinkPair pair = new();
        NoCopySink deviceSink = new();
        NoCopySink driverSink = new();
        RpmsgEndpoint deviceEp = pair.Device.CreateEndpoint("bench", 0x500, deviceSink);
        RpmsgEndpoint driverEp = pair.Driver.CreateEndpoint("bench", 0x600, driverSink);
        pair.Settle();
        byte[] payload = LinkPair.Bytes(64);
        for (int i = 0; i < 600; i++)
        {
            RoundTrip(pair, driverEp, deviceEp, payload);
        }

        long before = System.GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            RoundTrip(pair, driverEp, deviceEp, payload);
        }

        long allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated);
        Assert.AreEqual(2600, deviceSink.Count);
        Assert.AreEqual(2600, driverSink.Count);
    }

    private static void RoundTrip(LinkPair pair, RpmsgEndpoint driverEp, RpmsgEndpoint deviceEp, byte[] payload)
    {
        driverEp.TrySend(0x500, payload, 0, payload.Length);
        pair.Device.Poll();
        deviceEp.TrySend(0x600, payload, 0, payload.Length);
        pair.Driver.Poll();
    }

    private sealed class NoCopySink : IRpmsgSink
    {
        public int Count;

        public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length) => Count++;
    }

    [TestMethod]
    public void Destroyed_endpoint_is_withdrawn_at_the_peer()
    {
        LinkPair pair = new();
        pair.Device.DestroyEndpoint(pair.DeviceEndpoint);
        pair.Driver.Poll();
        Assert.AreEqual(RpmsgHeader.AddressAny, pair.DriverEndpoint.RemoteAddress);
        Assert.AreEqual((LinkPair.Channel, 0x400u, false), pair.DriverEvents.Channels[^1]);
    }
}
