using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

/// <summary>
/// Endpoint discovery against a folder tree shaped like a board's sysfs and /dev (the one thing
/// that cannot exist here). The creator stands in for the kernel's side of RPMSG_CREATE_EPT_IOCTL:
/// it adds the endpoint device the way rpmsg_char does.
/// </summary>
[TestClass]
public sealed class RpmsgEndpointLocatorTests
{
    private string _root = string.Empty;
    private RpmsgSysfsPaths _paths = new();
    private readonly List<string> _creates = new();

    [TestInitialize]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "rpmsg-sysfs-" + Guid.NewGuid().ToString("N")[..8]);
        _paths = new RpmsgSysfsPaths
        {
            ClassDirectory = Path.Combine(_root, "sys/class/rpmsg"),
            BusDevicesDirectory = Path.Combine(_root, "sys/bus/rpmsg/devices"),
            DeviceDirectory = Path.Combine(_root, "dev"),
        };
        Directory.CreateDirectory(_paths.ClassDirectory);
        Directory.CreateDirectory(_paths.BusDevicesDirectory);
        Directory.CreateDirectory(_paths.DeviceDirectory);
        AddControl("rpmsg_ctrl0", "virtio0");
        AddControl("rpmsg_ctrl1", "virtio1");
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    private void AddControl(string name, string bus)
    {
        string parent = Path.Combine(_root, "sys/devices/remoteproc", bus + ".rpmsg_ctrl.0.0");
        Directory.CreateDirectory(parent);
        string dir = Path.Combine(_paths.ClassDirectory, name);
        Directory.CreateDirectory(dir);
        Directory.CreateSymbolicLink(Path.Combine(dir, "device"), parent);
        File.WriteAllText(Path.Combine(_paths.DeviceDirectory, name), string.Empty);
    }

    private void Announce(string bus, string channel, uint address)
    {
        string dir = Path.Combine(_paths.BusDevicesDirectory, $"{bus}.{channel}.-1.{address}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), channel + "\n");
        File.WriteAllText(Path.Combine(dir, "src"), "0xffffffff\n");
        File.WriteAllText(Path.Combine(dir, "dst"), $"0x{address:x}\n");
    }

    private void AddEndpointDevice(int index, string channel, int source, uint destination)
    {
        string dir = Path.Combine(_paths.ClassDirectory, "rpmsg" + index);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), channel + "\n");
        File.WriteAllText(Path.Combine(dir, "src"), source + "\n");
        File.WriteAllText(Path.Combine(dir, "dst"), unchecked((int)destination) + "\n");
        File.WriteAllText(Path.Combine(_paths.DeviceDirectory, "rpmsg" + index), string.Empty);
    }

    /// <summary>What the kernel does on CREATE_EPT: a new rpmsgN bound to (name, dst).</summary>
    private string? KernelCreates(string control, string name, uint source, uint destination)
    {
        _creates.Add($"{Path.GetFileName(control)} {name} {source:x} {destination:x}");
        AddEndpointDevice(7, name, 1025, destination);
        return null;
    }

    private RpmsgEndpointLocator Locator(RpmsgEndpointCreator? creator = null, int appearMs = 500) =>
        new(_paths, creator ?? KernelCreates, TimeSpan.FromMilliseconds(appearMs));

    private string Control(int n) => Path.Combine(_paths.DeviceDirectory, "rpmsg_ctrl" + n);

    [TestMethod]
    public void An_announced_channel_gets_an_endpoint_created_through_the_control_device()
    {
        Announce("virtio0", "stratos-island", 0x400);

        RpmsgEndpointLocation location = Locator().Locate(Control(0), "stratos-island");

        CollectionAssert.AreEqual(new[] { "rpmsg_ctrl0 stratos-island ffffffff 400" }, _creates);
        Assert.AreEqual(Path.Combine(_paths.DeviceDirectory, "rpmsg7"), location.DevicePath);
        Assert.AreEqual(0x400u, location.IslandAddress);
        Assert.IsTrue(location.Created);
        StringAssert.Contains(location.Description, "channel 'stratos-island' to island address 0x400, created now");
    }

    [TestMethod]
    public void An_endpoint_left_by_an_earlier_agent_is_reused_and_none_is_created()
    {
        Announce("virtio0", "stratos-island", 0x401);
        AddEndpointDevice(2, "stratos-island", 1024, 0x401);
        AddEndpointDevice(3, "stratos-island", 1025, 0x999);   // same name, another island address

        RpmsgEndpointLocation location = Locator().Locate(Control(0), "stratos-island");

        Assert.AreEqual(0, _creates.Count);
        Assert.AreEqual(Path.Combine(_paths.DeviceDirectory, "rpmsg2"), location.DevicePath);
        Assert.IsFalse(location.Created);
    }

    [TestMethod]
    public void An_island_announcing_rpmsg_raw_uses_the_device_the_kernel_made_itself()
    {
        Announce("virtio0", "rpmsg-raw", 0x400);
        AddEndpointDevice(0, "rpmsg-raw", -1, 0x400);

        RpmsgEndpointLocation location = Locator().Locate(Control(0), "rpmsg-raw");

        Assert.AreEqual(0, _creates.Count);
        Assert.AreEqual(Path.Combine(_paths.DeviceDirectory, "rpmsg0"), location.DevicePath);
    }

    [TestMethod]
    public void A_channel_announced_only_on_another_bus_is_not_used()
    {
        Announce("virtio1", "stratos-island", 0x400);

        IOException e = Assert.ThrowsExactly<IOException>(() => Locator().Locate(Control(0), "stratos-island"));

        StringAssert.Contains(e.Message, "has not announced rpmsg channel 'stratos-island' on virtio0.");
        Assert.AreEqual(0, _creates.Count);
        Assert.AreEqual(0x400u, Locator().Locate(Control(1), "stratos-island").IslandAddress);
    }

    [TestMethod]
    public void A_control_device_missing_from_sysfs_is_named_with_what_to_check()
    {
        IOException e = Assert.ThrowsExactly<IOException>(() => Locator().Locate("/dev/rpmsg_ctrl5", "stratos-island"));

        StringAssert.Contains(e.Message, "'/dev/rpmsg_ctrl5' is not in");
        StringAssert.Contains(e.Message, "CONFIG_RPMSG_CTRL");
    }

    [TestMethod]
    public void A_failed_create_reports_the_creators_reason()
    {
        Announce("virtio0", "stratos-island", 0x400);

        IOException e = Assert.ThrowsExactly<IOException>(() =>
            Locator((_, _, _, _) => "RPMSG_CREATE_EPT_IOCTL on /dev/rpmsg_ctrl0 failed: IoError (errno 1)").Locate(Control(0), "stratos-island"));

        StringAssert.Contains(e.Message, "errno 1");
    }

    [TestMethod]
    public void An_endpoint_that_never_appears_times_out_with_a_hint()
    {
        Announce("virtio0", "stratos-island", 0x400);

        IOException e = Assert.ThrowsExactly<IOException>(() => Locator((_, _, _, _) => null, appearMs: 50).Locate(Control(0), "stratos-island"));

        StringAssert.Contains(e.Message, "appeared within 50 ms");
    }

    [TestMethod]
    public void The_real_ioctl_on_something_that_is_not_a_control_device_says_so()
    {
        string notADevice = Path.Combine(_root, "plain-file");
        File.WriteAllText(notADevice, "x");

        string? failure = RpmsgEndpointLocator.CreateThroughControlDevice(notADevice, "stratos-island", RpmsgEndpointLocator.AddressAny, 0x400);

        Assert.IsNotNull(failure);
        StringAssert.Contains(failure, "not an rpmsg control device");
        Assert.ThrowsExactly<IOException>(() => RpmsgEndpointLocator.CreateThroughControlDevice(Path.Combine(_root, "missing"), "x", 0, 0));
    }

    [TestMethod]
    public void Addresses_parse_in_both_kernel_formats()
    {
        Assert.AreEqual(0x400u, RpmsgEndpointLocator.ParseAddress("0x400"));
        Assert.AreEqual(1024u, RpmsgEndpointLocator.ParseAddress("1024"));
        Assert.AreEqual(0xFFFFFFFFu, RpmsgEndpointLocator.ParseAddress("-1"));
        Assert.IsNull(RpmsgEndpointLocator.ParseAddress("zz"));
        Assert.IsNull(RpmsgEndpointLocator.ParseAddress(string.Empty));
    }
}
