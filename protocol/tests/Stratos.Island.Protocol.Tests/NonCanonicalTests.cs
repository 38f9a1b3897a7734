using System.Linq;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.VectorGen;
using IslandLink = Stratos.Island.Codec.Link;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Valid but non-canonical encodings (reordered fields, unknown fields of every wire type,
/// unpacked repeated scalars, explicit defaults, 10-byte varints, merged and replaced bodies): the
/// island must read exactly what Google.Protobuf reads.</summary>
[TestClass]
public sealed class NonCanonicalTests
{
    private static GoldenVector Vector(string name) => VectorSet.Build().Single(v => v.Name == name);

    private static void AssertDecodesLikeGoogle(GoldenVector vector)
    {
        MessageDescriptor descriptor = GoldenVectorTests.DescriptorOf(vector);
        IMessage host = descriptor.Parser.WithDiscardUnknownFields(true).ParseFrom(vector.Bytes);
        object island = Mirror.NewIsland(descriptor);
        Assert.AreEqual(CodecStatus.Ok, IslandCodec.Decode(island, vector.Bytes), $"vector {vector.Name}");
        Assert.AreEqual(host, Mirror.ToGoogle(island, descriptor), $"vector {vector.Name}");
        CollectionAssert.AreEqual(host.ToByteArray(), IslandCodec.EncodeOk(island), $"vector {vector.Name}: canonical re-encoding");
    }

    [TestMethod]
    public void Every_non_canonical_vector_decodes_like_google_protobuf()
    {
        var vectors = VectorSet.Build().Where(v => !v.Canonical).ToList();
        Assert.IsGreaterThanOrEqualTo(9, vectors.Count);
        foreach (GoldenVector vector in vectors)
        {
            AssertDecodesLikeGoogle(vector);
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Reversed_field_order_is_accepted()
    {
        GoldenVector vector = Vector("noncanonical_reversed_field_order");
        AssertDecodesLikeGoogle(vector);
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(9u, envelope.VmRequest.VmId);
        Assert.AreEqual(VmAction.Stop, envelope.VmRequest.Action);
        Assert.AreEqual("reversed", envelope.VmRequest.Reason);
        Assert.AreEqual(55u, envelope.CorrelationId);
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        GoldenVector vector = Vector("noncanonical_unknown_fields");
        AssertDecodesLikeGoogle(vector);
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(IslandLink.EnvelopeBody.Checkpoint, envelope.BodyCase);
        Assert.AreEqual(3u, envelope.Checkpoint.EntityId);
        Assert.AreEqual(17u, envelope.Checkpoint.CheckpointId);
        Assert.AreEqual(1_234_567_890_123ul, envelope.Checkpoint.ObservedAtUs);
        Assert.AreEqual(22u, envelope.Sequence);
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Unpacked_and_mixed_repeated_scalars_are_accepted()
    {
        GoldenVector vector = Vector("noncanonical_unpacked_repeated");
        AssertDecodesLikeGoogle(vector);
        var definition = new IslandLink.VmDefinition();
        Assert.AreEqual(CodecStatus.Ok, definition.Decode(vector.Bytes, 0, vector.Bytes.Length));
        CollectionAssert.AreEqual(new uint[] { 1, 2, 300 }, definition.DependsOn.Take(definition.DependsOnCount).ToArray());
        CollectionAssert.AreEqual(new uint[] { 4, 5, 6, 70000 }, definition.PowerDomains.Take(definition.PowerDomainsCount).ToArray());
    }

    [TestMethod]
    public void Explicitly_encoded_defaults_are_accepted()
    {
        AssertDecodesLikeGoogle(Vector("noncanonical_explicit_defaults"));
        AssertDecodesLikeGoogle(Vector("noncanonical_explicit_empty_strings"));
        GoldenVector vector = Vector("noncanonical_explicit_defaults");
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(1, envelope.SupervisionStatus.EntitiesCount);
        var buffer = new byte[64];
        Assert.AreEqual(CodecStatus.Ok, envelope.Encode(buffer, 0, buffer.Length, out int written));
        // Canonical form: body tag (2 bytes), length, then one empty EntityStatus (tag + length 0).
        CollectionAssert.AreEqual(new byte[] { 0x82, 0x02, 0x02, 0x22, 0x00 }, buffer.Take(written).ToArray());
    }

    [TestMethod]
    public void Ten_byte_varints_keep_the_low_32_bits_like_google_protobuf()
    {
        GoldenVector vector = Vector("noncanonical_ten_byte_varints");
        AssertDecodesLikeGoogle(vector);
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(0x12345678u, envelope.Sequence);
        Assert.AreEqual(1u, envelope.Event.Sequence);
        Assert.AreEqual(300ul, envelope.Event.TimestampUs);
        Assert.AreEqual(7u, envelope.Event.BootCount);
        Assert.AreEqual(EventType.VmState, envelope.Event.Type);
        Assert.AreEqual(-5, envelope.Event.Value);
    }

    [TestMethod]
    public void A_body_given_twice_is_merged_and_scalars_keep_the_last_value()
    {
        GoldenVector vector = Vector("noncanonical_merged_body");
        AssertDecodesLikeGoogle(vector);
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(2u, envelope.Sequence);
        Assert.AreEqual(Role.Agent, envelope.Hello.Role);
        Assert.AreEqual(1u, envelope.Hello.MinVersion);
        Assert.AreEqual(2u, envelope.Hello.MaxVersion);
        Assert.AreEqual("second-board", envelope.Hello.BoardId);
    }

    [TestMethod]
    public void A_later_body_of_another_kind_replaces_the_earlier_one()
    {
        GoldenVector vector = Vector("noncanonical_oneof_last_wins");
        AssertDecodesLikeGoogle(vector);
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(IslandLink.EnvelopeBody.Ping, envelope.BodyCase);
        Assert.AreEqual(77ul, envelope.Ping.TimestampUs);
    }

    [TestMethod]
    public void Nested_messages_split_in_two_occurrences_are_merged()
    {
        GoldenVector vector = Vector("noncanonical_split_nested");
        AssertDecodesLikeGoogle(vector);
        var definition = new IslandLink.VmDefinition();
        Assert.AreEqual(CodecStatus.Ok, definition.Decode(vector.Bytes, 0, vector.Bytes.Length));
        Assert.AreEqual(3u, definition.Restart.MaxRestarts);
        Assert.AreEqual(2000u, definition.Restart.WindowMs);
        Assert.AreEqual(9u, definition.Restart.BackoffMaxMs);
        Assert.AreEqual("microvm", definition.Vmm.Machine);
        Assert.AreEqual(128u, definition.Vmm.MemoryMib);
        Assert.AreEqual(2, definition.Vmm.ExtraArgsCount);
        Assert.AreEqual("-b", definition.Vmm.ExtraArgs[1]);
    }
}
