// Finding (or creating) the agent's rpmsg char endpoint on a board, the way the Linux rpmsg
// subsystem exposes it in sysfs (drivers/rpmsg/rpmsg_core.c, rpmsg_char.c, rpmsg_ctrl.c):
//
//   /sys/class/rpmsg/rpmsg_ctrlN/device        -> .../virtioX.rpmsg_ctrl.0.0   (which rpmsg bus N is on)
//   /sys/bus/rpmsg/devices/virtioX.NAME.SRC.DST  one per channel the island announced through the
//                                                name service; files name, src, dst ("0x%x")
//   /sys/class/rpmsg/rpmsgM                    one per endpoint device; files name, src, dst ("%d")
//   /dev/rpmsgM                                its character device (made by devtmpfs/udev)
//
// Locate(control, channel):
//   1. the island's announcement of `channel` on the control device's bus gives its address (dst);
//   2. an endpoint device already bound to (channel, dst) is reused: one left by an earlier agent
//      (endpoint devices outlive the process that created them) or the one the kernel makes by
//      itself when the island announces "rpmsg-raw";
//   3. otherwise RPMSG_CREATE_EPT_IOCTL {channel, src ANY, dst} on the control device, then wait
//      (bounded) for the new rpmsgM and its /dev node.
// Every failure is an IOException that names the file and what to check; the link thread logs it and
// retries (the island may simply not have announced the channel yet).
using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace Stratos.Island.Link.Linux;

/// <summary>Where sysfs and /dev are; tests point these at a folder tree shaped like a board's.</summary>
public sealed class RpmsgSysfsPaths
{
    public string ClassDirectory { get; init; } = "/sys/class/rpmsg";
    public string BusDevicesDirectory { get; init; } = "/sys/bus/rpmsg/devices";
    public string DeviceDirectory { get; init; } = "/dev";
}

/// <summary>Issues RPMSG_CREATE_EPT_IOCTL on a control device (the production one is <see cref="RpmsgEndpointLocator.CreateThroughControlDevice"/>).</summary>
/// <returns>null on success, else why it failed.</returns>
public delegate string? RpmsgEndpointCreator(string controlDevicePath, string name, uint source, uint destination);

/// <summary>The endpoint device the agent should open.</summary>
public sealed record RpmsgEndpointLocation(string DevicePath, string Channel, uint IslandAddress, bool Created)
{
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"rpmsg char {DevicePath} (channel '{Channel}' to island address 0x{IslandAddress:x}{(Created ? ", created now" : ", reused")})");
}

public sealed class RpmsgEndpointLocator
{
    /// <summary>RPMSG_ADDR_ANY: let the kernel pick our local address.</summary>
    public const uint AddressAny = 0xFFFFFFFF;

    private readonly RpmsgSysfsPaths _paths;
    private readonly RpmsgEndpointCreator _create;
    private readonly TimeSpan _appearTimeout;

    public RpmsgEndpointLocator(RpmsgSysfsPaths? paths = null, RpmsgEndpointCreator? create = null, TimeSpan? appearTimeout = null)
    {
        _paths = paths ?? new RpmsgSysfsPaths();
        _create = create ?? CreateThroughControlDevice;
        _appearTimeout = appearTimeout ?? TimeSpan.FromSeconds(2);
    }

    /// <summary>The real ioctl on /dev/rpmsg_ctrlN.</summary>
    public static string? CreateThroughControlDevice(string controlDevicePath, string name, uint source, uint destination)
    {
        using RpmsgCharControl control = RpmsgCharControl.Open(controlDevicePath);
        RpmsgCharResult result = control.CreateEndpoint(name, source, destination);
        return result == RpmsgCharResult.Ok
            ? null
            : $"RPMSG_CREATE_EPT_IOCTL on {controlDevicePath} failed: {result} (errno {control.LastErrno}{(control.LastErrno == 25 ? ", not an rpmsg control device" : string.Empty)})";
    }

    public RpmsgEndpointLocation Locate(string controlDevice, string channel)
    {
        string controlName = Path.GetFileName(controlDevice);
        string controlSysfs = Path.Combine(_paths.ClassDirectory, controlName);
        if (!Directory.Exists(controlSysfs))
        {
            throw new IOException($"rpmsg control device '{controlDevice}' is not in {_paths.ClassDirectory} "
                + "(is the island's remoteproc running and the kernel built with CONFIG_RPMSG_CTRL / CONFIG_RPMSG_CHAR?)");
        }

        string? bus = BusOf(controlSysfs);
        uint islandAddress = FindAnnouncement(channel, bus)
            ?? throw new IOException($"the island has not announced rpmsg channel '{channel}' on {bus ?? "any virtio bus"} yet "
                + $"(no {Path.Combine(_paths.BusDevicesDirectory, (bus ?? "virtio*.") + channel + ".*")})");

        string? existing = FindEndpointDevice(channel, islandAddress);
        if (existing is not null)
        {
            return new RpmsgEndpointLocation(existing, channel, islandAddress, Created: false);
        }

        string? failure = _create(controlDevice, channel, AddressAny, islandAddress);
        if (failure is not null)
        {
            throw new IOException(failure);
        }

        DateTime deadline = DateTime.UtcNow + _appearTimeout;
        while (true)
        {
            string? created = FindEndpointDevice(channel, islandAddress);
            if (created is not null)
            {
                return new RpmsgEndpointLocation(created, channel, islandAddress, Created: true);
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new IOException($"created an rpmsg endpoint for '{channel}' through {controlDevice}, but no {_paths.ClassDirectory}/rpmsgN "
                    + $"with its /dev node appeared within {_appearTimeout.TotalMilliseconds:0} ms (check udev/devtmpfs)");
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>"virtio0." for a control device under virtio0, or null when sysfs does not say.</summary>
    private static string? BusOf(string controlSysfs)
    {
        try
        {
            string? link = new DirectoryInfo(Path.Combine(controlSysfs, "device")).LinkTarget;
            string? parent = link is null ? null : Path.GetFileName(link.TrimEnd('/'));
            int dot = parent?.IndexOf('.', StringComparison.Ordinal) ?? -1;
            return dot > 0 ? parent![..(dot + 1)] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private uint? FindAnnouncement(string channel, string? bus)
    {
        if (!Directory.Exists(_paths.BusDevicesDirectory))
        {
            return null;
        }

        foreach (string device in Directory.GetDirectories(_paths.BusDevicesDirectory))
        {
            string name = Path.GetFileName(device);
            if (bus is not null && !name.StartsWith(bus, StringComparison.Ordinal))
            {
                continue;
            }

            if (ReadAttribute(device, "name") == channel && ParseAddress(ReadAttribute(device, "dst")) is uint dst && dst != AddressAny)
            {
                return dst;
            }
        }

        return null;
    }

    private string? FindEndpointDevice(string channel, uint islandAddress)
    {
        if (!Directory.Exists(_paths.ClassDirectory))
        {
            return null;
        }

        foreach (string entry in Directory.GetFileSystemEntries(_paths.ClassDirectory, "rpmsg*"))
        {
            string name = Path.GetFileName(entry);
            if (name.Length <= 5 || !IsDigits(name.AsSpan(5)))
            {
                continue; // rpmsg_ctrlN and anything else that is not an endpoint device
            }

            if (ReadAttribute(entry, "name") == channel && ParseAddress(ReadAttribute(entry, "dst")) == islandAddress)
            {
                string node = Path.Combine(_paths.DeviceDirectory, name);
                if (File.Exists(node))   // true for a character device too
                {
                    return node;
                }
            }
        }

        return null;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string? ReadAttribute(string device, string attribute)
    {
        try
        {
            return File.ReadAllText(Path.Combine(device, attribute)).TrimEnd('\n', '\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>rpmsg_core prints addresses as "0x%x", rpmsg_char as "%d" (RPMSG_ADDR_ANY shows as -1).</summary>
    public static uint? ParseAddress(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex) ? hex : null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? unchecked((uint)value) : null;
    }
}
