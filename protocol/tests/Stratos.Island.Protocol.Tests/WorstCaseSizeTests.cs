using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using HostLink = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Protocol.Tests;

/// <summary>Proves from the generated descriptors that every Envelope body, filled to the limits of
/// its (max_len) / (max_count) options, still fits one rpmsg payload, and that no string, bytes or
/// repeated field reachable from Envelope is unbounded.</summary>
[TestClass]
public sealed class WorstCaseSizeTests
{
    public TestContext TestContext { get; set; } = null!;

    private static HostLink.Envelope WorstCaseEnvelope(FieldDescriptor body)
    {
        // With the 16-byte auth_tag of the authenticated link (docs/link.md "Authentication"): the tagged
        // worst case must fit too.
        var envelope = new HostLink.Envelope
        {
            ProtocolVersion = uint.MaxValue, Sequence = uint.MaxValue, CorrelationId = uint.MaxValue,
            AuthTag = ByteString.CopyFrom(new byte[16]),
        };
        body.Accessor.SetValue(envelope, MessageFiller.MaxValue(body));
        return envelope;
    }

    [TestMethod]
    [Verifies("IslDsgn~envelope-fits-rpmsg~1")]
    public void Every_envelope_body_at_its_limits_fits_one_rpmsg_payload()
    {
        var report = new StringBuilder();
        var tooLarge = new List<string>();
        foreach (FieldDescriptor body in HostLink.Envelope.Descriptor.Oneofs[0].Fields)
        {
            HostLink.Envelope envelope = WorstCaseEnvelope(body);
            int size = envelope.CalculateSize();
            report.AppendLine($"{body.Name,-22} {size,4} bytes");
            if (size > LinkLimits.MaxPayloadBytes) tooLarge.Add($"{body.Name}: {size} bytes");

            // The island agrees on the size and the bytes.
            var island = new Stratos.Island.Codec.Link.Envelope();
            Mirror.ToIsland(envelope, island);
            Assert.AreEqual(size, island.ComputeSize(), body.Name);
            CollectionAssert.AreEqual(envelope.ToByteArray(), IslandCodec.EncodeOk(island), body.Name);
        }

        TestContext.WriteLine(report.ToString());
        Assert.IsEmpty(tooLarge, $"worst case exceeds {LinkLimits.MaxPayloadBytes} bytes: {string.Join(", ", tooLarge)}");
    }

    [TestMethod]
    public void Worst_case_vm_definition_fits_its_blob_limit()
    {
        var definition = new HostLink.VmDefinition();
        MessageFiller.FillMax(definition);
        int size = definition.CalculateSize();
        TestContext.WriteLine($"VmDefinition worst case: {size} bytes");
        Assert.IsLessThanOrEqualTo(LinkLimits.MaxVmDefinitionBytes, size);
        var island = new Stratos.Island.Codec.Link.VmDefinition();
        Mirror.ToIsland(definition, island);
        Assert.AreEqual(size, island.ComputeSize());
    }

    [TestMethod]
    public void Worst_case_filler_really_uses_the_longest_encodings()
    {
        // Guards the proof itself: a worst-case Hello must carry 32-byte strings and 5-byte varints.
        var hello = (HostLink.Hello)MessageFiller.MaxValue(HostLink.Envelope.Descriptor.FindFieldByName("hello"));
        Assert.AreEqual(32, Encoding.UTF8.GetByteCount(hello.BoardId));
        Assert.AreEqual(uint.MaxValue, hello.MinVersion);
        Assert.AreEqual(HostLink.Role.Island, hello.Role);
        var log = (HostLink.LogChunk)MessageFiller.MaxValue(HostLink.Envelope.Descriptor.FindFieldByName("log_chunk"));
        Assert.HasCount(4, log.Records);
        Assert.AreEqual(-1, log.Records[0].Value);
    }

    private static IEnumerable<FieldDescriptor> Reachable(MessageDescriptor root)
    {
        var seen = new HashSet<string>();
        var pending = new Queue<MessageDescriptor>();
        pending.Enqueue(root);
        while (pending.Count > 0)
        {
            MessageDescriptor message = pending.Dequeue();
            if (!seen.Add(message.FullName)) continue;
            foreach (FieldDescriptor field in message.Fields.InFieldNumberOrder())
            {
                yield return field;
                if (field.FieldType == FieldType.Message) pending.Enqueue(field.MessageType);
            }
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~envelope-fits-rpmsg~1")]
    public void Every_string_bytes_and_repeated_field_reachable_from_envelope_has_a_limit()
    {
        var unbounded = new List<string>();
        foreach (FieldDescriptor field in Reachable(HostLink.Envelope.Descriptor).Concat(Reachable(HostLink.VmDefinition.Descriptor)))
        {
            bool needsLength = field.FieldType is FieldType.String or FieldType.Bytes;
            if (needsLength && Mirror.MaxLen(field) == 0) unbounded.Add(field.FullName + " (max_len)");
            if (field.IsRepeated && Mirror.MaxCount(field) == 0) unbounded.Add(field.FullName + " (max_count)");
        }

        Assert.IsEmpty(unbounded, "fields without a limit: " + string.Join(", ", unbounded));
    }

    [TestMethod]
    [Verifies("IslDsgn~envelope-fits-rpmsg~1")]
    public void Island_limit_constants_equal_the_proto_options()
    {
        foreach (FieldDescriptor field in Reachable(HostLink.Envelope.Descriptor).Concat(Reachable(HostLink.VmDefinition.Descriptor)))
        {
            Type island = Mirror.IslandType(field.ContainingType);
            string name = Mirror.Pascal(field.Name);
            if (Mirror.MaxLen(field) != 0)
            {
                Assert.AreEqual((int)Mirror.MaxLen(field), island.GetField(name + "MaxLength")!.GetValue(null), field.FullName);
            }

            if (Mirror.MaxCount(field) != 0)
            {
                Assert.AreEqual((int)Mirror.MaxCount(field), island.GetField(name + "MaxCount")!.GetValue(null), field.FullName);
            }
        }
    }
}
