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
/// process inherits it too (QemuVm.SpawnLock; the agent starts no processes but QEMUs. A process a
/// test host starts meanwhile would hold a copy, which only keeps the socket open longer).
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

        return AboveStandardStreams(fd);
    }

    // An agent started with stdin, stdout or stderr closed gets such a number for its socket, and the
    // launch wrapper's redirections would then replace it: move the socket to 3 or above (dup gives
    // the lowest free number, so at most three steps), and close the low copies.
    private static int AboveStandardStreams(int fd)
    {
        Span<int> low = stackalloc int[3];
        int count = 0;
        while (fd < 3)
        {
            low[count++] = fd;
            fd = NativeDup(fd);
            if (fd < 0)
            {
                string reason = LastError();
                for (int i = 0; i < count; i++)
                    NativeClose(low[i]);
                throw new VmmException(VmmErrorKind.StartFailed, $"cannot move the serial listener above the standard streams: {reason}");
            }
        }

        for (int i = 0; i < count; i++)
            NativeClose(low[i]);
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

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int NativeDup(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);
}
