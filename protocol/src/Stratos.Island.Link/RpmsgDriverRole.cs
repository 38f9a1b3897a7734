// The driver role of an RpmsgLink (the host agent, Cortex-A; Linux drivers/rpmsg/virtio_rpmsg_bus.c
// plays it on a real board). The primer in RpmsgLink.cs has the states and the restart protocol.
//
// The driver owns the buffer pool: it posts RxBufferCount buffers with the WRITE flag on vring0 and
// keeps them posted (re-posting each one as soon as its message is delivered), sends from the TX half
// of the pool on vring1 and reclaims TX buffers from vring1's used ring when it needs one. It trusts
// its own buffer map, never a descriptor the device could rewrite.
//
// Attach (every start, every device restart, every ring reset): status 0, ACKNOWLEDGE|DRIVER,
// gfeatures, zeroed rings, RX buffers posted, TX descriptors written once, then DRIVER_OK.
// Restart detection on every Poll: DEVICE_NEEDS_RESET (the device found the rings corrupt), or a
// status without DRIVER_OK / a resource table that is gone (the device restarted): re-attach.
//
// Threading: the link's (single-threaded).
using Stratos.Island.Codec;

namespace Stratos.Island.Link
{
    internal sealed class RpmsgDriverRole
    {
        private readonly RpmsgLink _link;
        private readonly LinkLayout _layout;
        private readonly ISharedMemory _shm;
        private readonly Vring _vring0;
        private readonly Vring _vring1;
        private readonly LinkCounters _counters;
        private bool _tableProblemReported;

        // vring0: the RX buffers this side posted for the device to fill.
        private ushort _rxLastUsed;
        private ushort _rxAvailShadow;
        private readonly bool[] _rxInFlight;
        private readonly int[] _rxReposted;

        // vring1: this side's TX buffers, free or in flight to the device.
        private ushort _txLastUsed;
        private ushort _txAvailShadow;
        private readonly bool[] _txInFlight;
        private readonly int[] _txFree;
        private int _txFreeCount;
        private bool _txWantsInterrupt;

        internal RpmsgDriverRole(RpmsgLink link, LinkLayout layout, ISharedMemory sharedMemory, Vring vring0, Vring vring1, LinkCounters counters)
        {
            _link = link;
            _layout = layout;
            _shm = sharedMemory;
            _vring0 = vring0;
            _vring1 = vring1;
            _counters = counters;
            _rxInFlight = new bool[layout.RxBufferCount];
            _rxReposted = new int[layout.RxBufferCount];
            _txInFlight = new bool[layout.TxBufferCount];
            _txFree = new int[layout.TxBufferCount];
        }

        // Resets and renegotiates with a device whose resource table is valid; false (waiting for the
        // device) otherwise.
        internal bool TryAttach()
        {
            string problem = ResourceTable.Check(_shm, _layout);
            if (problem != null)
            {
                _link.SetState(LinkState.WaitingForDevice);
                // An empty table is a device that has not booted yet; anything else is reported once.
                if (_shm.ReadUInt32(_layout.ResourceTableOffset) != 0 && !_tableProblemReported)
                {
                    _tableProblemReported = true;
                    _link.Report(LinkErrorCode.BadResourceTable, problem);
                }

                return false;
            }

            _tableProblemReported = false;
            // virtio 1.1 section 3.1.1: reset, then ACKNOWLEDGE and DRIVER before touching the device.
            ResourceTable.WriteStatus(_shm, _layout, 0);
            _shm.FullBarrier();
            ResourceTable.WriteStatus(_shm, _layout, ResourceTable.StatusAcknowledge | ResourceTable.StatusDriver);
            _shm.FullBarrier();

            uint offered = _shm.ReadUInt32(_layout.ResourceTableOffset + ResourceTable.DFeaturesOffset);
            uint accepted = offered & ResourceTable.FeatureNameService;
            _shm.WriteUInt32(_layout.ResourceTableOffset + ResourceTable.GFeaturesOffset, accepted);
            _link.NameService.Enabled = accepted != 0;

            _vring0.ClearAll();
            _vring1.ClearAll();
            int rxCount = _layout.RxBufferCount;
            for (int i = 0; i < rxCount; i++)
            {
                _vring0.WriteDescriptor(i, (ulong)(_layout.RxBufferBase + i * _layout.BufferSize), (uint)_layout.BufferSize, Vring.DescFlagWrite, 0);
                _vring0.SetAvailEntry(i, (ushort)i);
                _rxInFlight[i] = true;
            }

            _rxAvailShadow = (ushort)rxCount;
            _rxLastUsed = 0;
            _txFreeCount = 0;
            for (int i = _layout.TxBufferCount - 1; i >= 0; i--)
            {
                // Written once: descriptor i always names TX buffer i with the whole buffer length (as
                // OpenAMP does; the rpmsg header's len is authoritative). A descriptor that never
                // changes stays cached on both cores, which saves the device one miss per message.
                _vring1.WriteDescriptor(i, (ulong)(_layout.TxBufferBase + i * _layout.BufferSize), (uint)_layout.BufferSize, 0, 0);
                _txInFlight[i] = false;
                _txFree[_txFreeCount++] = i;
            }

            _txLastUsed = 0;
            _txAvailShadow = 0;
            _txWantsInterrupt = false;
            _vring1.AvailFlags = Vring.AvailFlagNoInterrupt;
            _vring0.AvailFlags = _link.RxPolling ? Vring.AvailFlagNoInterrupt : (ushort)0;
            _shm.ReleaseBarrier();
            _vring0.AvailIdx = _rxAvailShadow;
            _shm.ReleaseBarrier();
            ResourceTable.WriteStatus(_shm, _layout, ResourceTable.StatusAcknowledge | ResourceTable.StatusDriver | ResourceTable.StatusDriverOk);
            _shm.FullBarrier();

            _link.MarkUp();
            _link.Kick();
            _link.NameService.AnnouncePending();
            return true;
        }

        // Restart detection, then the RX service: the messages delivered, or -1 when the link is not
        // up after it (nothing more to do in this Poll).
        internal int Service()
        {
            if (_link.State == LinkState.WaitingForDevice && !TryAttach())
            {
                return -1;
            }

            byte status = ResourceTable.ReadStatus(_shm, _layout);
            if ((status & ResourceTable.StatusDeviceNeedsReset) != 0 && (status & ResourceTable.StatusDriverOk) != 0
                && _shm.ReadUInt32(_layout.ResourceTableOffset) == ResourceTable.Version)
            {
                // The device asks for a reset (it found the rings corrupt): reset and renegotiate.
                _counters.RingResetsByPeer++;
                _link.GoDown("device set DEVICE_NEEDS_RESET (ring reset)");
                if (!TryAttach())
                {
                    return -1;
                }
            }
            else if ((status & ResourceTable.StatusDriverOk) == 0
                || _shm.ReadUInt32(_layout.ResourceTableOffset) != ResourceTable.Version)
            {
                _counters.PeerRestarts++;
                _link.GoDown("device rewrote its resource table (restart)");
                if (!TryAttach())
                {
                    return -1;
                }
            }

            return ServiceRx();
        }

        // This side polls its RX ring (vring0): the device may skip its kicks.
        internal void WriteRxPolling(bool polling)
        {
            _vring0.AvailFlags = polling ? Vring.AvailFlagNoInterrupt : (ushort)0;
        }

        internal LinkSendStatus Send(uint source, uint destination, byte[] payload, int offset, int count)
        {
            if (_txFreeCount == 0)
            {
                ReclaimTx();
                if (_txFreeCount == 0)
                {
                    // Ask the device to kick us when it returns buffers, then look once more (the
                    // device may have returned one between the check and the flag).
                    _txWantsInterrupt = true;
                    _vring1.AvailFlags = 0;
                    _shm.FullBarrier();
                    ReclaimTx();
                    if (_txFreeCount == 0)
                    {
                        return LinkSendStatus.NoTxBuffer;
                    }
                }
            }

            int index = _txFree[--_txFreeCount];
            int at = _layout.TxBufferBase + index * _layout.BufferSize;
            _link.WriteMessage(at, source, destination, payload, offset, count);
            _txInFlight[index] = true;
            _vring1.SetAvailEntry(_txAvailShadow, (ushort)index);
            _txAvailShadow++;
            _shm.ReleaseBarrier();
            _vring1.AvailIdx = _txAvailShadow;
            _shm.FullBarrier();
            if ((_vring1.UsedFlags & Vring.UsedFlagNoNotify) == 0)
            {
                _link.Kick();
            }
            else
            {
                _counters.KicksSuppressed++;
            }

            return LinkSendStatus.Ok;
        }

        private void ReclaimTx()
        {
            ushort usedIdx = _vring1.UsedIdx;
            _shm.AcquireBarrier();
            if (!_link.HasNewEntries(usedIdx, _txLastUsed, "vring1 used"))
            {
                return;
            }

            while (_txLastUsed != usedIdx)
            {
                uint id = _vring1.UsedEntryId(_txLastUsed);
                _txLastUsed++;
                if (id >= (uint)_layout.TxBufferCount)
                {
                    _link.Report(LinkErrorCode.DescriptorIndexOutOfRange, "vring1 used entry names descriptor " + id + ", only " + _layout.TxBufferCount + " TX buffers exist");
                    continue;
                }

                if (!_txInFlight[id])
                {
                    _link.Report(LinkErrorCode.DuplicateBuffer, "vring1 used entry returns TX buffer " + id + " which was not in flight");
                    continue;
                }

                _txInFlight[id] = false;
                _txFree[_txFreeCount++] = (int)id;
            }

            if (_txWantsInterrupt && _txFreeCount > 0)
            {
                _txWantsInterrupt = false;
                _vring1.AvailFlags = Vring.AvailFlagNoInterrupt;
            }
        }

        // Delivers what the device wrote into the posted RX buffers and re-posts them.
        private int ServiceRx()
        {
            ushort usedIdx = _vring0.UsedIdx;
            _shm.AcquireBarrier();
            if (!_link.HasNewEntries(usedIdx, _rxLastUsed, "vring0 used"))
            {
                return 0;
            }

            int delivered = 0;
            int reposted = 0;
            while (_rxLastUsed != usedIdx)
            {
                uint id = _vring0.UsedEntryId(_rxLastUsed);
                uint length = _vring0.UsedEntryLength(_rxLastUsed);
                _rxLastUsed++;
                if (id >= (uint)_layout.RxBufferCount)
                {
                    _link.Report(LinkErrorCode.DescriptorIndexOutOfRange, "vring0 used entry names descriptor " + id + ", only " + _layout.RxBufferCount + " RX buffers exist");
                    continue;
                }

                if (!_rxInFlight[id])
                {
                    _link.Report(LinkErrorCode.DuplicateBuffer, "vring0 used entry returns RX buffer " + id + " which was not posted");
                    continue;
                }

                _rxInFlight[id] = false;
                if (length > (uint)_layout.BufferSize)
                {
                    _link.Report(LinkErrorCode.LengthBeyondBuffer, "vring0 used entry for buffer " + id + " has len " + length + ", beyond the buffer size " + _layout.BufferSize);
                }
                else if (_link.ReadMessage(_vring0, (int)id, _layout.RxBufferBase + (int)id * _layout.BufferSize, (int)length))
                {
                    delivered++;
                }

                // The driver trusts its own buffer map, never the descriptor the device could rewrite.
                _vring0.SetAvailEntry(_rxAvailShadow, (ushort)id);
                _rxAvailShadow++;
                _rxReposted[reposted++] = (int)id;
            }

            if (reposted > 0)
            {
                // Marked in flight only now: within one pass a buffer cannot legitimately come back twice.
                for (int i = 0; i < reposted; i++)
                {
                    _rxInFlight[_rxReposted[i]] = true;
                }

                _shm.ReleaseBarrier();
                _vring0.AvailIdx = _rxAvailShadow;
                // Best-effort, no full barrier: only a device out of RX buffers asks for this kick,
                // and it re-reads the avail idx on every TrySend.
                if ((_vring0.UsedFlags & Vring.UsedFlagNoNotify) == 0)
                {
                    _link.Kick();
                }
            }

            return delivered;
        }
    }
}
