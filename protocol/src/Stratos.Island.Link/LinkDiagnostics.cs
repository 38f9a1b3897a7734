// Status codes, counters and the error sink of the link.
//
// Nothing the peer writes can make the link throw: each problem is one LinkErrorCode, counted in
// LinkCounters and reported to the ILinkErrorSink with a message naming the ring, index or field.
namespace Stratos.Island.Link
{
    /// <summary>Result of a send attempt. Sends never wait.</summary>
    public enum LinkSendStatus
    {
        Ok = 0,
        /// <summary>No free TX buffer right now (the peer has not returned or posted any).</summary>
        NoTxBuffer = 1,
        /// <summary>Payload larger than 496 bytes or than the buffer minus the header.</summary>
        TooLarge = 2,
        /// <summary>The link is not up (waiting for DRIVER_OK or for the device's table).</summary>
        NotReady = 3,
        /// <summary>Null payload, or offset/count outside it.</summary>
        BadArgument = 4,
        /// <summary>The destination is RPMSG_ADDR_ANY (the remote endpoint is not known yet).</summary>
        NoDestination = 5,
        /// <summary>The buffer the peer offered is invalid (counted as a peer error).</summary>
        BadPeerBuffer = 6,
    }

    /// <summary>Where the link is in its handshake.</summary>
    public enum LinkState
    {
        /// <summary>Start has not been called.</summary>
        Down = 0,
        /// <summary>Device: table written, waiting for the driver's DRIVER_OK.</summary>
        WaitingForDriver = 1,
        /// <summary>Driver: the device has not written a valid resource table yet.</summary>
        WaitingForDevice = 2,
        /// <summary>Rings in use.</summary>
        Up = 3,
    }

    /// <summary>Everything that can be wrong with what the peer wrote.</summary>
    public enum LinkErrorCode
    {
        None = 0,
        DescriptorIndexOutOfRange = 1,
        DescriptorLoop = 2,
        LengthBeyondBuffer = 3,
        OutsideSharedMemory = 4,
        IndexJump = 5,
        HeaderLengthTooLarge = 6,
        HeaderLengthBeyondDescriptor = 7,
        UnknownDestination = 8,
        BadNameService = 9,
        DuplicateBuffer = 10,
        BadResourceTable = 11,
        PeerRestart = 12,
    }

    /// <summary>Receives every rejected input; called on the polling thread.</summary>
    public interface ILinkErrorSink
    {
        void OnLinkError(LinkErrorCode code, string message);
    }

    /// <summary>Receives link state changes and the peer's name-service announcements.</summary>
    public interface ILinkEventSink
    {
        void OnLinkUp();

        void OnLinkDown(string reason);

        /// <summary>The peer announced (created = true) or withdrew a channel.</summary>
        void OnRemoteChannel(string name, uint address, bool created);
    }

    /// <summary>Receives messages for one endpoint. The buffer is the link's scratch buffer: copy what
    /// you keep before returning.</summary>
    public interface IRpmsgSink
    {
        void OnMessage(uint source, uint destination, byte[] buffer, int offset, int length);
    }

    /// <summary>Counters of the link (single writer: the thread that calls Poll and TrySend).</summary>
    public sealed class LinkCounters
    {
        public const int ErrorCodeCount = 13;

        private readonly int[] _errors = new int[ErrorCodeCount];

        public int TxMessages;
        public long TxBytes;
        public int TxNoBuffer;
        public int TxTooLarge;
        public int TxNotReady;
        public int RxMessages;
        public long RxBytes;
        public int KicksSent;
        public int KicksSuppressed;
        public int LinkUps;
        public int PeerRestarts;
        public int ErrorsTotal;
        /// <summary>Ring resets this side asked for because it found the rings corrupt.</summary>
        public int RingResetsRequested;
        /// <summary>Ring resets the peer asked for (driver: the device set DEVICE_NEEDS_RESET).</summary>
        public int RingResetsByPeer;

        public int Errors(LinkErrorCode code)
        {
            return _errors[(int)code];
        }

        /// <summary>True for what a sane peer never writes into the rings or buffers: a descriptor,
        /// index, used entry, length or rpmsg header that is out of range. Such a ring is reset.</summary>
        public static bool IsCorruption(LinkErrorCode code)
        {
            switch (code)
            {
                case LinkErrorCode.DescriptorIndexOutOfRange:
                case LinkErrorCode.DescriptorLoop:
                case LinkErrorCode.LengthBeyondBuffer:
                case LinkErrorCode.OutsideSharedMemory:
                case LinkErrorCode.IndexJump:
                case LinkErrorCode.HeaderLengthTooLarge:
                case LinkErrorCode.HeaderLengthBeyondDescriptor:
                case LinkErrorCode.DuplicateBuffer:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>The code's name, spelled out (nanoCLR keeps no enum names).</summary>
        public static string ErrorName(LinkErrorCode code)
        {
            switch (code)
            {
                case LinkErrorCode.DescriptorIndexOutOfRange: return "DescriptorIndexOutOfRange";
                case LinkErrorCode.DescriptorLoop: return "DescriptorLoop";
                case LinkErrorCode.LengthBeyondBuffer: return "LengthBeyondBuffer";
                case LinkErrorCode.OutsideSharedMemory: return "OutsideSharedMemory";
                case LinkErrorCode.IndexJump: return "IndexJump";
                case LinkErrorCode.HeaderLengthTooLarge: return "HeaderLengthTooLarge";
                case LinkErrorCode.HeaderLengthBeyondDescriptor: return "HeaderLengthBeyondDescriptor";
                case LinkErrorCode.UnknownDestination: return "UnknownDestination";
                case LinkErrorCode.BadNameService: return "BadNameService";
                case LinkErrorCode.DuplicateBuffer: return "DuplicateBuffer";
                case LinkErrorCode.BadResourceTable: return "BadResourceTable";
                case LinkErrorCode.PeerRestart: return "PeerRestart";
                default: return "None";
            }
        }

        internal void CountError(LinkErrorCode code)
        {
            _errors[(int)code]++;
            ErrorsTotal++;
        }
    }
}
