// rpmsg over two split vrings in shared memory, in either role.
//
// Roles (Linux drivers/rpmsg/virtio_rpmsg_bus.c is the driver, OpenAMP's remote is the device):
//   Driver (host agent, Cortex-A): owns the buffer pool. Posts RxBufferCount buffers with the WRITE
//     flag on vring0 and keeps them posted; sends from the TX half of the pool on vring1 and reclaims
//     TX buffers from vring1's used ring when it needs one.
//   Device (island): takes the driver's RX buffers from vring0's avail ring to send, and consumes the
//     driver's TX buffers from vring1's avail ring, returning every buffer through the used ring.
//
// States (LinkState):
//   Down --Start--> Device: WaitingForDriver (table written, status 0)
//                   Driver: WaitingForDevice (no valid table yet) or Up
//   WaitingForDriver --Poll sees DRIVER_OK--> Up (announce endpoints)
//   WaitingForDevice --Poll sees a valid table--> Up (reset status, init rings, DRIVER_OK, announce)
//   Up --peer restart detected--> WaitingFor* and immediately re-attached when possible.
//
// Restart protocol (either side may restart at any moment; docs/link.md has the full story):
//   * The device writes the resource table (status 0) at every boot and uses no ring before DRIVER_OK.
//   * The driver at every start resets the status byte, zeroes and re-initialises both vrings, posts
//     its RX buffers, writes gfeatures, then DRIVER_OK.
//   * Driver detects a device restart: status byte no longer has DRIVER_OK (or the table vanished)
//     -> re-initialises the rings and sets DRIVER_OK again.
//   * Device detects a driver restart: status without DRIVER_OK, or a used idx in shared memory that
//     differs from the one it last wrote (the driver zeroed the rings) -> re-attaches as soon as
//     DRIVER_OK is set. NotifyPeerReset from the platform (kick socket closed/reconnected) makes the
//     device clear the status byte itself, so it never attaches to a dead driver's stale DRIVER_OK:
//     the driver sees the cleared status and re-initialises, exactly as after an island reboot.
//   * After every (re)attach both sides forget the peer's addresses and re-announce all their
//     endpoints through the name service (the OpenAMP field bug: endpoints not recreated).
//
// Reset handshake on the status byte (virtio 1.1 sections 2.1.2 and 3.1.1, legacy layout: no
// FEATURES_OK), which a peer that follows only the spec can honour:
//   * Driver (re)initialisation: status 0 (reset) -> ACKNOWLEDGE|DRIVER -> gfeatures, rings, buffers
//     -> ACKNOWLEDGE|DRIVER|DRIVER_OK (0x07, what Linux's virtio core writes; OpenAMP's driver
//     writes 0x04 alone, which this device accepts too: it only tests DRIVER_OK).
//   * Device finds the rings corrupt (a descriptor, index, used entry or rpmsg header that no sane
//     driver writes): it stops using the rings, sets DEVICE_NEEDS_RESET (0x40) in the status byte
//     (keeping the other bits) and kicks. It attaches again only to a status with DRIVER_OK and
//     without DEVICE_NEEDS_RESET, i.e. after the driver has reset and renegotiated.
//   * Driver finds the rings corrupt, or sees DEVICE_NEEDS_RESET: it resets and renegotiates as
//     above. The device notices in-band (status without DRIVER_OK, or used idx it did not write).
//   Both count the resets they ask for (RingResetsRequested) and the ones the peer asked for
//   (RingResetsByPeer: the driver counts DEVICE_NEEDS_RESET). The project's faster recovery on a
//   platform signal (NotifyPeerReset: kick socket closed) is kept on top of this.
//
// Notifications (virtio 1.1 section 2.6.7 and 2.6.10): a side that is polling its RX ring sets
// NO_INTERRUPT (driver, vring0 avail.flags) or NO_NOTIFY (device, vring1 used.flags); the sender
// publishes the idx, issues a full barrier and kicks only when the flag is clear. TX-buffer return
// and RX re-posting are not kicked unless the other side ran out of buffers and cleared its flag;
// those kicks are best-effort (no full barrier) because a starved sender re-reads the ring on every
// TrySend, so a lost one costs at most one wait timeout, never a message.
//
// Threading: single-threaded. Poll and TrySend must be called from the same thread. Nothing blocks.
using Stratos.Island.Codec;

namespace Stratos.Island.Link
{
    /// <summary>Which side of the virtio device this link plays.</summary>
    public enum LinkRole
    {
        Driver = 0,
        Device = 1,
    }

    /// <summary>rpmsg endpoints over a shared-memory virtio device (see the primer above).</summary>
    public sealed class RpmsgLink
    {
        private readonly LinkLayout _layout;
        private readonly ISharedMemory _shm;
        private readonly IDoorbell _doorbell;
        private readonly LinkRole _role;
        private readonly ILinkErrorSink _errors;
        private readonly Vring _vring0;
        private readonly Vring _vring1;
        private readonly int _maxPayload;
        private readonly int _poolEnd;
        private readonly byte[] _rx;
        private readonly byte[] _ns = new byte[RpmsgHeader.NameServiceMessageSize];
        private readonly RpmsgEndpoint[] _endpoints;
        private int _endpointCount;
        private uint _nextAddress = RpmsgHeader.FirstDynamicAddress;
        private LinkState _state;
        private bool _nameService;
        private bool _rxPolling;
        private bool _tableProblemReported;
        private int _lastBadIndex = -1;
        private LinkErrorCode _corruption;
        private string _corruptionDetail;

        // Driver side.
        private ushort _rxLastUsed;
        private ushort _rxAvailShadow;
        private readonly bool[] _rxInFlight;
        private readonly int[] _rxReposted;
        private ushort _txLastUsed;
        private ushort _txAvailShadow;
        private readonly bool[] _txInFlight;
        private readonly int[] _txFree;
        private int _txFreeCount;
        private bool _txWantsInterrupt;

        // Device side.
        private ushort _devTxLastAvail;
        private ushort _devTxAvailSeen;
        private ushort _devTxUsedShadow;
        private ushort _devRxLastAvail;
        private ushort _devRxUsedShadow;
        private bool _devTxWantsNotify;

        public RpmsgLink(LinkLayout layout, ISharedMemory sharedMemory, IDoorbell doorbell, LinkRole role,
            int maxEndpoints, LinkCounters counters, ILinkErrorSink errors, ILinkEventSink events)
        {
            string problem = layout.Validate();
            if (problem != null)
            {
                throw new System.ArgumentException(problem, "layout");
            }

            if (sharedMemory.Size < layout.SharedMemorySize)
            {
                throw new System.ArgumentException("shared memory is " + sharedMemory.Size + " bytes, the layout needs " + layout.SharedMemorySize, "sharedMemory");
            }

            _layout = layout;
            _shm = sharedMemory;
            _doorbell = doorbell;
            _role = role;
            Counters = counters != null ? counters : new LinkCounters();
            _errors = errors;
            Events = events;
            _vring0 = new Vring(sharedMemory, "vring0", layout.Vring0Address, layout.VringNum, layout.VringAlign);
            _vring1 = new Vring(sharedMemory, "vring1", layout.Vring1Address, layout.VringNum, layout.VringAlign);
            _maxPayload = layout.MaxPayload;
            _poolEnd = layout.BufferBase + layout.BufferCount * layout.BufferSize;
            _rx = new byte[layout.BufferSize];
            _endpoints = new RpmsgEndpoint[maxEndpoints];
            _rxInFlight = new bool[layout.RxBufferCount];
            _rxReposted = new int[layout.RxBufferCount];
            _txInFlight = new bool[layout.TxBufferCount];
            _txFree = new int[layout.TxBufferCount];
        }

        public LinkCounters Counters { get; private set; }

        public ILinkEventSink Events { get; set; }

        public LinkState State
        {
            get { return _state; }
        }

        public LinkRole Role
        {
            get { return _role; }
        }

        public LinkLayout Layout
        {
            get { return _layout; }
        }

        /// <summary>True once the name service feature was negotiated (dfeatures bit 0 acknowledged).</summary>
        public bool NameServiceEnabled
        {
            get { return _nameService; }
        }

        // ------------------------------------------------------------------ endpoints

        /// <summary>Creates a local endpoint; address RPMSG_ADDR_ANY picks the next free one from 0x400.
        /// Announced through the name service now (if up) and after every (re)attach.</summary>
        public RpmsgEndpoint CreateEndpoint(string name, uint address, IRpmsgSink sink)
        {
            if (name == null || name.Length == 0 || Utf8.ByteCount(name) > RpmsgHeader.NameSize - 1)
            {
                throw new System.ArgumentException("endpoint name must be 1..31 UTF-8 bytes", "name");
            }

            if (_endpointCount == _endpoints.Length)
            {
                throw new System.InvalidOperationException("endpoint table is full (" + _endpoints.Length + " endpoints)");
            }

            if (address == RpmsgHeader.AddressAny)
            {
                while (FindEndpoint(_nextAddress) != null)
                {
                    _nextAddress++;
                }

                address = _nextAddress++;
            }
            else if (address == RpmsgHeader.NameServiceAddress || FindEndpoint(address) != null)
            {
                throw new System.ArgumentException("endpoint address 0x" + address.ToString("x") + " is in use", "address");
            }

            RpmsgEndpoint endpoint = new RpmsgEndpoint(this, name, address, sink);
            _endpoints[_endpointCount++] = endpoint;
            endpoint.AnnouncePending = true;
            if (_state == LinkState.Up)
            {
                AnnouncePending();
            }

            return endpoint;
        }

        /// <summary>Removes a local endpoint and announces DESTROY when the link is up.</summary>
        public void DestroyEndpoint(RpmsgEndpoint endpoint)
        {
            for (int i = 0; i < _endpointCount; i++)
            {
                if (_endpoints[i] == endpoint)
                {
                    if (_state == LinkState.Up && _nameService)
                    {
                        SendNameService(endpoint, RpmsgHeader.NameServiceDestroy);
                    }

                    _endpointCount--;
                    _endpoints[i] = _endpoints[_endpointCount];
                    _endpoints[_endpointCount] = null;
                    return;
                }
            }
        }

        private RpmsgEndpoint FindEndpoint(uint address)
        {
            for (int i = 0; i < _endpointCount; i++)
            {
                if (_endpoints[i].LocalAddress == address)
                {
                    return _endpoints[i];
                }
            }

            return null;
        }

        // ------------------------------------------------------------------ lifecycle

        /// <summary>Device: writes the resource table (status 0) and waits for DRIVER_OK.
        /// Driver: resets the status, initialises rings and buffers and sets DRIVER_OK once the
        /// device's table is valid (otherwise waits; Poll retries).</summary>
        public void Start()
        {
            if (_role == LinkRole.Device)
            {
                ForgetPeer();
                ResourceTable.Write(_shm, _layout);
                _state = LinkState.WaitingForDriver;
            }
            else
            {
                TryAttachDriver();
            }
        }

        /// <summary>Device: withdraws the resource table (ver 0, status 0) so a driver sees at once that
        /// the device went away, exactly like before its first boot. The memory stays mapped and is
        /// re-initialised in place by the next Start. Driver: drops to Down.</summary>
        public void Stop()
        {
            if (_role == LinkRole.Device)
            {
                _shm.WriteUInt32(_layout.ResourceTableOffset, 0);
                ResourceTable.WriteStatus(_shm, _layout, 0);
                _shm.FullBarrier();
                Kick();
            }

            if (_state == LinkState.Up && Events != null)
            {
                Events.OnLinkDown("stopped");
            }

            _state = LinkState.Down;
        }

        /// <summary>The platform saw the peer go away or come back (kick socket closed or a new
        /// connection). The link drops the peer's state and re-attaches as soon as it can.</summary>
        public void NotifyPeerReset(string reason)
        {
            if (_state != LinkState.Up)
            {
                return;
            }

            if (_role == LinkRole.Device && (_vring0.UsedIdx != _devTxUsedShadow || _vring1.UsedIdx != _devRxUsedShadow))
            {
                // A new driver already re-initialised the rings: Poll's in-band detection re-attaches
                // to them; clearing DRIVER_OK now would only force a second, needless re-init.
                return;
            }

            Counters.PeerRestarts++;
            GoDown(reason);
            if (_role == LinkRole.Driver)
            {
                TryAttachDriver();
            }
            else
            {
                // The DRIVER_OK still in the table may be the dead driver's: never attach to it.
                // Clearing it makes any driver (a new one, or the old one after a glitch) re-initialise
                // the rings and set DRIVER_OK again, so the next attach always sees fresh rings.
                ResourceTable.WriteStatus(_shm, _layout, 0);
                _shm.FullBarrier();
                _state = LinkState.WaitingForDriver;
            }
        }

        /// <summary>Tells the peer whether this side is busy-polling its RX ring (peer may skip kicks).</summary>
        public void SetRxPolling(bool polling)
        {
            if (polling == _rxPolling)
            {
                return; // unchanged: no store, no fence (this is called on every wait)
            }

            _rxPolling = polling;
            if (_state == LinkState.Up)
            {
                if (_role == LinkRole.Driver)
                {
                    _vring0.AvailFlags = polling ? Vring.AvailFlagNoInterrupt : (ushort)0;
                }
                else
                {
                    _vring1.UsedFlags = polling ? Vring.UsedFlagNoNotify : (ushort)0;
                }

                _shm.FullBarrier();
            }
        }

        /// <summary>Services the link: handshake, restart detection, received messages (delivered to
        /// the endpoint sinks) and pending announcements. Returns the number of messages delivered.</summary>
        public int Poll()
        {
            if (_state == LinkState.Down)
            {
                return 0;
            }

            int delivered;
            if (_role == LinkRole.Device)
            {
                if (_shm.ReadUInt32(_layout.ResourceTableOffset) != ResourceTable.Version)
                {
                    // The window was wiped or recreated under us: publish the table again.
                    Report(LinkErrorCode.PeerRestart, "resource table at 0x" + _layout.ResourceTableOffset.ToString("x") + " vanished; rewriting it");
                    if (_state == LinkState.Up)
                    {
                        Counters.PeerRestarts++;
                        GoDown("resource table vanished");
                    }

                    ResourceTable.Write(_shm, _layout);
                    _state = LinkState.WaitingForDriver;
                }

                if (_state == LinkState.WaitingForDriver && !TryAttachDevice())
                {
                    return 0;
                }

                if (!ResourceTable.IsDriverReady(ResourceTable.ReadStatus(_shm, _layout)))
                {
                    Counters.PeerRestarts++;
                    GoDown("driver reset the status byte");
                    _state = LinkState.WaitingForDriver;
                    return 0;
                }

                if (_vring0.UsedIdx != _devTxUsedShadow || _vring1.UsedIdx != _devRxUsedShadow)
                {
                    Counters.PeerRestarts++;
                    GoDown("driver re-initialised the rings");
                    _state = LinkState.WaitingForDriver;
                    if (!TryAttachDevice())
                    {
                        return 0;
                    }
                }

                delivered = DeviceServiceRx();
            }
            else
            {
                if (_state == LinkState.WaitingForDevice && !TryAttachDriver())
                {
                    return 0;
                }

                byte status = ResourceTable.ReadStatus(_shm, _layout);
                if ((status & ResourceTable.StatusDeviceNeedsReset) != 0 && (status & ResourceTable.StatusDriverOk) != 0
                    && _shm.ReadUInt32(_layout.ResourceTableOffset) == ResourceTable.Version)
                {
                    // The device asks for a reset (it found the rings corrupt): reset and renegotiate.
                    Counters.RingResetsByPeer++;
                    GoDown("device set DEVICE_NEEDS_RESET (ring reset)");
                    if (!TryAttachDriver())
                    {
                        return 0;
                    }
                }
                else if ((status & ResourceTable.StatusDriverOk) == 0
                    || _shm.ReadUInt32(_layout.ResourceTableOffset) != ResourceTable.Version)
                {
                    Counters.PeerRestarts++;
                    GoDown("device rewrote its resource table (restart)");
                    if (!TryAttachDriver())
                    {
                        return 0;
                    }
                }

                delivered = DriverServiceRx();
            }

            if (_corruption != LinkErrorCode.None)
            {
                HealCorruption();
                return delivered;
            }

            AnnouncePending();
            return delivered;
        }

        // Something this side read from the rings cannot come from a sane peer (see IsCorruption):
        // the rings are reset through the status byte (RequestReset) instead of limping on.
        private void HealCorruption()
        {
            LinkErrorCode code = _corruption;
            string detail = _corruptionDetail;
            _corruption = LinkErrorCode.None;
            _corruptionDetail = null;
            if (_state != LinkState.Up)
            {
                return;
            }

            ResetForCorruption(detail + " (" + LinkCounters.ErrorName(code) + ")");
        }

        private void ResetForCorruption(string detail)
        {
            if (_state != LinkState.Up)
            {
                return;
            }

            Counters.RingResetsRequested++;
            RequestReset("ring reset: " + detail);
        }

        private void GoDown(string reason)
        {
            _state = _role == LinkRole.Driver ? LinkState.WaitingForDevice : LinkState.WaitingForDriver;
            ForgetPeer();
            if (Events != null)
            {
                Events.OnLinkDown(reason);
            }
        }

        private void ForgetPeer()
        {
            for (int i = 0; i < _endpointCount; i++)
            {
                _endpoints[i].RemoteAddress = RpmsgHeader.AddressAny;
                _endpoints[i].AnnouncePending = true;
            }
        }

        private bool TryAttachDriver()
        {
            string problem = ResourceTable.Check(_shm, _layout);
            if (problem != null)
            {
                _state = LinkState.WaitingForDevice;
                // An empty table is a device that has not booted yet; anything else is reported once.
                if (_shm.ReadUInt32(_layout.ResourceTableOffset) != 0 && !_tableProblemReported)
                {
                    _tableProblemReported = true;
                    Report(LinkErrorCode.BadResourceTable, problem);
                }

                return false;
            }

            _tableProblemReported = false;
            // virtio 1.1 section 3.1.1: reset, then ACKNOWLEDGE and DRIVER before touching the device.
            ResourceTable.WriteStatus(_shm, _layout, 0);
            _shm.FullBarrier();
            ResourceTable.WriteStatus(_shm, _layout, ResourceTable.StatusAcknowledge | ResourceTable.StatusDriver);
            _shm.FullBarrier();
            _corruption = LinkErrorCode.None;

            uint offered = _shm.ReadUInt32(_layout.ResourceTableOffset + ResourceTable.DFeaturesOffset);
            uint accepted = offered & ResourceTable.FeatureNameService;
            _shm.WriteUInt32(_layout.ResourceTableOffset + ResourceTable.GFeaturesOffset, accepted);
            _nameService = accepted != 0;

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
            _vring0.AvailFlags = _rxPolling ? Vring.AvailFlagNoInterrupt : (ushort)0;
            _shm.ReleaseBarrier();
            _vring0.AvailIdx = _rxAvailShadow;
            _shm.ReleaseBarrier();
            ResourceTable.WriteStatus(_shm, _layout, ResourceTable.StatusAcknowledge | ResourceTable.StatusDriver | ResourceTable.StatusDriverOk);
            _shm.FullBarrier();

            ForgetPeer();
            _state = LinkState.Up;
            Counters.LinkUps++;
            if (Events != null)
            {
                Events.OnLinkUp();
            }

            Kick();
            AnnouncePending();
            return true;
        }

        private bool TryAttachDevice()
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
            _nameService = (accepted & ResourceTable.FeatureNameService) != 0;

            // Every buffer this side takes is returned in the same pass, so "next avail to take" equals
            // the used idx; a freshly initialised driver has both at 0.
            _devTxUsedShadow = _vring0.UsedIdx;
            _devTxLastAvail = _devTxUsedShadow;
            _devTxAvailSeen = _devTxLastAvail;
            _devRxUsedShadow = _vring1.UsedIdx;
            _devRxLastAvail = _devRxUsedShadow;
            if ((ushort)(_vring1.AvailIdx - _devRxUsedShadow) > _layout.VringNum
                || (ushort)(_vring0.AvailIdx - _devTxUsedShadow) > _layout.VringNum)
            {
                // A used idx store of this side's previous session landed after the driver zeroed the
                // rings (this side was descheduled between publishing a reply and returning the request's
                // buffer). Such rings cannot be trusted: ask for one more reset instead of attaching.
                Report(LinkErrorCode.PeerRestart, "rings inconsistent at attach (vring1 avail " + _vring1.AvailIdx + ", used " + _devRxUsedShadow
                    + "); asking the driver to reset again");
                ResourceTable.WriteStatus(_shm, _layout, (byte)(status | ResourceTable.StatusDeviceNeedsReset));
                _shm.FullBarrier();
                Kick();
                return false;
            }

            _devTxWantsNotify = false;
            _corruption = LinkErrorCode.None;
            _vring0.UsedFlags = Vring.UsedFlagNoNotify;
            _vring1.UsedFlags = _rxPolling ? Vring.UsedFlagNoNotify : (ushort)0;
            _shm.FullBarrier();

            ForgetPeer();
            _state = LinkState.Up;
            Counters.LinkUps++;
            if (Events != null)
            {
                Events.OnLinkUp();
            }

            AnnouncePending();
            return true;
        }

        // ------------------------------------------------------------------ sending

        /// <summary>Sends one message without waiting. Never throws for any argument.</summary>
        public LinkSendStatus TrySend(uint source, uint destination, byte[] payload, int offset, int count)
        {
            if (payload == null || offset < 0 || count < 0 || offset > payload.Length - count)
            {
                return LinkSendStatus.BadArgument;
            }

            if (count > _maxPayload)
            {
                Counters.TxTooLarge++;
                return LinkSendStatus.TooLarge;
            }

            if (_state != LinkState.Up)
            {
                Counters.TxNotReady++;
                return LinkSendStatus.NotReady;
            }

            if (destination == RpmsgHeader.AddressAny)
            {
                return LinkSendStatus.NoDestination;
            }

            LinkSendStatus status = _role == LinkRole.Driver
                ? DriverSend(source, destination, payload, offset, count)
                : DeviceSend(source, destination, payload, offset, count);
            if (status == LinkSendStatus.Ok)
            {
                Counters.TxMessages++;
                Counters.TxBytes += count;
            }
            else if (status == LinkSendStatus.NoTxBuffer)
            {
                Counters.TxNoBuffer++;
            }

            return status;
        }

        private void WriteMessage(int at, uint source, uint destination, byte[] payload, int offset, int count)
        {
            _shm.WriteUInt32(at + RpmsgHeader.SrcOffset, source);
            _shm.WriteUInt32(at + RpmsgHeader.DstOffset, destination);
            _shm.WriteUInt32(at + RpmsgHeader.ReservedOffset, 0);
            _shm.WriteUInt16(at + RpmsgHeader.LenOffset, (ushort)count);
            _shm.WriteUInt16(at + RpmsgHeader.FlagsOffset, 0);
            if (count > 0)
            {
                _shm.WriteBytes(at + RpmsgHeader.Size, payload, offset, count);
            }
        }

        private LinkSendStatus DriverSend(uint source, uint destination, byte[] payload, int offset, int count)
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
            WriteMessage(at, source, destination, payload, offset, count);
            _txInFlight[index] = true;
            _vring1.SetAvailEntry(_txAvailShadow, (ushort)index);
            _txAvailShadow++;
            _shm.ReleaseBarrier();
            _vring1.AvailIdx = _txAvailShadow;
            _shm.FullBarrier();
            if ((_vring1.UsedFlags & Vring.UsedFlagNoNotify) == 0)
            {
                Kick();
            }
            else
            {
                Counters.KicksSuppressed++;
            }

            return LinkSendStatus.Ok;
        }

        private void ReclaimTx()
        {
            ushort usedIdx = _vring1.UsedIdx;
            _shm.AcquireBarrier();
            int pending = (ushort)(usedIdx - _txLastUsed);
            if (pending == 0)
            {
                return;
            }

            if (pending > _layout.VringNum)
            {
                ReportIndexJump("vring1 used", _txLastUsed, usedIdx);
                ResetForCorruption("vring1 used idx inconsistent");
                return;
            }

            while (_txLastUsed != usedIdx)
            {
                uint id = _vring1.UsedEntryId(_txLastUsed);
                _txLastUsed++;
                if (id >= (uint)_layout.TxBufferCount)
                {
                    Report(LinkErrorCode.DescriptorIndexOutOfRange, "vring1 used entry names descriptor " + id + ", only " + _layout.TxBufferCount + " TX buffers exist");
                    continue;
                }

                if (!_txInFlight[id])
                {
                    Report(LinkErrorCode.DuplicateBuffer, "vring1 used entry returns TX buffer " + id + " which was not in flight");
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

        private LinkSendStatus DeviceSend(uint source, uint destination, byte[] payload, int offset, int count)
        {
            int needed = RpmsgHeader.Size + count;
            for (int attempt = 0; attempt <= _layout.VringNum; attempt++)
            {
                // Buffers already seen posted (validated when read) need no new read of the driver's
                // avail idx, a cache line it keeps writing.
                ushort availIdx = _devTxAvailSeen;
                int pending = (ushort)(availIdx - _devTxLastAvail);
                if (pending == 0)
                {
                    availIdx = _vring0.AvailIdx;
                    _shm.AcquireBarrier();
                    pending = (ushort)(availIdx - _devTxLastAvail);
                }

                if (pending == 0 && !_devTxWantsNotify)
                {
                    // Out of driver RX buffers: ask for a kick when it re-posts, then look once more.
                    _devTxWantsNotify = true;
                    _vring0.UsedFlags = 0;
                    _shm.FullBarrier();
                    availIdx = _vring0.AvailIdx;
                    _shm.AcquireBarrier();
                    pending = (ushort)(availIdx - _devTxLastAvail);
                }

                if (pending == 0)
                {
                    return LinkSendStatus.NoTxBuffer;
                }

                if (pending > _layout.VringNum)
                {
                    ReportIndexJump("vring0 avail", _devTxLastAvail, availIdx);
                    ResetForCorruption("vring0 avail idx inconsistent");
                    return LinkSendStatus.BadPeerBuffer;
                }

                _devTxAvailSeen = availIdx;
                ushort head = _vring0.AvailEntry(_devTxLastAvail);
                _devTxLastAvail++;
                int address;
                int length;
                if (!CheckDescriptor(_vring0, head, out address, out length))
                {
                    continue;
                }

                if (length < needed)
                {
                    Report(LinkErrorCode.LengthBeyondBuffer, "vring0 descriptor " + head + " offers " + length + " bytes, the message needs " + needed);
                    ReturnDeviceTx(head, 0);
                    continue;
                }

                WriteMessage(address, source, destination, payload, offset, count);
                ReturnDeviceTx(head, (uint)needed);
                if (_devTxWantsNotify)
                {
                    _devTxWantsNotify = false;
                    _vring0.UsedFlags = Vring.UsedFlagNoNotify;
                }

                return LinkSendStatus.Ok;
            }

            return LinkSendStatus.BadPeerBuffer;
        }

        private void ReturnDeviceTx(ushort head, uint length)
        {
            _vring0.SetUsedEntry(_devTxUsedShadow, head, length);
            _devTxUsedShadow++;
            _shm.ReleaseBarrier();
            _vring0.UsedIdx = _devTxUsedShadow;
            _shm.FullBarrier();
            if ((_vring0.AvailFlags & Vring.AvailFlagNoInterrupt) == 0)
            {
                Kick();
            }
            else
            {
                Counters.KicksSuppressed++;
            }
        }

        /// <summary>Validates a descriptor chain the driver published (device side). The message lives
        /// in the head descriptor; a NEXT chain is walked only to reject loops and bad indices.</summary>
        private bool CheckDescriptor(Vring ring, int head, out int address, out int length)
        {
            address = 0;
            length = 0;
            if (head >= ring.Num)
            {
                Report(LinkErrorCode.DescriptorIndexOutOfRange, ring.Name + " avail entry names descriptor " + head + ", num is " + ring.Num);
                return false;
            }

            int index = head;
            int hops = 0;
            while ((ring.DescFlags(index) & Vring.DescFlagNext) != 0)
            {
                int next = ring.DescNext(index);
                if (next >= ring.Num)
                {
                    Report(LinkErrorCode.DescriptorIndexOutOfRange, ring.Name + " descriptor " + index + " chains to " + next + ", num is " + ring.Num);
                    return false;
                }

                hops++;
                if (hops >= ring.Num)
                {
                    Report(LinkErrorCode.DescriptorLoop, ring.Name + " descriptor chain from " + head + " loops (more than num links)");
                    return false;
                }

                index = next;
            }

            ulong da = ring.DescAddress(head);
            uint len = ring.DescLength(head);
            if (len > (uint)_layout.BufferSize)
            {
                Report(LinkErrorCode.LengthBeyondBuffer, ring.Name + " descriptor " + head + " len " + len + " exceeds the buffer size " + _layout.BufferSize);
                return false;
            }

            if (da >= (ulong)_shm.Size || da + len > (ulong)_shm.Size)
            {
                Report(LinkErrorCode.OutsideSharedMemory, ring.Name + " descriptor " + head + " addr 0x" + da.ToString("x") + " len " + len + " lies outside the shared memory (size 0x" + _shm.Size.ToString("x") + ")");
                return false;
            }

            if (da < (ulong)_layout.BufferBase || da + len > (ulong)_poolEnd)
            {
                Report(LinkErrorCode.OutsideSharedMemory, ring.Name + " descriptor " + head + " addr 0x" + da.ToString("x") + " len " + len + " lies outside the buffer pool");
                return false;
            }

            address = (int)da;
            length = (int)len;
            return true;
        }

        // ------------------------------------------------------------------ receiving

        private int DeviceServiceRx()
        {
            ushort availIdx = _vring1.AvailIdx;
            _shm.AcquireBarrier();
            int pending = (ushort)(availIdx - _devRxLastAvail);
            if (pending == 0)
            {
                return 0;
            }

            if (pending > _layout.VringNum)
            {
                ReportIndexJump("vring1 avail", _devRxLastAvail, availIdx);
                ResetForCorruption("vring1 avail idx inconsistent");
                return 0;
            }

            int delivered = 0;
            int returned = 0;
            while (_devRxLastAvail != availIdx)
            {
                ushort head = _vring1.AvailEntry(_devRxLastAvail);
                _devRxLastAvail++;
                int address;
                int length;
                if (!CheckDescriptor(_vring1, head, out address, out length))
                {
                    if (head < _layout.VringNum)
                    {
                        _vring1.SetUsedEntry(_devRxUsedShadow, head, 0);
                        _devRxUsedShadow++;
                        returned++;
                    }

                    continue;
                }

                if (ReadMessage(_vring1, head, address, length))
                {
                    delivered++;
                }

                _vring1.SetUsedEntry(_devRxUsedShadow, head, (uint)length);
                _devRxUsedShadow++;
                returned++;
            }

            if (returned > 0)
            {
                _shm.ReleaseBarrier();
                _vring1.UsedIdx = _devRxUsedShadow;
                // Best-effort notification without a full barrier: only a driver starved of TX
                // buffers asks for it, and that driver re-reads the used ring on every TrySend.
                if ((_vring1.AvailFlags & Vring.AvailFlagNoInterrupt) == 0)
                {
                    Kick();
                }
            }

            return delivered;
        }

        private int DriverServiceRx()
        {
            ushort usedIdx = _vring0.UsedIdx;
            _shm.AcquireBarrier();
            int pending = (ushort)(usedIdx - _rxLastUsed);
            if (pending == 0)
            {
                return 0;
            }

            if (pending > _layout.VringNum)
            {
                ReportIndexJump("vring0 used", _rxLastUsed, usedIdx);
                ResetForCorruption("vring0 used idx inconsistent");
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
                    Report(LinkErrorCode.DescriptorIndexOutOfRange, "vring0 used entry names descriptor " + id + ", only " + _layout.RxBufferCount + " RX buffers exist");
                    continue;
                }

                if (!_rxInFlight[id])
                {
                    Report(LinkErrorCode.DuplicateBuffer, "vring0 used entry returns RX buffer " + id + " which was not posted");
                    continue;
                }

                _rxInFlight[id] = false;
                if (length > (uint)_layout.BufferSize)
                {
                    Report(LinkErrorCode.LengthBeyondBuffer, "vring0 used entry for buffer " + id + " has len " + length + ", beyond the buffer size " + _layout.BufferSize);
                }
                else if (ReadMessage(_vring0, (int)id, _layout.RxBufferBase + (int)id * _layout.BufferSize, (int)length))
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
                    Kick();
                }
            }

            return delivered;
        }

        /// <summary>Parses and dispatches the message in one buffer. Returns true when an endpoint got it.</summary>
        private bool ReadMessage(Vring ring, int descriptor, int address, int available)
        {
            if (available < RpmsgHeader.Size)
            {
                Report(LinkErrorCode.HeaderLengthBeyondDescriptor, ring.Name + " buffer " + descriptor + " holds " + available + " bytes, less than the 16-byte rpmsg header");
                return false;
            }

            uint source = _shm.ReadUInt32(address + RpmsgHeader.SrcOffset);
            uint destination = _shm.ReadUInt32(address + RpmsgHeader.DstOffset);
            int length = _shm.ReadUInt16(address + RpmsgHeader.LenOffset);
            if (length > _maxPayload)
            {
                Report(LinkErrorCode.HeaderLengthTooLarge, ring.Name + " buffer " + descriptor + ": rpmsg header len " + length + " exceeds the maximum payload " + _maxPayload);
                return false;
            }

            if (RpmsgHeader.Size + length > available)
            {
                Report(LinkErrorCode.HeaderLengthBeyondDescriptor, ring.Name + " buffer " + descriptor + ": rpmsg header len " + length + " runs past the " + available + " bytes the descriptor holds");
                return false;
            }

            _shm.ReadBytes(address + RpmsgHeader.Size, _rx, 0, length);
            if (destination == RpmsgHeader.NameServiceAddress && _nameService)
            {
                HandleNameService(source, length);
                return false;
            }

            RpmsgEndpoint endpoint = FindEndpoint(destination);
            if (endpoint == null)
            {
                Report(LinkErrorCode.UnknownDestination, ring.Name + " buffer " + descriptor + ": no local endpoint at destination 0x" + destination.ToString("x") + " (from 0x" + source.ToString("x") + ")");
                return false;
            }

            if (endpoint.RemoteAddress == RpmsgHeader.AddressAny)
            {
                endpoint.RemoteAddress = source;
            }

            Counters.RxMessages++;
            Counters.RxBytes += length;
            if (endpoint.Sink != null)
            {
                endpoint.Sink.OnMessage(source, destination, _rx, 0, length);
            }

            return true;
        }

        // ------------------------------------------------------------------ name service

        private void HandleNameService(uint source, int length)
        {
            if (length != RpmsgHeader.NameServiceMessageSize)
            {
                Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + " is " + length + " bytes, expected 40");
                return;
            }

            int nameLength = 0;
            while (nameLength < RpmsgHeader.NameSize && _rx[nameLength] != 0)
            {
                nameLength++;
            }

            if (nameLength == RpmsgHeader.NameSize)
            {
                Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": name is not NUL-terminated within 32 bytes");
                return;
            }

            if (nameLength == 0)
            {
                Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": empty name");
                return;
            }

            uint address = (uint)(_rx[32] | (_rx[33] << 8) | (_rx[34] << 16) | (_rx[35] << 24));
            uint flags = (uint)(_rx[36] | (_rx[37] << 8) | (_rx[38] << 16) | (_rx[39] << 24));
            if (flags > RpmsgHeader.NameServiceCreateAck)
            {
                Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": unknown flags " + flags);
                return;
            }

            if (address == RpmsgHeader.AddressAny || address == RpmsgHeader.NameServiceAddress)
            {
                Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": invalid address 0x" + address.ToString("x"));
                return;
            }

            bool created = flags != RpmsgHeader.NameServiceDestroy;
            for (int i = 0; i < _endpointCount; i++)
            {
                RpmsgEndpoint endpoint = _endpoints[i];
                if (endpoint.NameLength != nameLength || !SameBytes(endpoint.NameBytes, _rx, nameLength))
                {
                    continue;
                }

                if (created)
                {
                    endpoint.RemoteAddress = address;
                }
                else if (endpoint.RemoteAddress == address)
                {
                    endpoint.RemoteAddress = RpmsgHeader.AddressAny;
                }
            }

            if (Events != null)
            {
                Events.OnRemoteChannel(Utf8.Decode(_rx, 0, nameLength), address, created);
            }
        }

        private static bool SameBytes(byte[] a, byte[] b, int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (a[i] != b[i])
                {
                    return false;
                }
            }

            return true;
        }

        private void AnnouncePending()
        {
            if (_state != LinkState.Up)
            {
                return;
            }

            for (int i = 0; i < _endpointCount; i++)
            {
                RpmsgEndpoint endpoint = _endpoints[i];
                if (!endpoint.AnnouncePending)
                {
                    continue;
                }

                if (!_nameService)
                {
                    endpoint.AnnouncePending = false;
                    continue;
                }

                if (SendNameService(endpoint, RpmsgHeader.NameServiceCreate) != LinkSendStatus.Ok)
                {
                    return; // no buffer: retried on the next Poll
                }

                endpoint.AnnouncePending = false;
            }
        }

        private LinkSendStatus SendNameService(RpmsgEndpoint endpoint, uint flags)
        {
            System.Array.Clear(_ns, 0, _ns.Length);
            System.Array.Copy(endpoint.NameBytes, 0, _ns, 0, endpoint.NameLength);
            uint address = endpoint.LocalAddress;
            _ns[32] = (byte)address;
            _ns[33] = (byte)(address >> 8);
            _ns[34] = (byte)(address >> 16);
            _ns[35] = (byte)(address >> 24);
            _ns[36] = (byte)flags;
            return _role == LinkRole.Driver
                ? DriverSend(endpoint.LocalAddress, RpmsgHeader.NameServiceAddress, _ns, 0, _ns.Length)
                : DeviceSend(endpoint.LocalAddress, RpmsgHeader.NameServiceAddress, _ns, 0, _ns.Length);
        }

        // ------------------------------------------------------------------ helpers

        private void Kick()
        {
            Counters.KicksSent++;
            if (_doorbell != null)
            {
                _doorbell.Kick();
            }
        }

        // An idx more than num away from what this side consumed is impossible for a sane peer: the
        // rings are inconsistent (corruption, or a restart seen half-way). The entries are ignored and
        // the rings are rebuilt (RequestReset). Reported once per distinct bad value.
        private void ReportIndexJump(string field, ushort consumed, ushort published)
        {
            if (_lastBadIndex == published)
            {
                return;
            }

            _lastBadIndex = published;
            Report(LinkErrorCode.IndexJump, field + " idx jumped from " + consumed + " to " + published + " (more than num " + _layout.VringNum + ")");
        }

        // Ring state that cannot be trusted any more. Device: withdraws DRIVER_OK by setting
        // DEVICE_NEEDS_RESET (virtio 1.1 section 2.1.2), which makes the driver re-initialise the rings.
        // Driver: re-initialises them itself (the device sees that in-band).
        private void RequestReset(string reason)
        {
            if (_state != LinkState.Up)
            {
                return;
            }

            GoDown(reason);
            if (_role == LinkRole.Device)
            {
                byte status = ResourceTable.ReadStatus(_shm, _layout);
                ResourceTable.WriteStatus(_shm, _layout, (byte)(status | ResourceTable.StatusDeviceNeedsReset));
                _shm.FullBarrier();
                Kick();
            }
            else
            {
                TryAttachDriver();
            }
        }

        private void Report(LinkErrorCode code, string message)
        {
            if (_state == LinkState.Up && _corruption == LinkErrorCode.None && LinkCounters.IsCorruption(code))
            {
                // Healed at the end of this Poll (or the next one, for a send): see HealCorruption.
                _corruption = code;
                _corruptionDetail = message;
            }

            Counters.CountError(code);
            if (_errors != null)
            {
                _errors.OnLinkError(code, message);
            }
        }
    }
}
