using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.VectorGen;
using IslandLink = Stratos.Island.Codec.Link;

namespace Stratos.Island.Protocol.Tests;

/// <summary>
/// Envelope.DecodeHead, what the host agent's session reads of an application message (its body is
/// decoded once, by Google.Protobuf): the same head as Decode, the body only named.
/// </summary>
[TestClass]
public sealed class DecodeHeadTests
{
    [TestMethod]
    public void Every_envelope_vector_gives_the_head_Decode_gives_and_only_names_the_body()
    {
        int checkedVectors = 0;
        foreach (GoldenVector vector in VectorSet.Build().Where(v => v.MessageType == "Envelope"))
        {
            var whole = new IslandLink.Envelope();
            var head = new IslandLink.Envelope();
            CodecStatus decoded = whole.Decode(vector.Bytes, 0, vector.Bytes.Length);
            CodecStatus headed = head.DecodeHead(vector.Bytes, 0, vector.Bytes.Length);
            if (decoded != CodecStatus.Ok)
            {
                // Only the body can fail Decode and pass DecodeHead (its limits are not read).
                Assert.IsTrue(headed == decoded || headed == CodecStatus.Ok, vector.Name + ": " + headed + " / " + decoded);
                continue;
            }

            Assert.AreEqual(CodecStatus.Ok, headed, vector.Name);
            Assert.AreEqual(whole.ProtocolVersion, head.ProtocolVersion, vector.Name);
            Assert.AreEqual(whole.Sequence, head.Sequence, vector.Name);
            Assert.AreEqual(whole.CorrelationId, head.CorrelationId, vector.Name);
            Assert.AreEqual(whole.BodyCase, head.BodyCase, vector.Name);
            CollectionAssert.AreEqual(whole.AuthTag.Take(whole.AuthTagLength).ToArray(), head.AuthTag.Take(head.AuthTagLength).ToArray(), vector.Name);
            checkedVectors++;
        }

        Assert.IsGreaterThan(20, checkedVectors, "the Envelope vectors cover every body");
    }

    [TestMethod]
    public void The_body_is_not_read_so_a_body_over_its_limits_passes_the_head()
    {
        // VmRequest (field 20) whose reason (field 3) is 65 bytes, one over its max_len.
        byte[] reason = Enumerable.Repeat((byte)'r', IslandLink.VmRequest.ReasonMaxLength + 1).ToArray();
        byte[] body = new byte[] { 0x08, 0x01, 0x1A, (byte)reason.Length }.Concat(reason).ToArray();
        byte[] bytes = new byte[] { 0x10, 0x07, 0xA2, 0x01, (byte)body.Length }.Concat(body).ToArray();
        var envelope = new IslandLink.Envelope();

        Assert.AreEqual(CodecStatus.StringTooLong, envelope.Decode(bytes, 0, bytes.Length));
        Assert.AreEqual(CodecStatus.Ok, envelope.DecodeHead(bytes, 0, bytes.Length));
        Assert.AreEqual(IslandLink.EnvelopeBody.VmRequest, envelope.BodyCase);
        Assert.AreEqual(7u, envelope.Sequence);
    }

    [TestMethod]
    [DataRow(new byte[] { 0xA0, 0x01, 0x01 }, CodecStatus.WrongWireType, DisplayName = "a body field (VmRequest) as a varint")]
    [DataRow(new byte[] { 0xA2, 0x01, 0x05, 0x08 }, CodecStatus.LengthOutOfRange, DisplayName = "a body running past the end")]
    [DataRow(new byte[] { 0x12, 0x00 }, CodecStatus.WrongWireType, DisplayName = "sequence with the wrong wire type")]
    [DataRow(new byte[] { 0x10, 0xFF }, CodecStatus.Truncated, DisplayName = "a truncated varint in the head")]
    [DataRow(new byte[] { 0x22, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, CodecStatus.LengthOutOfRange, DisplayName = "auth_tag of length -1")]
    public void A_head_that_Decode_rejects_is_rejected_alike(byte[] bytes, CodecStatus expected)
    {
        var envelope = new IslandLink.Envelope();

        Assert.AreEqual(expected, envelope.Decode(bytes, 0, bytes.Length));
        Assert.AreEqual(expected, envelope.DecodeHead(bytes, 0, bytes.Length));
    }
}
