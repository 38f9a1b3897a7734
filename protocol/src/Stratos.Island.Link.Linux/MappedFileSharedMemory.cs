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
// The device (island) creates the file at boot; the driver (agent) opens it. When the island is
// restarted it recreates the file: FileWasReplaced tells the agent its mapping is orphaned and Remap
// maps the new file under the same object, so the RpmsgLink using it carries on after a reset.
using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public sealed unsafe class MappedFileSharedMemory : ISharedMemory, IDisposable
{
    private FileStream _file;
    private MemoryMappedFile _map;
    private MemoryMappedViewAccessor _view;
    private byte* _base;
    private ulong _inode;

    private MappedFileSharedMemory(string path, FileStream file, int size)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the shared-memory link is little-endian; this host is not");
        }

        Path = path;
        Size = size;
        _file = file;
        _map = null!;
        _view = null!;
        Map();
    }

    /// <summary>Creates (or replaces) the file at path with size zero bytes and maps it; mode 0600, or
    /// 0660 owned by <paramref name="groupId"/> (PrivateEndpoints).</summary>
    public static MappedFileSharedMemory Create(string path, int size, int? groupId = null)
    {
        // Built under a temporary name and renamed over the path: an agent never opens a file of the
        // wrong size, and one still mapping the old file keeps it and can tell it was replaced.
        string temporary = path + ".new-" + Environment.ProcessId;
        // Owner-only (or 0660 to the link group) from creation on: the link is whoever can write here.
        FileStream file = PrivateEndpoints.OpenFile(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, groupId);
        file.SetLength(size);
        File.Move(temporary, path, overwrite: true);
        return new MappedFileSharedMemory(path, file, size);
    }

    /// <summary>Opens an existing file; it must be at least size bytes.</summary>
    public static MappedFileSharedMemory Open(string path, int size)
    {
        FileStream file = OpenExisting(path, size);
        return new MappedFileSharedMemory(path, file, size);
    }

    private static FileStream OpenExisting(string path, int size)
    {
        FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (file.Length < size)
        {
            long length = file.Length;
            file.Dispose();
            throw new InvalidDataException("shared memory file '" + path + "' is " + length + " bytes, the layout needs " + size);
        }

        return file;
    }

    public string Path { get; }

    public int Size { get; }

    private void Map()
    {
        _map = MemoryMappedFile.CreateFromFile(_file, null, Size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        _inode = InodeOf(_file);
    }

    private void Unmap()
    {
        if (_base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }

        _view?.Dispose();
        _map?.Dispose();
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

    /// <summary>Maps the file now at Path in place of the old one (after the island recreated it).</summary>
    public void Remap()
    {
        FileStream file = OpenExisting(Path, Size);
        Unmap();
        _file.Dispose();
        _file = file;
        Map();
    }

    private static ulong InodeOf(FileStream file)
    {
        byte* buffer = stackalloc byte[Native.StatBufferSize];
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        if (Native.fstat(fd, buffer) != 0)
        {
            return 0;
        }

        return *(ulong*)(buffer + Native.StatInodeOffset);
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

    public void Dispose()
    {
        Unmap();
        _file.Dispose();
    }
}
