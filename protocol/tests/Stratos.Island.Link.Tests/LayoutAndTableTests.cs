using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Link.Tests;

[TestClass]
public sealed class LayoutAndTableTests
{
    // FACTS.md: the first 0x58 bytes of the reference machine's file after DRIVER_OK.
    private static readonly string[] ReferenceDump =
    {
        "01000000 01000000 00000000 00000000",
        "14000000 03000000 07000000 00000000",
        "01000000 01000000 00000000 04020000",
        "00400000 00100000 00010000 01000000",
        "00000000 00800000 00100000 00010000",
        "02000000 00000000",
    };

    private static byte[] ParseDump()
    {
        string hex = string.Concat(ReferenceDump).Replace(" ", string.Empty);
        return System.Convert.FromHexString(hex);
    }

    // The one byte that differs: OpenAMP's driver writes DRIVER_OK alone (0x04); this driver follows
    // virtio 1.1 section 3.1.1 like Linux's virtio core, ACKNOWLEDGE|DRIVER|DRIVER_OK (0x07). Devices
    // (OpenAMP's included) test the DRIVER_OK bit only.
    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void First_0x58_bytes_after_DRIVER_OK_equal_the_OpenAMP_reference_dump_but_for_the_ACKNOWLEDGE_and_DRIVER_bits()
    {
        LinkPair pair = new();
        Assert.AreEqual(LinkState.Up, pair.Device.State);
        byte[] expected = ParseDump();
        Assert.AreEqual((byte)0x04, expected[0x2c]);
        expected[0x2c] = 0x07;
        Assert.AreEqual(0x58, expected.Length);
        byte[] actual = new byte[0x58];
        System.Array.Copy(pair.Memory.Bytes, 0, actual, 0, 0x58);
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void Device_table_before_DRIVER_OK_has_status_0_and_no_gfeatures()
    {
        LinkPair pair = new(start: false);
        pair.Device.Start();
        Assert.AreEqual(LinkState.WaitingForDriver, pair.Device.State);
        Assert.AreEqual((byte)0, pair.Memory.Bytes[0x2c]);
        Assert.AreEqual(0u, pair.Memory.ReadUInt32(0x24));
        Assert.AreEqual(1u, pair.Memory.ReadUInt32(0x20));
        Assert.AreEqual(LinkSendStatus.NotReady, pair.DeviceEndpoint.TrySend(0x400, new byte[4], 0, 4));
        Assert.AreEqual(1, pair.Device.Counters.TxNotReady);
    }

    [TestMethod]
    public void Driver_started_before_the_device_waits_for_its_table()
    {
        LinkPair pair = new(start: false);
        pair.Driver.Start();
        Assert.AreEqual(LinkState.WaitingForDevice, pair.Driver.State);
        Assert.AreEqual(0, pair.DriverErrors.Errors.Count, "an empty table is not an error");
        pair.Device.Start();
        pair.Settle();
        Assert.AreEqual(LinkState.Up, pair.Driver.State);
        Assert.AreEqual(LinkState.Up, pair.Device.State);
        Assert.AreEqual(pair.DeviceEndpoint.LocalAddress, pair.DriverEndpoint.RemoteAddress);
    }

    [TestMethod]
    public void Table_that_disagrees_with_the_driver_layout_is_reported()
    {
        LinkPair pair = new(start: false);
        pair.Device.Start();
        pair.Memory.WriteUInt32(0x38, 128); // vring0 num
        pair.Driver.Start();
        Assert.AreEqual(LinkState.WaitingForDevice, pair.Driver.State);
        Assert.AreEqual(1, pair.Driver.Counters.Errors(LinkErrorCode.BadResourceTable));
        StringAssert.Contains(pair.DriverErrors.Errors[0].Message, "vring0");
    }

    [TestMethod]
    public void Reference_layout_is_valid_and_places_the_used_rings_on_the_next_page()
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        Assert.IsNull(layout.Validate());
        Assert.AreEqual(0x5000, LinkLayout.AvailOffset(0x4000, 256));
        Assert.AreEqual(0x6000, LinkLayout.UsedOffset(0x4000, 256, 0x1000));
        Assert.AreEqual(0x30000, layout.TxBufferBase);
        Assert.AreEqual(496, layout.MaxPayload);
    }

    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void Layout_with_a_ring_size_that_is_not_a_power_of_two_is_rejected()
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        layout.VringNum = 200;
        StringAssert.Contains(layout.Validate(), "VringNum");
        Assert.ThrowsExactly<System.ArgumentException>(() => new RpmsgLink(layout, new ByteArraySharedMemory(0x80000), null, LinkRole.Device, 1, null, null, null));
    }

    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void Layout_with_a_vring_inside_the_buffer_pool_is_rejected()
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        layout.Vring1Address = 0x20000;
        StringAssert.Contains(layout.Validate(), "vring1 overlaps the buffer pool");
    }

    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void Layout_whose_pool_runs_past_the_window_is_rejected()
    {
        LinkLayout layout = LinkLayout.CreateOpenAmpLinuxReference();
        layout.SharedMemorySize = 0x40000;
        StringAssert.Contains(layout.Validate(), "buffer pool");
    }

    [TestMethod]
    public void A_smaller_board_layout_carries_messages_with_its_own_sizes()
    {
        LinkLayout small = new()
        {
            SharedMemorySize = 0x4000, ResourceTableOffset = 0, VringCount = 2, VringNum = 16, VringAlign = 16,
            Vring0Address = 0x100, Vring1Address = 0x400, BufferBase = 0x800, BufferCount = 32, BufferSize = 128,
        };
        Assert.IsNull(small.Validate());
        Assert.AreEqual(112, small.MaxPayload);
        LinkPair pair = new(small);
        Assert.AreEqual(LinkState.Up, pair.Device.State);
        byte[] payload = LinkPair.Bytes(112);
        Assert.AreEqual(LinkSendStatus.Ok, pair.DeviceEndpoint.TrySendToRemote(payload, 0, payload.Length));
        Assert.AreEqual(LinkSendStatus.TooLarge, pair.DeviceEndpoint.TrySendToRemote(new byte[113], 0, 113));
        pair.Driver.Poll();
        CollectionAssert.AreEqual(payload, pair.DriverSink.Messages[0].Payload);
    }
}
