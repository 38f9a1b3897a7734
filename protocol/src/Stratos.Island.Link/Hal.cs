// Hardware abstraction for the shared-memory link.
//
// ISharedMemory is the window both processors see. Offsets are byte offsets from the start of the
// window (on the reference machine they are also the "device addresses" written into descriptors).
// All multi-byte values are little-endian: the legacy virtio layout in the guest's (here: both
// processors') byte order, which is little-endian on every supported core (VIRTIO_F_VERSION_1, which
// would make little-endian mandatory, is not negotiated: see ResourceTable).
//
// Ordering (virtio 1.1 section 2.6.13 "Supplying Buffers to The Device" and 2.6.8 "The Virtqueue
// Used Ring"): a side must make a descriptor and its buffer visible before it publishes the new
// avail/used idx (ReleaseBarrier between them), and must read the idx before it reads the entries
// the idx covers (AcquireBarrier after reading it). Notification suppression needs a full barrier
// between "publish idx" and "read the peer's flags" (FullBarrier). The implementation supplies the
// real barrier for its platform (DMB on Cortex-M/R, a fence on Linux).
namespace Stratos.Island.Link
{
    /// <summary>A byte window shared with the peer processor.</summary>
    public interface ISharedMemory
    {
        /// <summary>Size of the window in bytes.</summary>
        int Size { get; }

        byte ReadByte(int offset);
        ushort ReadUInt16(int offset);
        uint ReadUInt32(int offset);
        ulong ReadUInt64(int offset);
        void WriteByte(int offset, byte value);
        void WriteUInt16(int offset, ushort value);
        void WriteUInt32(int offset, uint value);
        void WriteUInt64(int offset, ulong value);

        /// <summary>Copies count bytes from the window into destination.</summary>
        void ReadBytes(int offset, byte[] destination, int destinationOffset, int count);

        /// <summary>Copies count bytes from source into the window.</summary>
        void WriteBytes(int offset, byte[] source, int sourceOffset, int count);

        /// <summary>Sets count bytes of the window to zero.</summary>
        void Clear(int offset, int count);

        /// <summary>Every store before it is visible to the peer before any store after it.</summary>
        void ReleaseBarrier();

        /// <summary>No load after it is satisfied before the loads before it.</summary>
        void AcquireBarrier();

        /// <summary>Orders all loads and stores (used around notification suppression).</summary>
        void FullBarrier();
    }

    /// <summary>Notifies the peer processor (a mailbox or IPI on boards, one byte on a socket here).</summary>
    /// <remarks>Inbound notifications are delivered by the platform; whoever receives one services
    /// both vrings (RpmsgLink.Poll), exactly like OpenAMP's reference machine.</remarks>
    public interface IDoorbell
    {
        /// <summary>Notifies the peer. Must not block for long; a lost kick is tolerated because
        /// the receiver also polls.</summary>
        void Kick();
    }
}
