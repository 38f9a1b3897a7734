using System;
using Google.Protobuf;
using Stratos.Island.Codec;
using CodecEnvelope = Stratos.Island.Codec.Link.Envelope;
using ProtoEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;

namespace Stratos.Island.Agent.Link;

/// <summary>
/// The one place where the island codec's Envelope (used by LinkSession) meets the generated
/// Google.Protobuf Envelope (used by the rest of the agent). Both follow link.proto byte for byte
/// (docs/codec.md), so the conversion is an encode on one side and a decode on the other.
/// </summary>
public static class EnvelopeConversion
{
    /// <summary>Parses the wire bytes of one received Envelope (the session already validated them with the codec).</summary>
    public static ProtoEnvelope FromWire(byte[] buffer, int offset, int count) =>
        ProtoEnvelope.Parser.ParseFrom(buffer, offset, count);

    /// <summary>Encodes a generated Envelope into the session's reusable codec Envelope; false (with the reason) when it does not fit the link's limits.</summary>
    public static bool TryToCodec(ProtoEnvelope envelope, CodecEnvelope target, out string problem)
    {
        byte[] bytes = envelope.ToByteArray();
        if (bytes.Length > LinkLimits.MaxPayloadBytes)
        {
            problem = $"{envelope.BodyCase} envelope is {bytes.Length} bytes, over the {LinkLimits.MaxPayloadBytes}-byte link limit";
            return false;
        }

        CodecStatus status = target.Decode(bytes, 0, bytes.Length);
        if (status != CodecStatus.Ok)
        {
            problem = $"{envelope.BodyCase} envelope rejected by the island codec: {status}";
            return false;
        }

        problem = string.Empty;
        return true;
    }
}
