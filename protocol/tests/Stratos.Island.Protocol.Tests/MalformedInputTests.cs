using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.VectorGen;
using HostLink = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Malformed input, one test per kind: each asserts the specific CodecStatus, and none may
/// throw or read outside the given window (inputs are copied into exactly-sized arrays, so a read
/// past the end would throw IndexOutOfRangeException and fail the test).</summary>
[TestClass]
public sealed class MalformedInputTests
{
    private static CodecStatus DecodeEnvelope(params byte[] bytes) => new Envelope().Decode(bytes, 0, bytes.Length);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Body(int fieldNumber, byte[] content)
    {
        var bytes = new List<byte>();
        uint tag = ((uint)fieldNumber << 3) | 2;
        while (tag > 0x7F) { bytes.Add((byte)(tag | 0x80)); tag >>= 7; }
        bytes.Add((byte)tag);
        uint length = (uint)content.Length;
        while (length > 0x7F) { bytes.Add((byte)(length | 0x80)); length >>= 7; }
        bytes.Add((byte)length);
        bytes.AddRange(content);
        return bytes.ToArray();
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Truncation_at_every_byte_is_either_a_valid_shorter_message_or_rejected()
    {
        var allowed = new[] { CodecStatus.Ok, CodecStatus.Truncated, CodecStatus.LengthOutOfRange, CodecStatus.UnterminatedGroup };
        int rejected = 0;
        foreach (GoldenVector vector in VectorSet.Build().Where(v => v.MessageType == "Envelope"))
        {
            for (int length = 0; length < vector.Bytes.Length; length++)
            {
                byte[] prefix = vector.Bytes.AsSpan(0, length).ToArray();
                var envelope = new Envelope();
                CodecStatus status = envelope.Decode(prefix, 0, prefix.Length);
                CollectionAssert.Contains(allowed, status, $"{vector.Name} cut at {length}: {status}");
                if (status == CodecStatus.Ok)
                {
                    // The island accepted the prefix: it must be a message Google.Protobuf reads the same way.
                    var host = HostLink.Envelope.Parser.WithDiscardUnknownFields(true).ParseFrom(prefix);
                    Assert.AreEqual(host, Mirror.ToGoogle(envelope, HostLink.Envelope.Descriptor), $"{vector.Name} cut at {length}");
                }
                else
                {
                    rejected++;
                }

                // The same prefix inside a larger buffer must not be read past count either.
                byte[] padded = vector.Bytes.ToArray();
                Assert.AreEqual(status, new Envelope().Decode(padded, 0, length), $"{vector.Name} cut at {length} in a larger buffer");
            }
        }

        Assert.IsGreaterThan(1000, rejected);
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Varint_longer_than_ten_bytes_is_rejected()
    {
        byte[] bytes = Concat(new byte[] { 0x08 }, Enumerable.Repeat((byte)0x80, 10).ToArray(), new byte[] { 0x01 });
        Assert.AreEqual(CodecStatus.VarintTooLong, DecodeEnvelope(bytes));
        byte[] tenBytes = Concat(new byte[] { 0x08 }, Enumerable.Repeat((byte)0x80, 9).ToArray(), new byte[] { 0x01 });
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(tenBytes));
    }

    [TestMethod]
    public void Truncated_varint_is_rejected()
    {
        Assert.AreEqual(CodecStatus.Truncated, DecodeEnvelope(0x08, 0xFF, 0xFF));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Length_prefix_beyond_the_buffer_is_rejected()
    {
        // Envelope.ping (field 12, LEN) announcing 5 bytes with 2 present.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0x62, 0x05, 0x09, 0x01));
        // A nested length running past its enclosing message: VmRequest.reason inside a 3-byte body.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0xA2, 0x01, 0x03, 0x1A, 0x04, 0x61, 0x62, 0x63, 0x64));
    }

    [TestMethod]
    public void Negative_and_huge_lengths_are_rejected()
    {
        // 0xFFFFFFFF: -1 as int32.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0x62, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F));
        // 2^31: the first value above int.MaxValue.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0x62, 0x80, 0x80, 0x80, 0x80, 0x08));
        // A 10-byte length of 2^63.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0x62, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
        // Also for an unknown field that is only skipped.
        Assert.AreEqual(CodecStatus.LengthOutOfRange, DecodeEnvelope(0x22, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Wrong_wire_type_for_a_known_field_is_rejected()
    {
        // protocol_version (uint32) as I32.
        Assert.AreEqual(CodecStatus.WrongWireType, DecodeEnvelope(0x0D, 1, 0, 0, 0));
        // Envelope.hello (message) as a varint.
        Assert.AreEqual(CodecStatus.WrongWireType, DecodeEnvelope(0x50, 0x01));
        // Checkpoint.observed_at_us (fixed64) as a varint, inside the body.
        Assert.AreEqual(CodecStatus.WrongWireType, DecodeEnvelope(0xFA, 0x01, 0x02, 0x18, 0x01));
        // VmDefinition.depends_on (repeated uint32) as I64.
        var definition = new VmDefinition();
        byte[] bytes = { 0x29, 1, 0, 0, 0, 0, 0, 0, 0 };
        Assert.AreEqual(CodecStatus.WrongWireType, definition.Decode(bytes, 0, bytes.Length));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Field_number_zero_is_rejected()
    {
        Assert.AreEqual(CodecStatus.InvalidFieldNumber, DecodeEnvelope(0x00, 0x01));
        Assert.AreEqual(CodecStatus.InvalidFieldNumber, DecodeEnvelope(0x02, 0x00));
    }

    [TestMethod]
    public void Field_number_above_two_to_the_29_minus_one_is_rejected()
    {
        // Largest legal field number (2^29-1), as an unknown varint field: accepted.
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01));
        // Tag value 2^32: field number 2^29.
        Assert.AreEqual(CodecStatus.InvalidFieldNumber, DecodeEnvelope(0x80, 0x80, 0x80, 0x80, 0x10, 0x01));
        // A 10-byte tag.
        Assert.AreEqual(CodecStatus.InvalidFieldNumber, DecodeEnvelope(0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01));
    }

    [TestMethod]
    public void Wire_types_six_and_seven_are_rejected()
    {
        Assert.AreEqual(CodecStatus.UnsupportedWireType, DecodeEnvelope(0x26));
        Assert.AreEqual(CodecStatus.UnsupportedWireType, DecodeEnvelope(0x27));
    }

    private static byte[] NestedGroups(int depth)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < depth; i++) bytes.Add(0x2B); // SGROUP field 5
        for (int i = 0; i < depth; i++) bytes.Add(0x2C); // EGROUP field 5
        return bytes.ToArray();
    }

    [TestMethod]
    public void Group_nesting_bomb_is_rejected_without_exhausting_the_stack()
    {
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(NestedGroups(ProtoReader.MaxGroupDepth)));
        Assert.AreEqual(CodecStatus.NestingTooDeep, DecodeEnvelope(NestedGroups(ProtoReader.MaxGroupDepth + 1)));
        Assert.AreEqual(CodecStatus.NestingTooDeep, DecodeEnvelope(Enumerable.Repeat((byte)0x2B, 100_000).ToArray()));
        // Inside a body too.
        Assert.AreEqual(CodecStatus.NestingTooDeep, DecodeEnvelope(Body(31, NestedGroups(ProtoReader.MaxGroupDepth + 1))));
    }

    [TestMethod]
    public void Unterminated_group_is_rejected()
    {
        Assert.AreEqual(CodecStatus.UnterminatedGroup, DecodeEnvelope(0x2B, 0x08, 0x01));
        // A group left open at the end of a body (the body's limit ends it).
        Assert.AreEqual(CodecStatus.UnterminatedGroup, DecodeEnvelope(Concat(Body(31, new byte[] { 0x2B, 0x08, 0x01 }), new byte[] { 0x2C })));
    }

    [TestMethod]
    public void End_group_without_a_matching_start_is_rejected()
    {
        Assert.AreEqual(CodecStatus.UnexpectedEndGroup, DecodeEnvelope(0x2C));
        // Group 5 closed by an end tag of field 6.
        Assert.AreEqual(CodecStatus.UnexpectedEndGroup, DecodeEnvelope(0x2B, 0x34));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Oversize_string_is_rejected()
    {
        byte[] hello = new HostLink.Hello { BoardId = new string('b', 33) }.ToByteArray();
        Assert.AreEqual(CodecStatus.StringTooLong, DecodeEnvelope(Body(10, hello)));
        byte[] maximal = new HostLink.Hello { BoardId = new string('b', 32) }.ToByteArray();
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(Body(10, maximal)));
        // 11 three-byte characters = 33 bytes, though only 11 chars.
        byte[] multiByte = new HostLink.Hello { BoardId = new string('€', 11) }.ToByteArray();
        Assert.AreEqual(CodecStatus.StringTooLong, DecodeEnvelope(Body(10, multiByte)));
    }

    [TestMethod]
    public void Oversize_bytes_are_rejected()
    {
        byte[] ping = new HostLink.Ping { Payload = ByteString.CopyFrom(new byte[401]) }.ToByteArray();
        Assert.AreEqual(CodecStatus.StringTooLong, DecodeEnvelope(Body(12, ping)));
        byte[] chunk = new HostLink.BlobChunk { Data = ByteString.CopyFrom(new byte[385]) }.ToByteArray();
        Assert.AreEqual(CodecStatus.StringTooLong, DecodeEnvelope(Body(15, chunk)));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Too_many_repeated_messages_are_rejected()
    {
        var status = new HostLink.SupervisionStatus();
        for (int i = 0; i < 13; i++) status.Entities.Add(new HostLink.EntityStatus { EntityId = (uint)i });
        Assert.AreEqual(CodecStatus.TooManyElements, DecodeEnvelope(Body(32, status.ToByteArray())));
        status.Entities.RemoveAt(12);
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(Body(32, status.ToByteArray())));
    }

    [TestMethod]
    public void Too_many_repeated_scalars_are_rejected_packed_and_unpacked()
    {
        var host = new HostLink.VmDefinition();
        host.DependsOn.Add(Enumerable.Range(1, 9).Select(i => (uint)i));
        byte[] packed = host.ToByteArray();
        var definition = new VmDefinition();
        Assert.AreEqual(CodecStatus.TooManyElements, definition.Decode(packed, 0, packed.Length));
        byte[] unpacked = Enumerable.Range(1, 9).SelectMany(i => new byte[] { 0x28, (byte)i }).ToArray();
        Assert.AreEqual(CodecStatus.TooManyElements, definition.Decode(unpacked, 0, unpacked.Length));
        var args = new HostLink.VmmConfig();
        args.ExtraArgs.Add(Enumerable.Range(0, VmmConfig.ExtraArgsMaxCount + 1).Select(i => "a"));
        byte[] vmm = args.ToByteArray();
        Assert.AreEqual(CodecStatus.TooManyElements, new VmmConfig().Decode(vmm, 0, vmm.Length));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Invalid_utf8_in_a_string_is_rejected()
    {
        byte[][] invalid =
        {
            new byte[] { 0xC0, 0xAF },             // overlong '/'
            new byte[] { 0xED, 0xA0, 0x80 },       // UTF-16 surrogate
            new byte[] { 0xE2, 0x82 },             // truncated 3-byte sequence
            new byte[] { 0xF4, 0x90, 0x80, 0x80 }, // above U+10FFFF
            new byte[] { 0x61, 0xFF },             // never valid
            new byte[] { 0x80 },                   // lone continuation byte
        };
        foreach (byte[] text in invalid)
        {
            byte[] error = Concat(new byte[] { 0x12, (byte)text.Length }, text);
            Assert.AreEqual(CodecStatus.InvalidUtf8, DecodeEnvelope(Body(14, error)), BitConverter.ToString(text));
        }

        byte[] valid = Concat(new byte[] { 0x12, 0x0A }, System.Text.Encoding.UTF8.GetBytes("€ß😀a"));
        Assert.AreEqual(CodecStatus.Ok, DecodeEnvelope(Body(14, valid)));
    }

    [TestMethod]
    public void Decode_outside_the_buffer_is_an_invalid_argument()
    {
        var envelope = new Envelope();
        var buffer = new byte[8];
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Decode(null!, 0, 0));
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Decode(buffer, -1, 2));
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Decode(buffer, 4, 5));
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Decode(buffer, 0, -1));
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Decode(buffer, int.MaxValue, 2));
    }

    [TestMethod]
    public void Encode_into_a_short_buffer_fails_without_writing_past_the_capacity()
    {
        GoldenVector vector = VectorSet.Build().Single(v => v.Name == "envelope_supervision_status");
        var envelope = new Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        var buffer = new byte[vector.Bytes.Length + 8];
        for (int capacity = 0; capacity < vector.Bytes.Length; capacity++)
        {
            Array.Fill(buffer, (byte)0xA5);
            Assert.AreEqual(CodecStatus.BufferTooSmall, envelope.Encode(buffer, 4, capacity, out int written), $"capacity {capacity}");
            Assert.AreEqual(0, written);
            Assert.IsTrue(buffer.All(b => b == 0xA5), $"capacity {capacity}: bytes were written");
        }

        Assert.AreEqual(CodecStatus.Ok, envelope.Encode(buffer, 4, vector.Bytes.Length, out int all));
        CollectionAssert.AreEqual(vector.Bytes, buffer.AsSpan(4, all).ToArray());
        Assert.AreEqual(0xA5, buffer[4 + all]);
        Assert.AreEqual(CodecStatus.InvalidArgument, envelope.Encode(buffer, 4, buffer.Length, out _));
    }

    [TestMethod]
    public void Encode_refuses_fields_beyond_their_limits()
    {
        var envelope = new Envelope();
        envelope.SetBody(EnvelopeBody.Hello);
        envelope.Hello.BoardId = new string('x', Hello.BoardIdMaxLength + 1);
        var buffer = new byte[LinkLimits.MaxPayloadBytes];
        Assert.AreEqual(CodecStatus.StringTooLong, envelope.Encode(buffer, 0, buffer.Length, out _));
        Assert.AreEqual(-1, envelope.ComputeSize());

        envelope.SetBody(EnvelopeBody.SupervisionStatus);
        envelope.SupervisionStatus.EntitiesCount = SupervisionStatus.EntitiesMaxCount + 1;
        Assert.AreEqual(CodecStatus.TooManyElements, envelope.Encode(buffer, 0, buffer.Length, out _));
        envelope.SupervisionStatus.EntitiesCount = -1;
        Assert.AreEqual(CodecStatus.TooManyElements, envelope.Encode(buffer, 0, buffer.Length, out _));

        envelope.SetBody(EnvelopeBody.Ping);
        envelope.Ping.PayloadLength = Ping.PayloadMaxLength + 1;
        Assert.AreEqual(CodecStatus.StringTooLong, envelope.Encode(buffer, 0, buffer.Length, out _));
        envelope.Ping.PayloadLength = -3;
        Assert.AreEqual(CodecStatus.InvalidLength, envelope.Encode(buffer, 0, buffer.Length, out _));
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Random_garbage_never_throws()
    {
        var random = new Random(20261121);
        var envelope = new Envelope();
        var definition = new VmDefinition();
        int ok = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(64)];
            random.NextBytes(bytes);
            if (envelope.Decode(bytes, 0, bytes.Length) == CodecStatus.Ok) ok++;
            definition.Decode(bytes, 0, bytes.Length);
        }

        Assert.IsLessThan(20_000, ok);
    }
}
