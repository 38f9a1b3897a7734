using Stratos.Island.Codec;

namespace Stratos.Island.Link
{
    /// <summary>A local rpmsg endpoint: a name (announced through the name service), a local address
    /// and the sink its messages go to. Created by RpmsgLink.CreateEndpoint.</summary>
    public sealed class RpmsgEndpoint
    {
        private readonly RpmsgLink _link;
        internal readonly byte[] NameBytes;
        internal readonly int NameLength;
        internal bool AnnouncePending;

        internal RpmsgEndpoint(RpmsgLink link, string name, uint localAddress, IRpmsgSink sink)
        {
            _link = link;
            Name = name;
            LocalAddress = localAddress;
            Sink = sink;
            RemoteAddress = RpmsgHeader.AddressAny;
            NameBytes = new byte[RpmsgHeader.NameSize];
            NameLength = Utf8.Write(name, NameBytes, 0);
        }

        public string Name { get; private set; }

        public uint LocalAddress { get; private set; }

        /// <summary>The peer's address for this channel, learned from its name-service announcement
        /// (or from the first message received); RPMSG_ADDR_ANY until then and after a peer restart.</summary>
        public uint RemoteAddress { get; internal set; }

        public IRpmsgSink Sink { get; private set; }

        /// <summary>Sends without waiting. See LinkSendStatus for every outcome.</summary>
        public LinkSendStatus TrySend(uint destination, byte[] payload, int offset, int count)
        {
            return _link.TrySend(LocalAddress, destination, payload, offset, count);
        }

        /// <summary>Sends to RemoteAddress (NoDestination while it is unknown).</summary>
        public LinkSendStatus TrySendToRemote(byte[] payload, int offset, int count)
        {
            return _link.TrySend(LocalAddress, RemoteAddress, payload, offset, count);
        }
    }
}
