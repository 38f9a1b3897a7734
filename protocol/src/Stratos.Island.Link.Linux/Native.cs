using System.Runtime.InteropServices;

namespace Stratos.Island.Link.Linux;

/// <summary>The few libc calls the Linux transports need (x86_64 and aarch64 share these layouts).</summary>
internal static unsafe partial class Native
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EPIPE = 32;
    public const int ENETRESET = 102;
    public const int ENODEV = 19;
    public const int ENXIO = 6;
    public const int ENOENT = 2;

    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_CREAT = 0x40;

    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    // open(2) with a mode (used with O_CREAT). open is variadic in C; on x86_64 and aarch64 Linux a
    // third int argument is passed exactly like a fixed one.
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchmod(int fd, int mode);

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    // fcntl(2) with an int argument (variadic in C; passed like a fixed int on x86_64 and aarch64, as open's mode).
    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(int fd, int owner, int group);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x1;
    public static readonly nint MAP_FAILED = -1;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argument);

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    // struct stat: st_dev (8 bytes) then st_ino (8 bytes) on both x86_64 and the generic (arm64) ABI.
    [LibraryImport("libc", SetLastError = true)]
    public static partial int fstat(int fd, byte* statBuffer);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int stat(string path, byte* statBuffer);

    public const int StatBufferSize = 256;
    public const int StatInodeOffset = 8;
    // st_mode follows st_nlink (8 bytes) on x86_64, st_ino directly on the generic ABI; st_size is at
    // 48 on both.
    public static readonly int StatModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
    public const int StatSizeOffset = 48;
    public const uint S_IFMT = 0xF000;
    public const uint S_IFREG = 0x8000;
}

internal static unsafe partial class Termios
{
    // struct termios is treated as opaque (its size differs between C libraries); 256 bytes is larger
    // than every Linux layout. cfmakeraw sets the classic raw mode: no echo, no canonical line
    // editing, no signal characters, no CR/LF translation, 8 data bits.
    public const int OpaqueSize = 256;
    public const int TCSANOW = 0;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc")]
    public static partial void cfmakeraw(byte* termios);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int cfsetspeed(byte* termios, uint speed);

    /// <summary>Linux speed_t codes (asm-generic/termbits.h).</summary>
    public static uint SpeedCode(int baud) => baud switch
    {
        9600 => 0xD,
        19200 => 0xE,
        38400 => 0xF,
        57600 => 0x1001,
        115200 => 0x1002,
        230400 => 0x1003,
        460800 => 0x1004,
        921600 => 0x1007,
        _ => throw new System.ArgumentOutOfRangeException(nameof(baud), "unsupported baud rate " + baud),
    };
}
