// Where everything lives in the shared memory window.
//
// Default = OpenAMP's Linux reference machine (FACTS.md): a 0x80000-byte file, the resource table at
// offset 0 (0x58 bytes: header + one rpmsg vdev entry with two vrings), vring0 at da 0x4000 and
// vring1 at da 0x8000 (align 0x1000, num 256), and a buffer pool of 512 x 512 bytes from 0x10000.
// The driver posts the first half of the pool (from 0x10000) as RX buffers on vring0 and sends from
// the second half (from 0x30000) on vring1. Descriptor addresses are offsets into the window.
//
// Split vring layout (virtio 1.1 section 2.6.2, "Legacy Interfaces: A Note on Virtqueue Layout", the
// layout vring_init() computes in Linux and OpenAMP's virtio_ring.h):
//   desc   at da                               16 * num bytes
//   avail  at da + 16 * num                    flags, idx, ring[num], used_event = 6 + 2 * num bytes
//   used   at align_up(avail end, align)       flags, idx, ring[num] {id, len}, avail_event = 6 + 8 * num
namespace Stratos.Island.Link
{
    /// <summary>Sizes and offsets of the shared-memory link; boards choose their own.</summary>
    public sealed class LinkLayout
    {
        /// <summary>Size of the resource table this link writes (header, one vdev, two vrings).</summary>
        public const int ResourceTableBytes = 0x58;

        /// <summary>rpmsg uses exactly two vrings (RX and TX of the driver).</summary>
        public const int RpmsgVringCount = 2;

        public int SharedMemorySize;
        public int ResourceTableOffset;
        public int VringCount;
        public int VringNum;
        public int VringAlign;
        public int Vring0Address;
        public int Vring1Address;
        public int BufferBase;
        public int BufferCount;
        public int BufferSize;

        /// <summary>OpenAMP's Linux reference machine, byte for byte.</summary>
        public static LinkLayout CreateOpenAmpLinuxReference()
        {
            LinkLayout layout = new LinkLayout();
            layout.SharedMemorySize = 0x80000;
            layout.ResourceTableOffset = 0;
            layout.VringCount = RpmsgVringCount;
            layout.VringNum = 256;
            layout.VringAlign = 0x1000;
            layout.Vring0Address = 0x4000;
            layout.Vring1Address = 0x8000;
            layout.BufferBase = 0x10000;
            layout.BufferCount = 512;
            layout.BufferSize = 512;
            return layout;
        }

        /// <summary>Buffers the driver posts for receiving (first half of the pool).</summary>
        public int RxBufferCount
        {
            get { return BufferCount / 2; }
        }

        /// <summary>Buffers the driver sends from (second half of the pool).</summary>
        public int TxBufferCount
        {
            get { return BufferCount / 2; }
        }

        public int RxBufferBase
        {
            get { return BufferBase; }
        }

        public int TxBufferBase
        {
            get { return BufferBase + RxBufferCount * BufferSize; }
        }

        /// <summary>Largest rpmsg payload: 496 bytes (rpmsg's 512-byte buffers) or less for smaller buffers.</summary>
        public int MaxPayload
        {
            get
            {
                int fromBuffer = BufferSize - RpmsgHeader.Size;
                return fromBuffer < RpmsgHeader.MaxPayload ? fromBuffer : RpmsgHeader.MaxPayload;
            }
        }

        public static int AvailOffset(int da, int num)
        {
            return da + 16 * num;
        }

        public static int UsedOffset(int da, int num, int align)
        {
            return AlignUp(da + 16 * num + 6 + 2 * num, align);
        }

        /// <summary>First byte after the vring (end of the used ring's avail_event).</summary>
        public static int VringEnd(int da, int num, int align)
        {
            return UsedOffset(da, num, align) + 6 + 8 * num;
        }

        public static int AlignUp(int value, int align)
        {
            return (value + align - 1) & ~(align - 1);
        }

        /// <summary>Returns null when the layout is usable, otherwise what is wrong with it.</summary>
        public string Validate()
        {
            if (SharedMemorySize <= 0)
            {
                return "layout: SharedMemorySize must be positive";
            }

            if (VringCount != RpmsgVringCount)
            {
                return "layout: VringCount must be 2 (rpmsg uses one RX and one TX vring), got " + VringCount;
            }

            if (VringNum < 1 || VringNum > 32768 || (VringNum & (VringNum - 1)) != 0)
            {
                return "layout: VringNum must be a power of two between 1 and 32768, got " + VringNum;
            }

            if (VringAlign < 4 || (VringAlign & (VringAlign - 1)) != 0)
            {
                return "layout: VringAlign must be a power of two of at least 4, got " + VringAlign;
            }

            if (ResourceTableOffset < 0 || ResourceTableOffset + ResourceTableBytes > SharedMemorySize || (ResourceTableOffset & 3) != 0)
            {
                return "layout: ResourceTableOffset must be 4-aligned and leave 0x58 bytes inside the window";
            }

            if (BufferSize < RpmsgHeader.Size + 1 || BufferSize > 0x10000 || (BufferSize & 3) != 0)
            {
                return "layout: BufferSize must be a multiple of 4 between 20 and 65536, got " + BufferSize;
            }

            if (BufferCount < 2 || (BufferCount & 1) != 0 || BufferCount / 2 > VringNum)
            {
                return "layout: BufferCount must be even, at least 2 and at most 2 * VringNum, got " + BufferCount;
            }

            long poolEnd = (long)BufferBase + (long)BufferCount * BufferSize;
            if (BufferBase < 0 || poolEnd > SharedMemorySize)
            {
                return "layout: buffer pool 0x" + BufferBase.ToString("x") + "+" + BufferCount + "x" + BufferSize + " does not fit the window";
            }

            string problem = CheckVring("vring0", Vring0Address, poolEnd);
            if (problem != null)
            {
                return problem;
            }

            problem = CheckVring("vring1", Vring1Address, poolEnd);
            if (problem != null)
            {
                return problem;
            }

            if (Overlaps(Vring0Address, VringEnd(Vring0Address, VringNum, VringAlign), Vring1Address, VringEnd(Vring1Address, VringNum, VringAlign)))
            {
                return "layout: vring0 and vring1 overlap";
            }

            return null;
        }

        private string CheckVring(string name, int da, long poolEnd)
        {
            if (da < 0 || (da & (VringAlign - 1)) != 0)
            {
                return "layout: " + name + " address 0x" + da.ToString("x") + " is not aligned to " + VringAlign;
            }

            long end = (long)UsedOffset(da, VringNum, VringAlign) + 6 + 8L * VringNum;
            if (end > SharedMemorySize)
            {
                return "layout: " + name + " at 0x" + da.ToString("x") + " runs past the end of the window";
            }

            if (Overlaps(da, (int)end, ResourceTableOffset, ResourceTableOffset + ResourceTableBytes))
            {
                return "layout: " + name + " overlaps the resource table";
            }

            if (Overlaps(da, (int)end, BufferBase, (int)poolEnd))
            {
                return "layout: " + name + " overlaps the buffer pool";
            }

            return null;
        }

        private static bool Overlaps(int startA, int endA, int startB, int endB)
        {
            return startA < endB && startB < endA;
        }
    }
}
