// The one place where the agent's link messages (the generated Google.Protobuf Envelope, used by the
// whole agent) meet the session's wire (LinkSession, on the island codec). Both follow link.proto
// byte for byte (docs/codec.md), so:
//   * sending: Google.Protobuf encodes the Envelope once, straight into the link buffer, without the
//     fields the session owns (protocol_version, sequence, auth_tag); LinkSession.SendEncoded writes
//     those around it. A request from an operator is first checked against the link's limits by the
//     island codec's decoder (a string or list too long is refused here, naming the problem, instead
//     of being dropped by the island with an uncorrelated Error); the agent's own messages (alive
//     indications, checkpoints, state reports, blob acks) are built within the limits and go as they are;
//   * receiving: the session reads the head with the codec (version, sequence, correlation, auth tag,
//     which body: Envelope.DecodeHead) and decodes only its own bodies (Hello, HelloAck, Ping, Pong,
//     Error); the agent decodes each application message once, with Google.Protobuf (FromWire).
using System;
using Google.Protobuf;
using Stratos.Island.Codec;
using CodecEnvelope = Stratos.Island.Codec.Link.Envelope;
using ProtoEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;

namespace Stratos.Island.Agent.Link;

public static class EnvelopeConversion
{
    /// <summary>Parses the wire bytes of one received Envelope (the session already checked its head with the codec).</summary>
    public static ProtoEnvelope FromWire(byte[] buffer, int offset, int count) =>
        ProtoEnvelope.Parser.ParseFrom(buffer, offset, count);

    /// <summary>
    /// Encodes <paramref name="envelope"/> (correlation id and body; the session adds the rest) into
    /// <paramref name="buffer"/>; false, with the reason, when it is too large for one link message or
    /// sets a field the session owns.
    /// </summary>
    public static bool TryEncode(ProtoEnvelope envelope, byte[] buffer, out int size, out string problem)
    {
        size = 0;
        if (envelope.ProtocolVersion != 0 || envelope.Sequence != 0 || !envelope.AuthTag.IsEmpty)
        {
            problem = $"{envelope.BodyCase} envelope sets protocol_version, sequence or auth_tag, which the link session writes";
            return false;
        }

        int length = envelope.CalculateSize();
        if (length > buffer.Length)
        {
            problem = $"{envelope.BodyCase} envelope is {length} bytes, over the {LinkLimits.MaxPayloadBytes}-byte link limit";
            return false;
        }

        envelope.WriteTo(buffer.AsSpan(0, length));
        size = length;
        problem = string.Empty;
        return true;
    }

    /// <summary>The island codec's verdict on encoded Envelope bytes (every max_len / max_count), decoded into a reusable <paramref name="scratch"/>.</summary>
    public static bool WithinLimits(ProtoEnvelope envelope, byte[] buffer, int size, CodecEnvelope scratch, out string problem)
    {
        CodecStatus status = scratch.Decode(buffer, 0, size);
        problem = status == CodecStatus.Ok ? string.Empty : $"{envelope.BodyCase} envelope rejected by the island codec: {CodecStatusText.Of(status)}";
        return status == CodecStatus.Ok;
    }
}
