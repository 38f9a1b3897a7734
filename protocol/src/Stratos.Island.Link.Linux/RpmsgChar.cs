// Linux rpmsg char interface (drivers/rpmsg/rpmsg_char.c, rpmsg_ctrl.c, include/uapi/linux/rpmsg.h),
// how the agent talks to a real island on boards where the kernel owns the vrings.
//
//   /dev/rpmsg_ctrlN  ioctl CREATE_EPT  = _IOW(0xb5, 1, struct rpmsg_endpoint_info)  -> a /dev/rpmsgM appears
//                     ioctl CREATE_DEV  = _IOW(0xb5, 3, ...), RELEASE_DEV = _IOW(0xb5, 4, ...)
//   /dev/rpmsgM       one message per read()/write(); DESTROY_EPT = _IO(0xb5, 2) on this fd
//   struct rpmsg_endpoint_info { char name[32]; __u32 src; __u32 dst; }  (40 bytes)
//
// Errors (FACTS.md "Linux interfaces on real boards"): EPIPE once the endpoint is gone, ENETRESET on
// open when the device went away (remote restarted), EAGAIN with O_NONBLOCK when TX is full. A remote
// announcing "rpmsg-raw" gets a /dev/rpmsgM created by the kernel without any ioctl.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratos.Island.Link.Linux;

/// <summary>ioctl request numbers, computed the way asm-generic/ioctl.h does.</summary>
public static class RpmsgIoctl
{
    public const uint Magic = 0xb5;
    private const int NrShift = 0, TypeShift = 8, SizeShift = 16, DirShift = 30;
    private const uint DirNone = 0, DirWrite = 1, DirRead = 2;

    public static uint Ioc(uint direction, uint type, uint nr, uint size) =>
        (direction << DirShift) | (size << SizeShift) | (type << TypeShift) | (nr << NrShift);

    public static uint Io(uint type, uint nr) => Ioc(DirNone, type, nr, 0);

    public static uint Iow(uint type, uint nr, uint size) => Ioc(DirWrite, type, nr, size);

    public static uint Ior(uint type, uint nr, uint size) => Ioc(DirRead, type, nr, size);

    public static readonly uint CreateEndpoint = Iow(Magic, 1, (uint)RpmsgEndpointInfo.Size);
    public static readonly uint DestroyEndpoint = Io(Magic, 2);
    public static readonly uint CreateDevice = Iow(Magic, 3, (uint)RpmsgEndpointInfo.Size);
    public static readonly uint ReleaseDevice = Iow(Magic, 4, (uint)RpmsgEndpointInfo.Size);
}

[StructLayout(LayoutKind.Sequential, Pack = 4)]
public unsafe struct RpmsgEndpointInfo
{
    public const int NameSize = 32;
    public static readonly int Size = sizeof(RpmsgEndpointInfo);

    public fixed byte Name[NameSize];
    public uint Source;
    public uint Destination;

    public static RpmsgEndpointInfo Create(string name, uint source, uint destination)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length == 0 || bytes.Length > NameSize - 1)
        {
            throw new ArgumentException("rpmsg channel name must be 1..31 UTF-8 bytes, got '" + name + "'", nameof(name));
        }

        RpmsgEndpointInfo info = new() { Source = source, Destination = destination };
        for (int i = 0; i < bytes.Length; i++)
        {
            info.Name[i] = bytes[i];
        }

        return info;
    }
}

public enum RpmsgCharResult
{
    Ok = 0,
    /// <summary>EAGAIN: no TX buffer (non-blocking write) or nothing to read.</summary>
    WouldBlock = 1,
    /// <summary>EPIPE: the endpoint was destroyed (remote withdrew the channel).</summary>
    EndpointGone = 2,
    /// <summary>ENETRESET (or ENODEV/ENXIO): the rpmsg device went away; reopen once it is back.</summary>
    DeviceGone = 3,
    Timeout = 4,
    TooLarge = 5,
    IoError = 6,
}

/// <summary>The control device: creates endpoints (/dev/rpmsgM) and local rpmsg devices.</summary>
public sealed unsafe class RpmsgCharControl : IDisposable
{
    private int _fd;

    private RpmsgCharControl(int fd) => _fd = fd;

    /// <summary>errno of the last failed ioctl.</summary>
    public int LastErrno { get; private set; }

    public static RpmsgCharControl Open(string path)
    {
        int fd = Native.open(path, Native.O_RDWR | Native.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException("cannot open rpmsg control device '" + path + "': errno " + Marshal.GetLastPInvokeError());
        }

        return new RpmsgCharControl(fd);
    }

    public RpmsgCharResult CreateEndpoint(string name, uint source, uint destination) => Ioctl(RpmsgIoctl.CreateEndpoint, RpmsgEndpointInfo.Create(name, source, destination));

    public RpmsgCharResult CreateDevice(string name, uint source, uint destination) => Ioctl(RpmsgIoctl.CreateDevice, RpmsgEndpointInfo.Create(name, source, destination));

    public RpmsgCharResult ReleaseDevice(string name, uint source, uint destination) => Ioctl(RpmsgIoctl.ReleaseDevice, RpmsgEndpointInfo.Create(name, source, destination));

    private RpmsgCharResult Ioctl(uint request, RpmsgEndpointInfo info)
    {
        if (Native.ioctl(_fd, request, &info) == 0)
        {
            return RpmsgCharResult.Ok;
        }

        LastErrno = Marshal.GetLastPInvokeError();
        return RpmsgCharEndpoint.MapErrno(LastErrno);
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Native.close(_fd);
            _fd = -1;
        }
    }
}

/// <summary>One /dev/rpmsgM endpoint: a message per read/write, never blocking when opened non-blocking.</summary>
public sealed unsafe class RpmsgCharEndpoint : IDisposable
{
    private int _fd;

    private RpmsgCharEndpoint(int fd) => _fd = fd;

    /// <summary>errno of the last failed call.</summary>
    public int LastErrno { get; private set; }

    public static RpmsgCharResult TryOpen(string path, bool nonBlocking, out RpmsgCharEndpoint? endpoint)
    {
        int fd = Native.open(path, Native.O_RDWR | Native.O_CLOEXEC | (nonBlocking ? Native.O_NONBLOCK : 0));
        if (fd < 0)
        {
            endpoint = null;
            return MapErrno(Marshal.GetLastPInvokeError());
        }

        endpoint = new RpmsgCharEndpoint(fd);
        return RpmsgCharResult.Ok;
    }

    /// <summary>Wraps an already open descriptor (tests use one end of a SOCK_SEQPACKET socketpair,
    /// which has the same one-message-per-call semantics).</summary>
    public static RpmsgCharEndpoint FromFileDescriptor(int fd) => new(fd);

    /// <summary>The errno -> result mapping, in one place.</summary>
    public static RpmsgCharResult MapErrno(int errno) => errno switch
    {
        Native.EAGAIN => RpmsgCharResult.WouldBlock,
        Native.EPIPE => RpmsgCharResult.EndpointGone,
        Native.ENETRESET or Native.ENODEV or Native.ENXIO => RpmsgCharResult.DeviceGone,
        _ => RpmsgCharResult.IoError,
    };

    /// <summary>Writes one message (at most 496 bytes, rpmsg's payload limit).</summary>
    public RpmsgCharResult TrySend(byte[] payload, int offset, int count)
    {
        if (count > RpmsgHeader.MaxPayload)
        {
            return RpmsgCharResult.TooLarge;
        }

        fixed (byte* p = payload)
        {
            while (true)
            {
                nint n = Native.write(_fd, p + offset, (nuint)count);
                if (n >= 0)
                {
                    return RpmsgCharResult.Ok;
                }

                LastErrno = Marshal.GetLastPInvokeError();
                if (LastErrno != Native.EINTR)
                {
                    return MapErrno(LastErrno);
                }
            }
        }
    }

    /// <summary>Reads one message into buffer (bytes beyond buffer's length are dropped by the
    /// kernel); waits up to timeoutMs (0 = just look).</summary>
    public RpmsgCharResult TryReceive(byte[] buffer, int timeoutMs, out int length)
    {
        length = 0;
        Native.PollFd pfd = new() { Fd = _fd, Events = Native.POLLIN };
        int ready = Native.poll(&pfd, 1, timeoutMs);
        if (ready == 0)
        {
            return RpmsgCharResult.Timeout;
        }

        fixed (byte* p = buffer)
        {
            nint n = Native.read(_fd, p, (nuint)buffer.Length);
            if (n < 0)
            {
                LastErrno = Marshal.GetLastPInvokeError();
                return MapErrno(LastErrno);
            }

            if (n == 0 && (pfd.Revents & Native.POLLHUP) != 0)
            {
                return RpmsgCharResult.EndpointGone;
            }

            length = (int)n;
            return RpmsgCharResult.Ok;
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            Native.close(_fd);
            _fd = -1;
        }
    }
}
