using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Link.Tests;

/// <summary>The A side is untrusted: each corruption is rejected, counted, reported with a message
/// naming the field; corrupt rings are reset through the status byte (counted as a ring reset on the
/// side that found them) and valid traffic flows again afterwards.</summary>
[TestClass]
public sealed class BadPeerInputTests
{
    private static void AssertRejected(LinkPair pair, RecordingErrors errors, RpmsgLink link, LinkErrorCode code, string fragment)
    {
        Assert.AreEqual(1, link.Counters.Errors(code), "counter for " + code);
        Assert.IsTrue(errors.Errors.Exists(e => e.Code == code && e.Message.Contains(fragment)),
            "expected a " + code + " report mentioning '" + fragment + "', got: " + string.Join(" | ", errors.Errors));
        bool corrupt = LinkCounters.IsCorruption(code);
        Assert.AreEqual(corrupt ? 1 : 0, link.Counters.RingResetsRequested, "ring resets requested after " + code);
        if (corrupt)
        {
            pair.Settle();
            Assert.AreEqual(LinkState.Up, pair.Driver.State, "driver after the ring reset");
            Assert.AreEqual(LinkState.Up, pair.Device.State, "device after the ring reset");
        }

        pair.AssertTrafficFlows();
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Avail_entry_naming_a_descriptor_beyond_num_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.Memory.WriteUInt16(LinkPair.Vring1Avail + 4 + 2 * sent.Slot, 300);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.DescriptorIndexOutOfRange, "descriptor 300");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Descriptor_chain_that_loops_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, flags: 1, next: 201);
        pair.SetDescriptor(201, flags: 1, next: (ushort)sent.Descriptor);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.DescriptorLoop, "loops");
    }

    [TestMethod]
    public void Descriptor_chain_to_an_index_beyond_num_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, flags: 1, next: 999);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.DescriptorIndexOutOfRange, "chains to 999");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Descriptor_length_beyond_the_buffer_size_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, length: 4096);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.LengthBeyondBuffer, "len 4096");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Descriptor_address_outside_the_shared_memory_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, address: 0xFFFF_FFFF_FFFF_FF00);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.OutsideSharedMemory, "outside the shared memory");
    }

    [TestMethod]
    public void Descriptor_pointing_at_the_vrings_instead_of_the_pool_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, address: LinkPair.Vring0Desc);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.OutsideSharedMemory, "outside the buffer pool");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~status-byte-handshake~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Avail_idx_jumping_by_more_than_num_is_rejected()
    {
        LinkPair pair = new();
        ushort idx = pair.Memory.ReadUInt16(LinkPair.Vring1Avail + 2);
        pair.Memory.WriteUInt16(LinkPair.Vring1Avail + 2, (ushort)(idx + 300));
        Assert.AreEqual(0, pair.Device.Poll());
        Assert.AreEqual((byte)0x47, pair.Memory.Bytes[0x2c], "island asks for a reset (DEVICE_NEEDS_RESET added to the driver's 0x07)");
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        pair.Settle();
        Assert.AreEqual(1, pair.Driver.Counters.RingResetsByPeer, "agent reset and renegotiated");
        Assert.AreEqual(0, pair.Driver.Counters.PeerRestarts, "a reset request is not a restart");
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.IndexJump, "vring1 avail idx jumped");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Rpmsg_header_len_over_496_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.Memory.WriteUInt16(sent.Buffer + 12, 497);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.HeaderLengthTooLarge, "len 497");
    }

    [TestMethod]
    public void Rpmsg_header_len_beyond_the_descriptor_len_is_rejected()
    {
        LinkPair pair = new();
        var sent = pair.SendThenLocate();
        pair.SetDescriptor(sent.Descriptor, length: 24);
        pair.Memory.WriteUInt16(sent.Buffer + 12, 100);
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.HeaderLengthBeyondDescriptor, "runs past the 24 bytes");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    public void Message_to_an_unknown_destination_is_rejected()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkSendStatus.Ok, pair.DriverEndpoint.TrySend(0x777, new byte[3], 0, 3));
        Assert.AreEqual(0, pair.Device.Poll());
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.UnknownDestination, "0x777");
    }

    [TestMethod]
    public void Name_service_message_of_the_wrong_length_is_rejected()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkSendStatus.Ok, pair.DriverEndpoint.TrySend(RpmsgHeader.NameServiceAddress, new byte[39], 0, 39));
        pair.Device.Poll();
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.BadNameService, "39 bytes, expected 40");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    public void Name_service_message_with_an_unterminated_name_is_rejected()
    {
        LinkPair pair = new();
        byte[] ns = new byte[40];
        for (int i = 0; i < 32; i++)
        {
            ns[i] = (byte)'a';
        }

        ns[33] = 0x04;
        Assert.AreEqual(LinkSendStatus.Ok, pair.DriverEndpoint.TrySend(RpmsgHeader.NameServiceAddress, ns, 0, 40));
        pair.Device.Poll();
        Assert.AreEqual(1, pair.DeviceEvents.Channels.Count, "only the valid announcement reached the event sink");
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.BadNameService, "not NUL-terminated");
    }

    [TestMethod]
    [Verifies("IslDsgn~link-bad-peer-input~1")]
    public void Name_service_message_with_unknown_flags_is_rejected()
    {
        LinkPair pair = new();
        byte[] ns = new byte[40];
        ns[0] = (byte)'x';
        ns[33] = 0x04;
        ns[36] = 9;
        pair.DriverEndpoint.TrySend(RpmsgHeader.NameServiceAddress, ns, 0, 40);
        pair.Device.Poll();
        AssertRejected(pair, pair.DeviceErrors, pair.Device, LinkErrorCode.BadNameService, "unknown flags 9");
    }

    [TestMethod]
    public void Used_entry_naming_a_buffer_the_driver_never_posted_is_rejected_by_the_driver()
    {
        LinkPair pair = new();
        ushort used = pair.Memory.ReadUInt16(LinkPair.Vring0Used + 2);
        pair.Memory.WriteUInt32(LinkPair.Vring0Used + 4 + 8 * (used & 255), 4000);
        pair.Memory.WriteUInt32(LinkPair.Vring0Used + 8 + 8 * (used & 255), 32);
        pair.Memory.WriteUInt16(LinkPair.Vring0Used + 2, (ushort)(used + 1));
        Assert.AreEqual(0, pair.Driver.Poll());
        Assert.AreEqual(1, pair.Driver.Counters.Errors(LinkErrorCode.DescriptorIndexOutOfRange));
        StringAssert.Contains(pair.DriverErrors.Errors[0].Message, "descriptor 4000");
        // The island sees its used idx changed behind its back and re-attaches; traffic then flows.
        pair.Settle();
        pair.AssertTrafficFlows();
    }

    [TestMethod]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Used_entry_returning_a_buffer_twice_is_rejected_by_the_driver()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkSendStatus.Ok, pair.DeviceEndpoint.TrySendToRemote(new byte[5], 0, 5));
        ushort used = pair.Memory.ReadUInt16(LinkPair.Vring0Used + 2);
        uint lastId = pair.Memory.ReadUInt32(LinkPair.Vring0Used + 4 + 8 * ((used - 1) & 255));
        pair.Memory.WriteUInt32(LinkPair.Vring0Used + 4 + 8 * (used & 255), lastId);
        pair.Memory.WriteUInt32(LinkPair.Vring0Used + 8 + 8 * (used & 255), 21);
        pair.Memory.WriteUInt16(LinkPair.Vring0Used + 2, (ushort)(used + 1));
        Assert.AreEqual(1, pair.Driver.Poll(), "the genuine message is delivered");
        Assert.AreEqual(1, pair.Driver.Counters.Errors(LinkErrorCode.DuplicateBuffer));
        StringAssert.Contains(pair.DriverErrors.Errors[0].Message, "was not posted");
    }
}
