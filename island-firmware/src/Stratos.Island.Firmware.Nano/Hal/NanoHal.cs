// The island's HAL on nanoCLR hosted on Zephyr: each class forwards to one native class
// (Native/NativeMethods.cs, contract in README.md). No allocation after construction; failures of
// the native layer become the HAL's status returns (false / Unspecified), never exceptions.
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Bundle;
using Stratos.Island.Firmware.Hal;
using Stratos.Island.Firmware.Native;
using Stratos.Island.Link;

namespace Stratos.Island.Firmware.Nano.Hal
{
    /// <summary>Island time from the kernel's monotonic uptime, 0 at island boot.</summary>
    public sealed class NanoClock : IClock
    {
        public long MonotonicMs
        {
            get { return NativeClock.MonotonicUs() / 1000; }
        }

        public long MonotonicUs
        {
            get { return NativeClock.MonotonicUs(); }
        }
    }

    /// <summary>The event-log partition. Program writes whole write blocks: a count that is not a
    /// multiple of the block size is rejected (the event log writes aligned records).</summary>
    public sealed class NanoFlash : IFlash
    {
        private readonly int _partition;
        private readonly int _pageSize;
        private readonly int _pageCount;
        private readonly int _writeBlock;

        public NanoFlash(int partition)
        {
            _partition = partition;
            _pageSize = NativeFlash.PageSize(partition);
            int size = NativeFlash.PartitionSize(partition);
            _writeBlock = NativeFlash.WriteBlockSize(partition);
            _pageCount = _pageSize > 0 && size > 0 ? size / _pageSize : 0;
        }

        public int PageSize
        {
            get { return _pageSize; }
        }

        public int PageCount
        {
            get { return _pageCount; }
        }

        public int WriteBlockSize
        {
            get { return _writeBlock; }
        }

        public void Read(int address, byte[] buffer, int offset, int count)
        {
            if (NativeFlash.Read(_partition, address, buffer, offset, count) != 0)
            {
                // A failed read looks erased: the event log treats it as the end of the log.
                for (int i = 0; i < count; i++)
                {
                    buffer[offset + i] = 0xFF;
                }
            }
        }

        public bool ErasePage(int pageIndex)
        {
            return pageIndex >= 0 && pageIndex < _pageCount && NativeFlash.ErasePage(_partition, pageIndex) == 0;
        }

        public bool Program(int address, byte[] data, int offset, int count)
        {
            if (address < 0 || count < 0 || address + count > _pageSize * _pageCount)
            {
                return false;
            }

            if (_writeBlock > 1 && (address % _writeBlock != 0 || count % _writeBlock != 0))
            {
                return false;
            }

            return NativeFlash.Write(_partition, address, data, offset, count) == 0;
        }
    }

    /// <summary>The shared-memory carve-out. Cortex-M/R: every barrier is a DMB (the native call).</summary>
    public sealed class NanoSharedMemory : ISharedMemory
    {
        private readonly int _size;

        public NanoSharedMemory()
        {
            _size = NativeShm.Size();
        }

        public int Size
        {
            get { return _size; }
        }

        public byte ReadByte(int offset)
        {
            return NativeShm.Read8(offset);
        }

        public ushort ReadUInt16(int offset)
        {
            return NativeShm.Read16(offset);
        }

        public uint ReadUInt32(int offset)
        {
            return NativeShm.Read32(offset);
        }

        public ulong ReadUInt64(int offset)
        {
            ulong low = NativeShm.Read32(offset);
            ulong high = NativeShm.Read32(offset + 4);
            return low | (high << 32);
        }

        public void WriteByte(int offset, byte value)
        {
            NativeShm.Write8(offset, value);
        }

        public void WriteUInt16(int offset, ushort value)
        {
            NativeShm.Write16(offset, value);
        }

        public void WriteUInt32(int offset, uint value)
        {
            NativeShm.Write32(offset, value);
        }

        public void WriteUInt64(int offset, ulong value)
        {
            NativeShm.Write32(offset, (uint)(value & 0xFFFFFFFFu));
            NativeShm.Write32(offset + 4, (uint)(value >> 32));
        }

        public void ReadBytes(int offset, byte[] destination, int destinationOffset, int count)
        {
            NativeShm.ReadBlock(offset, destination, destinationOffset, count);
        }

        public void WriteBytes(int offset, byte[] source, int sourceOffset, int count)
        {
            NativeShm.WriteBlock(offset, source, sourceOffset, count);
        }

        public void Clear(int offset, int count)
        {
            NativeShm.Zero(offset, count);
        }

        public void ReleaseBarrier()
        {
            NativeShm.MemoryBarrier();
        }

        public void AcquireBarrier()
        {
            NativeShm.MemoryBarrier();
        }

        public void FullBarrier()
        {
            NativeShm.MemoryBarrier();
        }
    }

    /// <summary>The doorbell: outbound kicks through mbox/IPM, inbound kicks wake <see cref="Wait"/>.</summary>
    public sealed class NanoDoorbell : IDoorbell
    {
        public int SendFailures;

        /// <summary>0, or the negative errno of the native open.</summary>
        public int Open()
        {
            return NativeDoorbell.Open();
        }

        public void Kick()
        {
            // A lost kick is tolerated: the peer also polls (Hal.cs, IDoorbell).
            if (NativeDoorbell.Send() != 0)
            {
                SendFailures++;
            }
        }

        /// <summary>Waits for an inbound kick up to timeoutMs; true when one arrived.</summary>
        public bool Wait(int timeoutMs)
        {
            return NativeDoorbell.Wait(timeoutMs < 0 ? 0 : timeoutMs) > 0;
        }
    }

    /// <summary>One task_wdt channel; no callback, so an expiry resets the island.</summary>
    public sealed class NanoWatchdog : IHardwareWatchdog
    {
        public const int MinimumTimeoutMs = 100;
        private readonly int _channel;

        public NanoWatchdog(int timeoutMs)
        {
            _channel = NativeWatchdog.Start(timeoutMs < MinimumTimeoutMs ? MinimumTimeoutMs : timeoutMs);
        }

        /// <summary>False when the channel could not be installed.</summary>
        public bool Started
        {
            get { return _channel >= 0; }
        }

        public void Kick()
        {
            if (_channel >= 0)
            {
                NativeWatchdog.Feed(_channel);
            }
        }
    }

    /// <summary>Power domains through SCMI POWER_STATE_SET / STATE_GET; island domain ids map to
    /// the board's SCMI domain ids (board.yaml power_domains[].scmi_id).</summary>
    public sealed class NanoPowerRails : IPowerRails
    {
        public const uint ScmiStateOn = 0x00000000;
        public const uint ScmiStateOff = 0x40000000;
        private readonly int[] _domainIds;
        private readonly int[] _scmiIds;

        public NanoPowerRails(int[] domainIds, int[] scmiIds)
        {
            _domainIds = domainIds;
            _scmiIds = scmiIds;
        }

        /// <summary>The SCMI domain of an island domain id, or -1 when the board has no such domain.</summary>
        public int ScmiDomainOf(int domainId)
        {
            for (int i = 0; i < _domainIds.Length; i++)
            {
                if (_domainIds[i] == domainId)
                {
                    return _scmiIds[i];
                }
            }

            return -1;
        }

        public bool SetState(int domainId, PowerState state)
        {
            int scmi = ScmiDomainOf(domainId);
            if (scmi < 0 || (state != PowerState.On && state != PowerState.Off))
            {
                return false;
            }

            return NativePower.StateSet(scmi, state == PowerState.On ? ScmiStateOn : ScmiStateOff) == 0;
        }

        public PowerState GetState(int domainId)
        {
            int scmi = ScmiDomainOf(domainId);
            if (scmi < 0)
            {
                return PowerState.Unspecified;
            }

            long raw = NativePower.StateGet(scmi);
            if (raw < 0)
            {
                return PowerState.Unspecified;
            }

            uint state = (uint)raw;
            if (state == ScmiStateOn)
            {
                return PowerState.On;
            }

            return state == ScmiStateOff ? PowerState.Off : PowerState.Unspecified;
        }
    }

    /// <summary>The A-cluster reset line.</summary>
    public sealed class NanoResetControl : IResetControl
    {
        public int Failures;

        public void ResetACluster()
        {
            if (NativePower.ResetACluster() != 0)
            {
                Failures++;
            }
        }
    }

    /// <summary>The safe-state GPIO to the external safety manager.</summary>
    public sealed class NanoSafeStateOutput : ISafeStateOutput
    {
        public int Failures;

        public void Assert()
        {
            if (NativeBoard.SetSafeState(1) != 0)
            {
                Failures++;
            }
        }

        public void Deassert()
        {
            if (NativeBoard.SetSafeState(0) != 0)
            {
                Failures++;
            }
        }
    }

    /// <summary>ECDSA P-256 verification on the crypto accelerator with the provisioned key.</summary>
    public sealed class NanoSignatureVerifier : ISignatureVerifier
    {
        public bool VerifyDigest(byte[] digest, byte[] signature, int signatureOffset, int signatureLength)
        {
            return NativeCrypto.VerifyP256(digest, signature, signatureOffset, signatureLength) == 1;
        }
    }
}
