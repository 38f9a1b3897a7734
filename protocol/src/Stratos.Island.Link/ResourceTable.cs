// The remoteproc resource table the device (island) publishes at its boot (Linux
// include/linux/remoteproc.h, OpenAMP lib/include/openamp/remoteproc.h).
//
//   0x00 ver u32 = 1 | num u32 = 1 | reserved[2] u32 | offset[0] u32 = 0x14
//   0x14 fw_rsc_vdev: type u32 = 3 (VDEV) | id u32 = 7 (rpmsg) | notifyid u32 = 0 | dfeatures u32 = 1 (NS)
//        gfeatures u32 (driver writes) | config_len u32 = 0 | status u8 | num_of_vrings u8 = 2 | reserved[2]
//   0x30 vring0: da | align | num | notifyid = 1 | reserved     0x44 vring1: da | align | num | notifyid = 2 | reserved
//
// Status handshake (virtio 1.1 section 3.1): the device writes the table with status 0; the driver
// resets it to 0, writes ACKNOWLEDGE|DRIVER, gfeatures, and then ACKNOWLEDGE|DRIVER|DRIVER_OK once its
// rings and buffers are ready. The device uses no ring before it sees DRIVER_OK. A status that falls
// back to 0 means a reset; the device sets DEVICE_NEEDS_RESET (0x40) when it finds the rings corrupt,
// and the driver resets and renegotiates (RpmsgLink's primer). Legacy layout: no FEATURES_OK, and
// VIRTIO_F_VERSION_1 is not negotiated (the feature words here are 32 bits; bit 32 cannot be offered).
namespace Stratos.Island.Link
{
    public static class ResourceTable
    {
        public const uint Version = 1;
        public const uint TypeVdev = 3;
        public const uint VirtioIdRpmsg = 7;
        public const uint FeatureNameService = 1;
        public const byte StatusAcknowledge = 0x01;
        public const byte StatusDriver = 0x02;
        public const byte StatusDriverOk = 0x04;
        public const byte StatusDeviceNeedsReset = 0x40;
        public const byte StatusFailed = 0x80;

        public const int VdevOffset = 0x14;
        public const int VdevTypeOffset = VdevOffset;
        public const int VdevIdOffset = VdevOffset + 0x04;
        public const int VdevNotifyIdOffset = VdevOffset + 0x08;
        public const int DFeaturesOffset = VdevOffset + 0x0c;
        public const int GFeaturesOffset = VdevOffset + 0x10;
        public const int ConfigLenOffset = VdevOffset + 0x14;
        public const int StatusOffset = VdevOffset + 0x18;
        public const int NumOfVringsOffset = VdevOffset + 0x19;
        public const int Vring0Offset = VdevOffset + 0x1c;
        public const int VringEntrySize = 20;

        /// <summary>Device side: writes the whole table with status 0 and gfeatures 0.</summary>
        public static void Write(ISharedMemory shm, LinkLayout layout)
        {
            int b = layout.ResourceTableOffset;
            // ver is written last: a driver that reads the table while it is being written sees
            // ver 0 ("device not booted yet") rather than a half-filled entry.
            shm.WriteUInt32(b + 0x00, 0);
            shm.FullBarrier();
            shm.Clear(b + 4, LinkLayout.ResourceTableBytes - 4);
            shm.WriteUInt32(b + 0x04, 1);
            shm.WriteUInt32(b + 0x10, VdevOffset);
            shm.WriteUInt32(b + VdevTypeOffset, TypeVdev);
            shm.WriteUInt32(b + VdevIdOffset, VirtioIdRpmsg);
            shm.WriteUInt32(b + VdevNotifyIdOffset, 0);
            shm.WriteUInt32(b + DFeaturesOffset, FeatureNameService);
            shm.WriteUInt32(b + GFeaturesOffset, 0);
            shm.WriteUInt32(b + ConfigLenOffset, 0);
            shm.WriteByte(b + StatusOffset, 0);
            shm.WriteByte(b + NumOfVringsOffset, (byte)LinkLayout.RpmsgVringCount);
            WriteVring(shm, b + Vring0Offset, layout.Vring0Address, layout, 1);
            WriteVring(shm, b + Vring0Offset + VringEntrySize, layout.Vring1Address, layout, 2);
            shm.ReleaseBarrier();
            shm.WriteUInt32(b + 0x00, Version);
            shm.FullBarrier();
        }

        private static void WriteVring(ISharedMemory shm, int at, int da, LinkLayout layout, uint notifyId)
        {
            shm.WriteUInt32(at, (uint)da);
            shm.WriteUInt32(at + 4, (uint)layout.VringAlign);
            shm.WriteUInt32(at + 8, (uint)layout.VringNum);
            shm.WriteUInt32(at + 12, notifyId);
            shm.WriteUInt32(at + 16, 0);
        }

        /// <summary>Driver side: returns null when the table describes this layout, otherwise what differs.</summary>
        public static string Check(ISharedMemory shm, LinkLayout layout)
        {
            int b = layout.ResourceTableOffset;
            uint ver = shm.ReadUInt32(b);
            if (ver != Version)
            {
                return "resource table: ver at 0x" + b.ToString("x") + " is " + ver + ", expected 1 (device not booted?)";
            }

            uint num = shm.ReadUInt32(b + 4);
            if (num < 1 || num > 64)
            {
                return "resource table: num is " + num + ", expected 1..64";
            }

            uint offset0 = shm.ReadUInt32(b + 0x10);
            if (offset0 != VdevOffset)
            {
                return "resource table: offset[0] is 0x" + offset0.ToString("x") + ", expected 0x14";
            }

            if (shm.ReadUInt32(b + VdevTypeOffset) != TypeVdev || shm.ReadUInt32(b + VdevIdOffset) != VirtioIdRpmsg)
            {
                return "resource table: entry at 0x14 is not an rpmsg vdev (type 3, id 7)";
            }

            byte vrings = shm.ReadByte(b + NumOfVringsOffset);
            if (vrings != LinkLayout.RpmsgVringCount)
            {
                return "resource table: num_of_vrings is " + vrings + ", expected 2";
            }

            string problem = CheckVring(shm, b + Vring0Offset, "vring0", layout.Vring0Address, layout);
            return problem != null ? problem : CheckVring(shm, b + Vring0Offset + VringEntrySize, "vring1", layout.Vring1Address, layout);
        }

        private static string CheckVring(ISharedMemory shm, int at, string name, int da, LinkLayout layout)
        {
            uint tableDa = shm.ReadUInt32(at);
            uint align = shm.ReadUInt32(at + 4);
            uint num = shm.ReadUInt32(at + 8);
            if (tableDa != (uint)da || align != (uint)layout.VringAlign || num != (uint)layout.VringNum)
            {
                return "resource table: " + name + " is da=0x" + tableDa.ToString("x") + " align=0x" + align.ToString("x") + " num=" + num
                    + ", this side's layout says da=0x" + da.ToString("x") + " align=0x" + layout.VringAlign.ToString("x") + " num=" + layout.VringNum;
            }

            return null;
        }

        /// <summary>Device side: the driver has set DRIVER_OK, and neither a pending DEVICE_NEEDS_RESET
        /// nor FAILED is set (virtio 1.1 section 2.1).</summary>
        public static bool IsDriverReady(byte status)
        {
            return (status & StatusDriverOk) != 0 && (status & (StatusDeviceNeedsReset | StatusFailed)) == 0;
        }

        public static byte ReadStatus(ISharedMemory shm, LinkLayout layout)
        {
            return shm.ReadByte(layout.ResourceTableOffset + StatusOffset);
        }

        public static void WriteStatus(ISharedMemory shm, LinkLayout layout, byte status)
        {
            shm.WriteByte(layout.ResourceTableOffset + StatusOffset, status);
        }
    }
}
