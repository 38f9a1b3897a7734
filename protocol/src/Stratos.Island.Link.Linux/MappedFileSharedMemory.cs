// ISharedMemory over a memory-mapped file (normally under /dev/shm), the virtual board's "RAM shared
// between the A cluster and the island". Values are little-endian (checked at construction).
//
// Ordering: every field access is a volatile access (acquire load / release store in the .NET memory
// model: a plain MOV on x86-64, LDAR/STLR on arm64). A release store orders every earlier access
// (including the WriteBytes/Clear copies) before it, and an acquire load orders every later access
// after it, so the idx-publishing patterns of virtio need no separate fence: ReleaseBarrier and
// AcquireBarrier are therefore empty here. FullBarrier is a real fence (Interlocked.MemoryBarrier):
// the store-then-load of notification suppression is the one place that needs it.
//
// Interop with libmetal (OpenAMP's Linux "generic" machine): metal_map() takes flock(LOCK_EX) on the
// file and waits without limit, and maps it once for the life of its process. So this class holds NO
// lock of any kind: the file is opened with open(2) and mapped with mmap(2) directly (a .NET FileStream
// or MemoryMappedFile.CreateFromFile would take flock(LOCK_SH) and block such a peer forever), and the
// island keeps ONE file (one inode) for its whole life: Create opens the existing file in place (or
// creates it) and never renames or deletes it, so a peer that mapped it once still sees every later
// boot of the island. A file of the wrong size is grown to the layout's size (ftruncate); a larger one
// is kept as it is.
//
// FileWasReplaced / Remap stay for a path that was replaced by someone else (an older island-sim, an
// operator): the agent notices the inode change and maps the new file under the same object.
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public sealed unsafe class MappedFileSharedMemory : ISharedMemory, IDisposable
{
    private const int FileMode0600 = 0x180;
    private const int FileMode0660 = 0x1B0;
    private readonly int? _groupId;
    private byte* _base;
    private ulong _inode;

    private MappedFileSharedMemory(string path, int size, int? groupId = null)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the shared-memory link is little-endian; this host is not");
        }

        Path = path;
        Size = size;
        _groupId = groupId;
    }

    /// <summary>Island side: opens the file at path in place (creating it when missing, growing it to
    /// size bytes when smaller) and maps it. The inode never changes across island restarts. The file
    /// is 0600, or 0660 owned by <paramref name="groupId"/> when given (an agent of that group may map it).</summary>
    public static MappedFileSharedMemory Create(string path, int size, int? groupId = null)
    {
        var memory = new MappedFileSharedMemory(path, size, groupId);
        memory.Map(create: true);
        return memory;
    }

    /// <summary>Agent side: opens an existing file; it must be at least size bytes.</summary>
    public static MappedFileSharedMemory Open(string path, int size)
    {
        var memory = new MappedFileSharedMemory(path, size);
        memory.Map(create: false);
        return memory;
    }

    public string Path { get; }

    public int Size { get; }

    /// <summary>The inode of the mapped file (the same across island restarts).</summary>
    public ulong Inode => _inode;

    /// <summary>How many times Remap mapped a replaced file.</summary>
    public int Remaps { get; private set; }

    // open(2) + fstat + (ftruncate) + mmap(2) + close(2): the mapping keeps the file alive, no fd stays
    // open, and no step takes a lock (flock and fcntl locks are only ever taken explicitly).
    private void Map(bool create)
    {
        int flags = Native.O_RDWR | Native.O_CLOEXEC | (create ? Native.O_CREAT : 0);
        int fileMode = _groupId is null ? FileMode0600 : FileMode0660;
        int fd = Native.open(Path, flags, fileMode);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string what = errno == Native.ENOENT ? "does not exist" : Marshal.GetPInvokeErrorMessage(errno);
            throw new IOException("shared memory file '" + Path + "': cannot open: " + what);
        }

        try
        {
            byte* stat = stackalloc byte[Native.StatBufferSize];
            if (Native.fstat(fd, stat) != 0)
            {
                throw new IOException("shared memory file '" + Path + "': fstat failed: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }

            uint mode = *(uint*)(stat + Native.StatModeOffset);
            if ((mode & Native.S_IFMT) != Native.S_IFREG)
            {
                throw new IOException("shared memory file '" + Path + "' is not a regular file");
            }

            // Least privilege (docs/security.md): a file an older run left wider is narrowed to 0600
            // (0660 to the configured group) before the island writes anything to it; open(2)'s
            // mode only applies to a new file, and the umask may have narrowed that one.
            if (create && _groupId is int gid && Native.fchown(fd, -1, gid) != 0)
            {
                throw new IOException("shared memory file '" + Path + "': cannot give it to group " + gid + ": " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }

            if (create && (mode & 0x1FF) != fileMode && Native.fchmod(fd, fileMode) != 0)
            {
                throw new IOException("shared memory file '" + Path + "': cannot make it " + Convert.ToString(fileMode, 8) + ": " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }

            long length = *(long*)(stat + Native.StatSizeOffset);
            if (length < Size)
            {
                if (!create)
                {
                    throw new InvalidDataException("shared memory file '" + Path + "' is " + length + " bytes, the layout needs " + Size);
                }

                if (Native.ftruncate(fd, Size) != 0)
                {
                    throw new IOException("shared memory file '" + Path + "': cannot grow it to " + Size + " bytes: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
                }
            }

            nint address = Native.mmap(0, (nuint)Size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            if (address == Native.MAP_FAILED)
            {
                throw new IOException("shared memory file '" + Path + "': mmap of " + Size + " bytes failed: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }

            _base = (byte*)address;
            _inode = *(ulong*)(stat + Native.StatInodeOffset);
        }
        finally
        {
            Native.close(fd);
        }
    }

    private void Unmap()
    {
        if (_base != null)
        {
            Native.munmap((nint)_base, (nuint)Size);
            _base = null;
        }
    }

    /// <summary>True when the path no longer names the file this object maps (deleted or recreated).</summary>
    public bool FileWasReplaced()
    {
        byte* buffer = stackalloc byte[Native.StatBufferSize];
        if (Native.stat(Path, buffer) != 0)
        {
            return true;
        }

        return *(ulong*)(buffer + Native.StatInodeOffset) != _inode;
    }

    /// <summary>Maps the file now at Path in place of the old one (after someone replaced it).</summary>
    public void Remap()
    {
        var fresh = new MappedFileSharedMemory(Path, Size);
        fresh.Map(create: false);
        Unmap();
        _base = fresh._base;
        _inode = fresh._inode;
        fresh._base = null;
        Remaps++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* At(int offset, int count)
    {
        if ((uint)offset > (uint)(Size - count))
        {
            ThrowOutside(offset, count);
        }

        return _base + offset;
    }

    private void ThrowOutside(int offset, int count) =>
        throw new ArgumentOutOfRangeException(nameof(offset), "access of " + count + " bytes at 0x" + offset.ToString("x") + " is outside the " + Size + "-byte window");

    public byte ReadByte(int offset) => Volatile.Read(ref *At(offset, 1));

    public ushort ReadUInt16(int offset)
    {
        byte* p = At(offset, 2);
        return ((nint)p & 1) == 0 ? Volatile.Read(ref *(ushort*)p) : Fenced(Unsafe.ReadUnaligned<ushort>(p));
    }

    public uint ReadUInt32(int offset)
    {
        byte* p = At(offset, 4);
        return ((nint)p & 3) == 0 ? Volatile.Read(ref *(uint*)p) : Fenced(Unsafe.ReadUnaligned<uint>(p));
    }

    public ulong ReadUInt64(int offset)
    {
        byte* p = At(offset, 8);
        return ((nint)p & 7) == 0 ? Volatile.Read(ref *(ulong*)p) : Fenced(Unsafe.ReadUnaligned<ulong>(p));
    }

    // Misaligned fields never occur in virtio layouts; if a caller makes one, a fence keeps the order.
    private static T Fenced<T>(T value)
    {
        Interlocked.MemoryBarrier();
        return value;
    }

    public void WriteByte(int offset, byte value) => Volatile.Write(ref *At(offset, 1), value);

    public void WriteUInt16(int offset, ushort value)
    {
        byte* p = At(offset, 2);
        if (((nint)p & 1) == 0)
        {
            Volatile.Write(ref *(ushort*)p, value);
        }
        else
        {
            Interlocked.MemoryBarrier();
            Unsafe.WriteUnaligned(p, value);
        }
    }

    public void WriteUInt32(int offset, uint value)
    {
        byte* p = At(offset, 4);
        if (((nint)p & 3) == 0)
        {
            Volatile.Write(ref *(uint*)p, value);
        }
        else
        {
            Interlocked.MemoryBarrier();
            Unsafe.WriteUnaligned(p, value);
        }
    }

    public void WriteUInt64(int offset, ulong value)
    {
        byte* p = At(offset, 8);
        if (((nint)p & 7) == 0)
        {
            Volatile.Write(ref *(ulong*)p, value);
        }
        else
        {
            Interlocked.MemoryBarrier();
            Unsafe.WriteUnaligned(p, value);
        }
    }

    public void ReadBytes(int offset, byte[] destination, int destinationOffset, int count) =>
        new ReadOnlySpan<byte>(At(offset, count), count).CopyTo(destination.AsSpan(destinationOffset, count));

    public void WriteBytes(int offset, byte[] source, int sourceOffset, int count) =>
        source.AsSpan(sourceOffset, count).CopyTo(new Span<byte>(At(offset, count), count));

    public void Clear(int offset, int count) => new Span<byte>(At(offset, count), count).Clear();

    // Empty on purpose: see the ordering note at the top (every field access is acquire/release).
    public void ReleaseBarrier()
    {
    }

    public void AcquireBarrier()
    {
    }

    public void FullBarrier() => Interlocked.MemoryBarrier();

    public void Dispose() => Unmap();
}
