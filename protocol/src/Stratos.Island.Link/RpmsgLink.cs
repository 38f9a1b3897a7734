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
// Parts: this class holds what both roles share (endpoints, states, message parsing and dispatch,
// error reporting and ring-reset healing, kicks); the ring work of each role is in RpmsgDriverRole.cs
// and RpmsgDeviceRole.cs (one of them per link), the name service in RpmsgNameService.cs.
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
        private readonly int _maxPayload;
        private readonly byte[] _rx;
        private readonly RpmsgEndpoint[] _endpoints;
        private readonly RpmsgDriverRole _driver; // null in the device role
        private readonly RpmsgDeviceRole _device; // null in the driver role
        private readonly RpmsgNameService _nameService;
        private int _endpointCount;
        private uint _nextAddress = RpmsgHeader.FirstDynamicAddress;
        private LinkState _state;
        private bool _rxPolling;
        private int _lastBadIndex = -1;
        private LinkErrorCode _corruption;
        private string _corruptionDetail;

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
            Vring vring0 = new Vring(sharedMemory, "vring0", layout.Vring0Address, layout.VringNum, layout.VringAlign);
            Vring vring1 = new Vring(sharedMemory, "vring1", layout.Vring1Address, layout.VringNum, layout.VringAlign);
            _maxPayload = layout.MaxPayload;
            _rx = new byte[layout.BufferSize];
            _endpoints = new RpmsgEndpoint[maxEndpoints];
            _nameService = new RpmsgNameService(this);
            if (role == LinkRole.Driver)
            {
                _driver = new RpmsgDriverRole(this, layout, sharedMemory, vring0, vring1, Counters);
            }
            else
            {
                _device = new RpmsgDeviceRole(this, layout, sharedMemory, vring0, vring1, Counters);
            }
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
            get { return _nameService.Enabled; }
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
                _nameService.AnnouncePending();
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
                    if (_state == LinkState.Up && _nameService.Enabled)
                    {
                        _nameService.Send(endpoint, RpmsgHeader.NameServiceDestroy);
                    }

                    _endpointCount--;
                    _endpoints[i] = _endpoints[_endpointCount];
                    _endpoints[_endpointCount] = null;
                    return;
                }
            }
        }

        internal int EndpointCount
        {
            get { return _endpointCount; }
        }

        internal RpmsgEndpoint EndpointAt(int index)
        {
            return _endpoints[index];
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
            if (_device != null)
            {
                _device.Start();
            }
            else
            {
                _driver.TryAttach();
            }
        }

        /// <summary>Device: withdraws the resource table (ver 0, status 0) so a driver sees at once that
        /// the device went away, exactly like before its first boot. The memory stays mapped and is
        /// re-initialised in place by the next Start. Driver: drops to Down.</summary>
        public void Stop()
        {
            if (_device != null)
            {
                _device.WithdrawTable();
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

            if (_device != null && _device.RingsReinitialisedByDriver())
            {
                // A new driver already re-initialised the rings: Poll's in-band detection re-attaches
                // to them; clearing DRIVER_OK now would only force a second, needless re-init.
                return;
            }

            Counters.PeerRestarts++;
            GoDown(reason);
            if (_driver != null)
            {
                _driver.TryAttach();
            }
            else
            {
                _device.ClearDriverOk();
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
                if (_driver != null)
                {
                    _driver.WriteRxPolling(polling);
                }
                else
                {
                    _device.WriteRxPolling(polling);
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

            int delivered = _device != null ? _device.Service() : _driver.Service();
            if (delivered < 0)
            {
                return 0; // not up after restart detection: nothing more in this Poll
            }

            if (_corruption != LinkErrorCode.None)
            {
                HealCorruption();
                return delivered;
            }

            _nameService.AnnouncePending();
            return delivered;
        }

        internal bool RxPolling
        {
            get { return _rxPolling; }
        }

        internal RpmsgNameService NameService
        {
            get { return _nameService; }
        }

        internal void SetState(LinkState state)
        {
            _state = state;
        }

        // A role attached: both sides forget the peer's addresses (re-announced by the name service).
        internal void MarkUp()
        {
            _corruption = LinkErrorCode.None;
            ForgetPeer();
            _state = LinkState.Up;
            Counters.LinkUps++;
            if (Events != null)
            {
                Events.OnLinkUp();
            }
        }

        internal void GoDown(string reason)
        {
            _state = _role == LinkRole.Driver ? LinkState.WaitingForDevice : LinkState.WaitingForDriver;
            ForgetPeer();
            if (Events != null)
            {
                Events.OnLinkDown(reason);
            }
        }

        internal void ForgetPeer()
        {
            for (int i = 0; i < _endpointCount; i++)
            {
                _endpoints[i].RemoteAddress = RpmsgHeader.AddressAny;
                _endpoints[i].AnnouncePending = true;
            }
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
            if (_device != null)
            {
                _device.RequestReset();
            }
            else
            {
                _driver.TryAttach();
            }
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

            LinkSendStatus status = _driver != null
                ? _driver.Send(source, destination, payload, offset, count)
                : _device.Send(source, destination, payload, offset, count);
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

        // The role's send, without the checks and counters of TrySend (the name service's path).
        internal LinkSendStatus SendOnRings(uint source, uint destination, byte[] payload, int offset, int count)
        {
            return _driver != null
                ? _driver.Send(source, destination, payload, offset, count)
                : _device.Send(source, destination, payload, offset, count);
        }

        // The rpmsg header and payload of one message into the buffer at `at`.
        internal void WriteMessage(int at, uint source, uint destination, byte[] payload, int offset, int count)
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

        // ------------------------------------------------------------------ receiving

        /// <summary>Parses and dispatches the message in one buffer. Returns true when an endpoint got it.</summary>
        internal bool ReadMessage(Vring ring, int descriptor, int address, int available)
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
            if (destination == RpmsgHeader.NameServiceAddress && _nameService.Enabled)
            {
                _nameService.Receive(source, _rx, length);
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

        // ------------------------------------------------------------------ helpers

        internal void Kick()
        {
            Counters.KicksSent++;
            if (_doorbell != null)
            {
                _doorbell.Kick();
            }
        }

        // Whether the peer published entries past `consumed` that may be read: false when there are
        // none, or when the index jumped (IsIndexJump: the rings are then being rebuilt). The ring
        // loops of both roles start with it.
        internal bool HasNewEntries(ushort published, ushort consumed, string field)
        {
            int pending = (ushort)(published - consumed);
            return pending != 0 && !IsIndexJump(pending, field, consumed, published);
        }

        // An idx more than num away from what this side consumed (pending entries beyond num) is
        // impossible for a sane peer: the rings are inconsistent (corruption, or a restart seen
        // half-way). True then: the entries are to be ignored and the rings are rebuilt
        // (ResetForCorruption). Reported once per distinct bad value.
        internal bool IsIndexJump(int pending, string field, ushort consumed, ushort published)
        {
            // The check stays small enough for the JIT to inline it into the ring loops.
            return pending > _layout.VringNum && ResetForIndexJump(field, consumed, published);
        }

        private bool ResetForIndexJump(string field, ushort consumed, ushort published)
        {
            if (_lastBadIndex != published)
            {
                _lastBadIndex = published;
                Report(LinkErrorCode.IndexJump, field + " idx jumped from " + consumed + " to " + published + " (more than num " + _layout.VringNum + ")");
            }

            ResetForCorruption(field + " idx inconsistent");
            return true;
        }

        internal void Report(LinkErrorCode code, string message)
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
