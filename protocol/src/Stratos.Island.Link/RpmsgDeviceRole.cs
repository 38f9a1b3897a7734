// The device role of an RpmsgLink (the island; OpenAMP's remote plays it on a real board). The
// primer in RpmsgLink.cs has the states and the restart protocol.
//
// The device owns no buffer: it takes the driver's RX buffers from vring0's avail ring to send, and
// consumes the driver's TX buffers from vring1's avail ring, returning every buffer it takes through
// the used ring in the same pass. Every descriptor the driver published is validated before use
// (index, chain, length, inside the buffer pool).
//
// Start writes the resource table (status 0); the device uses no ring before DRIVER_OK. Restart
// detection on every Poll: the table vanished (rewritten), a status without DRIVER_OK, or a used idx
// in shared memory that differs from the one this side last wrote (the driver zeroed the rings).
//
// Threading: the link's (single-threaded).
using Stratos.Island.Codec;

namespace Stratos.Island.Link
{
    internal sealed class RpmsgDeviceRole
    {
        private readonly RpmsgLink _link;
        private readonly LinkLayout _layout;
        private readonly ISharedMemory _shm;
        private readonly Vring _vring0;
        private readonly Vring _vring1;
        private readonly LinkCounters _counters;
        private readonly int _poolEnd;

        // vring0: the driver's RX buffers, which this side fills to send.
        private ushort _txLastAvail;
        private ushort _txAvailSeen;
        private ushort _txUsedShadow;
        private bool _txWantsNotify;

        // vring1: the driver's TX buffers, which this side reads and returns.
        private ushort _rxLastAvail;
        private ushort _rxUsedShadow;

        internal RpmsgDeviceRole(RpmsgLink link, LinkLayout layout, ISharedMemory sharedMemory, Vring vring0, Vring vring1, LinkCounters counters)
        {
            _link = link;
            _layout = layout;
            _shm = sharedMemory;
            _vring0 = vring0;
            _vring1 = vring1;
            _counters = counters;
            _poolEnd = layout.BufferBase + layout.BufferCount * layout.BufferSize;
        }

        // Publishes the resource table (status 0) and waits for DRIVER_OK.
        internal void Start()
        {
            _link.ForgetPeer();
            ResourceTable.Write(_shm, _layout);
            _link.SetState(LinkState.WaitingForDriver);
        }

        // Withdraws the resource table (ver 0, status 0): a driver sees at once that the device went away.
        internal void WithdrawTable()
        {
            _shm.WriteUInt32(_layout.ResourceTableOffset, 0);
            ResourceTable.WriteStatus(_shm, _layout, 0);
            _shm.FullBarrier();
            _link.Kick();
        }

        // True when a new driver already re-initialised the rings (the used idx in shared memory is
        // not the one this side wrote): the in-band detection of Poll re-attaches to them.
        internal bool RingsReinitialisedByDriver()
        {
            return _vring0.UsedIdx != _txUsedShadow || _vring1.UsedIdx != _rxUsedShadow;
        }

        // The platform saw the driver go away: the DRIVER_OK still in the table may be the dead
        // driver's, so never attach to it. Clearing it makes any driver (a new one, or the old one
        // after a glitch) re-initialise the rings and set DRIVER_OK again, so the next attach always
        // sees fresh rings.
        internal void ClearDriverOk()
        {
            ResourceTable.WriteStatus(_shm, _layout, 0);
            _shm.FullBarrier();
            _link.SetState(LinkState.WaitingForDriver);
        }

        // The rings cannot be trusted: DEVICE_NEEDS_RESET (virtio 1.1 section 2.1.2) withdraws
        // DRIVER_OK and makes the driver re-initialise them.
        internal void RequestReset()
        {
            byte status = ResourceTable.ReadStatus(_shm, _layout);
            ResourceTable.WriteStatus(_shm, _layout, (byte)(status | ResourceTable.StatusDeviceNeedsReset));
            _shm.FullBarrier();
            _link.Kick();
        }

        // Restart detection, then the RX service: the messages delivered, or -1 when the link is not
        // up after it (nothing more to do in this Poll).
        internal int Service()
        {
            if (_shm.ReadUInt32(_layout.ResourceTableOffset) != ResourceTable.Version)
            {
                // The window was wiped or recreated under us: publish the table again.
                _link.Report(LinkErrorCode.PeerRestart, "resource table at 0x" + _layout.ResourceTableOffset.ToString("x") + " vanished; rewriting it");
                if (_link.State == LinkState.Up)
                {
                    _counters.PeerRestarts++;
                    _link.GoDown("resource table vanished");
                }

                ResourceTable.Write(_shm, _layout);
                _link.SetState(LinkState.WaitingForDriver);
            }

            if (_link.State == LinkState.WaitingForDriver && !TryAttach())
            {
                return -1;
            }

            if (!ResourceTable.IsDriverReady(ResourceTable.ReadStatus(_shm, _layout)))
            {
                _counters.PeerRestarts++;
                _link.GoDown("driver reset the status byte");
                _link.SetState(LinkState.WaitingForDriver);
                return -1;
            }

            if (RingsReinitialisedByDriver())
            {
                _counters.PeerRestarts++;
                _link.GoDown("driver re-initialised the rings");
                _link.SetState(LinkState.WaitingForDriver);
                if (!TryAttach())
                {
                    return -1;
                }
            }

            return ServiceRx();
        }

        // This side polls its RX ring (vring1): the driver may skip its kicks.
        internal void WriteRxPolling(bool polling)
        {
            _vring1.UsedFlags = polling ? Vring.UsedFlagNoNotify : (ushort)0;
        }

        private bool TryAttach()
        {
            byte status = ResourceTable.ReadStatus(_shm, _layout);
            if (!ResourceTable.IsDriverReady(status))
            {
                // No DRIVER_OK yet, or the DEVICE_NEEDS_RESET this side set is still there: the driver
                // has not reset and renegotiated yet.
                return false;
            }

            _shm.AcquireBarrier();
            uint accepted = _shm.ReadUInt32(_layout.ResourceTableOffset + ResourceTable.GFeaturesOffset);
            _link.NameService.Enabled = (accepted & ResourceTable.FeatureNameService) != 0;

            // Every buffer this side takes is returned in the same pass, so "next avail to take" equals
            // the used idx; a freshly initialised driver has both at 0.
            _txUsedShadow = _vring0.UsedIdx;
            _txLastAvail = _txUsedShadow;
            _txAvailSeen = _txLastAvail;
            _rxUsedShadow = _vring1.UsedIdx;
            _rxLastAvail = _rxUsedShadow;
            if ((ushort)(_vring1.AvailIdx - _rxUsedShadow) > _layout.VringNum
                || (ushort)(_vring0.AvailIdx - _txUsedShadow) > _layout.VringNum)
            {
                // A used idx store of this side's previous session landed after the driver zeroed the
                // rings (this side was descheduled between publishing a reply and returning the request's
                // buffer). Such rings cannot be trusted: ask for one more reset instead of attaching.
                _link.Report(LinkErrorCode.PeerRestart, "rings inconsistent at attach (vring1 avail " + _vring1.AvailIdx + ", used " + _rxUsedShadow
                    + "); asking the driver to reset again");
                ResourceTable.WriteStatus(_shm, _layout, (byte)(status | ResourceTable.StatusDeviceNeedsReset));
                _shm.FullBarrier();
                _link.Kick();
                return false;
            }

            _txWantsNotify = false;
            _vring0.UsedFlags = Vring.UsedFlagNoNotify;
            _vring1.UsedFlags = _link.RxPolling ? Vring.UsedFlagNoNotify : (ushort)0;
            _shm.FullBarrier();

            _link.MarkUp();
            _link.NameService.AnnouncePending();
            return true;
        }

        internal LinkSendStatus Send(uint source, uint destination, byte[] payload, int offset, int count)
        {
            int needed = RpmsgHeader.Size + count;
            for (int attempt = 0; attempt <= _layout.VringNum; attempt++)
            {
                // Buffers already seen posted (validated when read) need no new read of the driver's
                // avail idx, a cache line it keeps writing.
                ushort availIdx = _txAvailSeen;
                int pending = (ushort)(availIdx - _txLastAvail);
                if (pending == 0)
                {
                    availIdx = _vring0.AvailIdx;
                    _shm.AcquireBarrier();
                    pending = (ushort)(availIdx - _txLastAvail);
                }

                if (pending == 0 && !_txWantsNotify)
                {
                    // Out of driver RX buffers: ask for a kick when it re-posts, then look once more.
                    _txWantsNotify = true;
                    _vring0.UsedFlags = 0;
                    _shm.FullBarrier();
                    availIdx = _vring0.AvailIdx;
                    _shm.AcquireBarrier();
                    pending = (ushort)(availIdx - _txLastAvail);
                }

                if (pending == 0)
                {
                    return LinkSendStatus.NoTxBuffer;
                }

                if (_link.IsIndexJump(pending, "vring0 avail", _txLastAvail, availIdx))
                {
                    return LinkSendStatus.BadPeerBuffer;
                }

                _txAvailSeen = availIdx;
                ushort head = _vring0.AvailEntry(_txLastAvail);
                _txLastAvail++;
                int address;
                int length;
                if (!CheckDescriptor(_vring0, head, out address, out length))
                {
                    continue;
                }

                if (length < needed)
                {
                    _link.Report(LinkErrorCode.LengthBeyondBuffer, "vring0 descriptor " + head + " offers " + length + " bytes, the message needs " + needed);
                    ReturnTx(head, 0);
                    continue;
                }

                _link.WriteMessage(address, source, destination, payload, offset, count);
                ReturnTx(head, (uint)needed);
                if (_txWantsNotify)
                {
                    _txWantsNotify = false;
                    _vring0.UsedFlags = Vring.UsedFlagNoNotify;
                }

                return LinkSendStatus.Ok;
            }

            return LinkSendStatus.BadPeerBuffer;
        }

        private void ReturnTx(ushort head, uint length)
        {
            _vring0.SetUsedEntry(_txUsedShadow, head, length);
            _txUsedShadow++;
            _shm.ReleaseBarrier();
            _vring0.UsedIdx = _txUsedShadow;
            _shm.FullBarrier();
            if ((_vring0.AvailFlags & Vring.AvailFlagNoInterrupt) == 0)
            {
                _link.Kick();
            }
            else
            {
                _counters.KicksSuppressed++;
            }
        }

        /// <summary>Validates a descriptor chain the driver published. The message lives in the head
        /// descriptor; a NEXT chain is walked only to reject loops and bad indices.</summary>
        private bool CheckDescriptor(Vring ring, int head, out int address, out int length)
        {
            address = 0;
            length = 0;
            if (head >= ring.Num)
            {
                _link.Report(LinkErrorCode.DescriptorIndexOutOfRange, ring.Name + " avail entry names descriptor " + head + ", num is " + ring.Num);
                return false;
            }

            int index = head;
            int hops = 0;
            while ((ring.DescFlags(index) & Vring.DescFlagNext) != 0)
            {
                int next = ring.DescNext(index);
                if (next >= ring.Num)
                {
                    _link.Report(LinkErrorCode.DescriptorIndexOutOfRange, ring.Name + " descriptor " + index + " chains to " + next + ", num is " + ring.Num);
                    return false;
                }

                hops++;
                if (hops >= ring.Num)
                {
                    _link.Report(LinkErrorCode.DescriptorLoop, ring.Name + " descriptor chain from " + head + " loops (more than num links)");
                    return false;
                }

                index = next;
            }

            ulong da = ring.DescAddress(head);
            uint len = ring.DescLength(head);
            if (len > (uint)_layout.BufferSize)
            {
                _link.Report(LinkErrorCode.LengthBeyondBuffer, ring.Name + " descriptor " + head + " len " + len + " exceeds the buffer size " + _layout.BufferSize);
                return false;
            }

            if (da >= (ulong)_shm.Size || da + len > (ulong)_shm.Size)
            {
                _link.Report(LinkErrorCode.OutsideSharedMemory, ring.Name + " descriptor " + head + " addr 0x" + da.ToString("x") + " len " + len + " lies outside the shared memory (size 0x" + _shm.Size.ToString("x") + ")");
                return false;
            }

            if (da < (ulong)_layout.BufferBase || da + len > (ulong)_poolEnd)
            {
                _link.Report(LinkErrorCode.OutsideSharedMemory, ring.Name + " descriptor " + head + " addr 0x" + da.ToString("x") + " len " + len + " lies outside the buffer pool");
                return false;
            }

            address = (int)da;
            length = (int)len;
            return true;
        }

        // Delivers the driver's TX buffers and returns every one of them through the used ring.
        private int ServiceRx()
        {
            ushort availIdx = _vring1.AvailIdx;
            _shm.AcquireBarrier();
            if (!_link.HasNewEntries(availIdx, _rxLastAvail, "vring1 avail"))
            {
                return 0;
            }

            int delivered = 0;
            int returned = 0;
            while (_rxLastAvail != availIdx)
            {
                ushort head = _vring1.AvailEntry(_rxLastAvail);
                _rxLastAvail++;
                int address;
                int length;
                if (!CheckDescriptor(_vring1, head, out address, out length))
                {
                    if (head < _layout.VringNum)
                    {
                        _vring1.SetUsedEntry(_rxUsedShadow, head, 0);
                        _rxUsedShadow++;
                        returned++;
                    }

                    continue;
                }

                if (_link.ReadMessage(_vring1, head, address, length))
                {
                    delivered++;
                }

                _vring1.SetUsedEntry(_rxUsedShadow, head, (uint)length);
                _rxUsedShadow++;
                returned++;
            }

            if (returned > 0)
            {
                _shm.ReleaseBarrier();
                _vring1.UsedIdx = _rxUsedShadow;
                // Best-effort notification without a full barrier: only a driver starved of TX
                // buffers asks for it, and that driver re-reads the used ring on every TrySend.
                if ((_vring1.AvailFlags & Vring.AvailFlagNoInterrupt) == 0)
                {
                    _link.Kick();
                }
            }

            return delivered;
        }
    }
}
