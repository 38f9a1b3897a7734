using Microsoft.VisualStudio.TestTools.UnitTesting;
using System.Collections.Generic;

namespace Stratos.Island.Link.Tests;

/// <summary>Counts kicks (the in-process doorbell: both links are polled by the test itself).</summary>
internal sealed class CountingDoorbell : IDoorbell
{
    public int Kicks;

    public void Kick() => Kicks++;
}

internal sealed class RecordingErrors : ILinkErrorSink
{
    public readonly List<(LinkErrorCode Code, string Message)> Errors = new();

    public void OnLinkError(LinkErrorCode code, string message) => Errors.Add((code, message));
}

internal sealed class RecordingSink : IRpmsgSink
{
    public readonly List<(uint Src, uint Dst, byte[] Payload)> Messages = new();

    public void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length)
    {
        byte[] copy = new byte[length];
        System.Array.Copy(buffer, offset, copy, 0, length);
        Messages.Add((source, destination, copy));
    }
}

internal sealed class RecordingEvents : ILinkEventSink
{
    public int Ups;
    public readonly List<string> Downs = new();
    public readonly List<(string Name, uint Address, bool Created)> Channels = new();

    public void OnLinkUp() => Ups++;

    public void OnLinkDown(string reason) => Downs.Add(reason);

    public void OnRemoteChannel(string name, uint address, bool created) => Channels.Add((name, address, created));
}

/// <summary>A device (island) and a driver (agent) over one in-memory window, both with a channel
/// named "stratos-link", polled by hand.</summary>
internal sealed class LinkPair
{
    public const string Channel = "stratos-link";

    public readonly LinkLayout Layout;
    public readonly ByteArraySharedMemory Memory;
    public RpmsgLink Device = null!;
    public RpmsgLink Driver = null!;
    public RpmsgEndpoint DeviceEndpoint = null!;
    public RpmsgEndpoint DriverEndpoint = null!;
    public RecordingSink DeviceSink = null!;
    public RecordingSink DriverSink = null!;
    public RecordingErrors DeviceErrors = null!;
    public RecordingErrors DriverErrors = null!;
    public RecordingEvents DeviceEvents = null!;
    public RecordingEvents DriverEvents = null!;
    public readonly CountingDoorbell DeviceDoorbell = new();
    public readonly CountingDoorbell DriverDoorbell = new();

    public LinkPair(LinkLayout? layout = null, bool start = true)
    {
        Layout = layout ?? LinkLayout.CreateOpenAmpLinuxReference();
        Memory = new ByteArraySharedMemory(Layout.SharedMemorySize);
        NewDevice();
        NewDriver();
        if (start)
        {
            Device.Start();
            Driver.Start();
            Settle();
        }
    }

    /// <summary>A fresh island instance (as after a reboot); the caller decides when to Start it.</summary>
    public void NewDevice()
    {
        DeviceSink = new RecordingSink();
        DeviceErrors = new RecordingErrors();
        DeviceEvents = new RecordingEvents();
        Device = new RpmsgLink(Layout, Memory, DeviceDoorbell, LinkRole.Device, 4, new LinkCounters(), DeviceErrors, DeviceEvents);
        DeviceEndpoint = Device.CreateEndpoint(Channel, RpmsgHeader.AddressAny, DeviceSink);
    }

    /// <summary>A fresh agent instance (as after a process restart).</summary>
    public void NewDriver()
    {
        DriverSink = new RecordingSink();
        DriverErrors = new RecordingErrors();
        DriverEvents = new RecordingEvents();
        Driver = new RpmsgLink(Layout, Memory, DriverDoorbell, LinkRole.Driver, 4, new LinkCounters(), DriverErrors, DriverEvents);
        DriverEndpoint = Driver.CreateEndpoint(Channel, RpmsgHeader.AddressAny, DriverSink);
    }

    /// <summary>Polls both sides a few times (handshake, announcements, replies).</summary>
    public void Settle()
    {
        for (int i = 0; i < 4; i++)
        {
            Device.Poll();
            Driver.Poll();
        }
    }

    public static byte[] Bytes(int count, int seed = 1)
    {
        byte[] payload = new byte[count];
        for (int i = 0; i < count; i++)
        {
            payload[i] = (byte)(seed + i * 7);
        }

        return payload;
    }

    // Offsets of the reference layout, written out so tests can corrupt exact fields.
    public const int Vring0Desc = 0x4000, Vring0Avail = 0x5000, Vring0Used = 0x6000;
    public const int Vring1Desc = 0x8000, Vring1Avail = 0x9000, Vring1Used = 0xA000;

    /// <summary>The driver sends a valid 8-byte message; returns (descriptor, avail slot, buffer
    /// offset) so a test can corrupt it before the island polls, as a misbehaving agent would.</summary>
    public (int Descriptor, int Slot, int Buffer) SendThenLocate()
    {
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(LinkSendStatus.Ok, DriverEndpoint.TrySendToRemote(Bytes(8), 0, 8));
        ushort idx = Memory.ReadUInt16(Vring1Avail + 2);
        int slot = (idx - 1) & 255;
        int descriptor = Memory.ReadUInt16(Vring1Avail + 4 + 2 * slot);
        int buffer = (int)Memory.ReadUInt64(Vring1Desc + 16 * descriptor);
        return (descriptor, slot, buffer);
    }

    public void SetDescriptor(int descriptor, ulong? address = null, uint? length = null, ushort? flags = null, ushort? next = null)
    {
        int at = Vring1Desc + 16 * descriptor;
        if (address.HasValue) Memory.WriteUInt64(at, address.Value);
        if (length.HasValue) Memory.WriteUInt32(at + 8, length.Value);
        if (flags.HasValue) Memory.WriteUInt16(at + 12, flags.Value);
        if (next.HasValue) Memory.WriteUInt16(at + 14, next.Value);
    }

    /// <summary>Asserts that a normal message still flows driver -> device after bad input.</summary>
    public void AssertTrafficFlows()
    {
        int before = DeviceSink.Messages.Count;
        byte[] payload = Bytes(33, 5);
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(LinkSendStatus.Ok, DriverEndpoint.TrySendToRemote(payload, 0, payload.Length));
        Device.Poll();
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(before + 1, DeviceSink.Messages.Count);
        CollectionAssert.AreEqual(payload, DeviceSink.Messages[^1].Payload);
    }
}
