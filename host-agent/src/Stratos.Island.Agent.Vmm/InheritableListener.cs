using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// A listening UNIX stream socket the agent makes for QEMU to inherit (`-chardev socket,fd=N`):
/// socket(2) without close-on-exec, bind(2), listen(2). On the C library's calls, not a .NET
/// Socket: a .NET Socket deletes the path it bound when it is closed, but the agent closes its copy
/// right after QEMU starts and the path must stay (QEMU owns the socket from then on, and a later
/// agent reconnects through it). Create it only while no other process is being started, or that
/// process inherits it too (QemuVm.SpawnLock).
/// </summary>
internal static partial class InheritableListener
{
    private const int AddressFamilyUnix = 1;
    private const int SocketStream = 1;
    private const int SunPathBytes = 108;

    /// <summary>Binds and listens on <paramref name="path"/> (backlog 1); the descriptor, inheritable.</summary>
    public static unsafe int Listen(string path)
    {
        byte[] pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= SunPathBytes)
            throw new VmmException(VmmErrorKind.StartFailed, $"socket path '{path}' is longer than {SunPathBytes - 1} bytes");
        int fd = NativeSocket(AddressFamilyUnix, SocketStream, 0);
        if (fd < 0)
            throw new VmmException(VmmErrorKind.StartFailed, $"cannot make a socket for '{path}': {LastError()}");
        // struct sockaddr_un: sa_family_t (2 bytes) then the NUL-terminated path.
        byte* address = stackalloc byte[2 + SunPathBytes];
        new Span<byte>(address, 2 + SunPathBytes).Clear();
        address[0] = AddressFamilyUnix;
        pathBytes.AsSpan().CopyTo(new Span<byte>(address + 2, SunPathBytes));
        if (NativeBind(fd, address, (uint)(2 + pathBytes.Length + 1)) < 0 || NativeListen(fd, 1) < 0)
        {
            string reason = LastError();
            NativeClose(fd);
            throw new VmmException(VmmErrorKind.StartFailed, $"cannot listen on '{path}': {reason}");
        }

        return fd;
    }

    /// <summary>Closes the agent's copy; the path stays.</summary>
    public static void Close(int fd) => NativeClose(fd);

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int NativeSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static unsafe partial int NativeBind(int fd, byte* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int NativeListen(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);
}
