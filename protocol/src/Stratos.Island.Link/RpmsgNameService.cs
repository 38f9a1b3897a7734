// The rpmsg name service of an RpmsgLink (address 0x35; Linux drivers/rpmsg/virtio_rpmsg_bus.c
// rpmsg_ns_cb, OpenAMP rpmsg_virtio_ns_callback; FACTS.md "rpmsg"), used in both roles once the
// feature (dfeatures bit 0) is negotiated.
//
// Message: 40 bytes, name[32] NUL-padded, addr u32 LE, flags u32 LE (0 CREATE, 1 DESTROY, 2 CREATE
// with ack, accepted like CREATE).
//   out: every local endpoint is announced (CREATE) when it is created on an up link and after every
//        (re)attach (both sides forget the peer's addresses then: the OpenAMP field bug of endpoints
//        not recreated); DESTROY when it is removed. Announcements that find no buffer are retried
//        on the next Poll.
//   in:  a CREATE binds every local endpoint of that name to the announced address; a DESTROY
//        unbinds the ones bound to it. A malformed message is reported (BadNameService) and dropped.
//
// Threading: the link's (single-threaded).
using Stratos.Island.Codec;

namespace Stratos.Island.Link
{
    internal sealed class RpmsgNameService
    {
        private readonly RpmsgLink _link;
        private readonly byte[] _message = new byte[RpmsgHeader.NameServiceMessageSize];

        internal RpmsgNameService(RpmsgLink link)
        {
            _link = link;
        }

        // True once the feature was negotiated at the last attach.
        internal bool Enabled;

        // A name service message from the peer, in buffer[0..length).
        internal void Receive(uint source, byte[] buffer, int length)
        {
            if (length != RpmsgHeader.NameServiceMessageSize)
            {
                _link.Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + " is " + length + " bytes, expected 40");
                return;
            }

            int nameLength = 0;
            while (nameLength < RpmsgHeader.NameSize && buffer[nameLength] != 0)
            {
                nameLength++;
            }

            if (nameLength == RpmsgHeader.NameSize)
            {
                _link.Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": name is not NUL-terminated within 32 bytes");
                return;
            }

            if (nameLength == 0)
            {
                _link.Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": empty name");
                return;
            }

            uint address = (uint)(buffer[32] | (buffer[33] << 8) | (buffer[34] << 16) | (buffer[35] << 24));
            uint flags = (uint)(buffer[36] | (buffer[37] << 8) | (buffer[38] << 16) | (buffer[39] << 24));
            if (flags > RpmsgHeader.NameServiceCreateAck)
            {
                _link.Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": unknown flags " + flags);
                return;
            }

            if (address == RpmsgHeader.AddressAny || address == RpmsgHeader.NameServiceAddress)
            {
                _link.Report(LinkErrorCode.BadNameService, "name service message from 0x" + source.ToString("x") + ": invalid address 0x" + address.ToString("x"));
                return;
            }

            bool created = flags != RpmsgHeader.NameServiceDestroy;
            int count = _link.EndpointCount;
            for (int i = 0; i < count; i++)
            {
                RpmsgEndpoint endpoint = _link.EndpointAt(i);
                if (endpoint.NameLength != nameLength || !SameBytes(endpoint.NameBytes, buffer, nameLength))
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

            if (_link.Events != null)
            {
                _link.Events.OnRemoteChannel(Utf8.Decode(buffer, 0, nameLength), address, created);
            }
        }

        // Announces (CREATE) every endpoint still waiting for it, while the link is up. Without the
        // feature nothing is sent and nothing stays pending.
        internal void AnnouncePending()
        {
            if (_link.State != LinkState.Up)
            {
                return;
            }

            int count = _link.EndpointCount;
            for (int i = 0; i < count; i++)
            {
                RpmsgEndpoint endpoint = _link.EndpointAt(i);
                if (!endpoint.AnnouncePending)
                {
                    continue;
                }

                if (!Enabled)
                {
                    endpoint.AnnouncePending = false;
                    continue;
                }

                if (Send(endpoint, RpmsgHeader.NameServiceCreate) != LinkSendStatus.Ok)
                {
                    return; // no buffer: retried on the next Poll
                }

                endpoint.AnnouncePending = false;
            }
        }

        // One CREATE or DESTROY for a local endpoint, straight onto the rings (not counted as a
        // message of the endpoint).
        internal LinkSendStatus Send(RpmsgEndpoint endpoint, uint flags)
        {
            System.Array.Clear(_message, 0, _message.Length);
            System.Array.Copy(endpoint.NameBytes, 0, _message, 0, endpoint.NameLength);
            uint address = endpoint.LocalAddress;
            _message[32] = (byte)address;
            _message[33] = (byte)(address >> 8);
            _message[34] = (byte)(address >> 16);
            _message[35] = (byte)(address >> 24);
            _message[36] = (byte)flags;
            return _link.SendOnRings(endpoint.LocalAddress, RpmsgHeader.NameServiceAddress, _message, 0, _message.Length);
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
    }
}
