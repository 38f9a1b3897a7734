using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.VectorGen;
using IslandLink = Stratos.Island.Codec.Link;
using HostLink = Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Protocol.Tests;

[TestClass]
public sealed class GoldenVectorTests
{
    internal static MessageDescriptor DescriptorOf(GoldenVector vector) => vector.MessageType switch
    {
        "Envelope" => HostLink.Envelope.Descriptor,
        "VmDefinition" => HostLink.VmDefinition.Descriptor,
        _ => throw new InvalidOperationException($"vector {vector.Name}: unknown message type '{vector.MessageType}'"),
    };

    private static IEnumerable<GoldenVector> Canonical() => VectorSet.Build().Where(v => v.Canonical);

    [TestMethod]
    public void Checked_in_vector_files_equal_what_the_generator_produces()
    {
        IReadOnlyList<GoldenVector> expected = VectorSet.Build();
        string[] files = Directory.GetFiles(Repository.VectorDirectory, "*" + VectorFile.Extension)
            .Select(Path.GetFileNameWithoutExtension).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;
        CollectionAssert.AreEqual(expected.Select(v => v.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray(), files,
            "protocol/vectors is stale: run dotnet run --project protocol/tools/Stratos.Island.VectorGen");
        foreach (GoldenVector vector in expected)
        {
            string path = Path.Combine(Repository.VectorDirectory, vector.Name + VectorFile.Extension);
            Assert.AreEqual(VectorFile.Format(vector), File.ReadAllText(path), $"{path} is stale: regenerate the vectors");
        }
    }

    [TestMethod]
    public void Vector_files_parse_back_to_the_same_bytes()
    {
        Dictionary<string, GoldenVector> built = VectorSet.Build().ToDictionary(v => v.Name);
        IReadOnlyList<GoldenVector> checkedIn = Repository.CheckedInVectors();
        Assert.AreEqual(built.Count, checkedIn.Count);
        foreach (GoldenVector vector in checkedIn)
        {
            CollectionAssert.AreEqual(built[vector.Name].Bytes, vector.Bytes, vector.Name);
            Assert.AreEqual(built[vector.Name].MessageType, vector.MessageType, vector.Name);
        }
    }

    [TestMethod]
    public void Every_envelope_body_has_a_canonical_vector()
    {
        var covered = new HashSet<int>();
        foreach (GoldenVector vector in Canonical().Where(v => v.MessageType == "Envelope"))
        {
            var envelope = HostLink.Envelope.Parser.ParseFrom(vector.Bytes);
            covered.Add((int)envelope.BodyCase);
        }

        foreach (FieldDescriptor body in HostLink.Envelope.Descriptor.Oneofs[0].Fields)
        {
            Assert.Contains(body.FieldNumber, covered, $"no canonical vector carries Envelope.{body.Name}");
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Island_encoding_equals_every_canonical_vector()
    {
        foreach (GoldenVector vector in Canonical())
        {
            MessageDescriptor descriptor = DescriptorOf(vector);
            IMessage host = descriptor.Parser.ParseFrom(vector.Bytes);
            object island = Mirror.NewIsland(descriptor);
            Mirror.ToIsland(host, island);
            CollectionAssert.AreEqual(vector.Bytes, IslandCodec.EncodeOk(island), $"vector {vector.Name}");
            Assert.AreEqual(vector.Bytes.Length, IslandCodec.ComputeSize(island), $"vector {vector.Name}: ComputeSize");
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Island_decoding_of_every_canonical_vector_gives_the_same_message()
    {
        foreach (GoldenVector vector in Canonical())
        {
            MessageDescriptor descriptor = DescriptorOf(vector);
            object island = Mirror.NewIsland(descriptor);
            Assert.AreEqual(CodecStatus.Ok, IslandCodec.Decode(island, vector.Bytes), $"vector {vector.Name}");
            Assert.AreEqual(descriptor.Parser.ParseFrom(vector.Bytes), Mirror.ToGoogle(island, descriptor), $"vector {vector.Name}");
            CollectionAssert.AreEqual(vector.Bytes, IslandCodec.EncodeOk(island), $"vector {vector.Name}: re-encoding");
        }
    }

    private static byte[] VectorBytes(string name) => Repository.CheckedInVectors().Single(v => v.Name == name).Bytes;

    [TestMethod]
    public void Vm_request_vector_decodes_to_its_fields()
    {
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(VectorBytes("envelope_vm_request"), 0, VectorBytes("envelope_vm_request").Length));
        Assert.AreEqual(1u, envelope.ProtocolVersion);
        Assert.AreEqual(12u, envelope.Sequence);
        Assert.AreEqual(100u, envelope.CorrelationId);
        Assert.AreEqual(IslandLink.EnvelopeBody.VmRequest, envelope.BodyCase);
        Assert.AreEqual(3u, envelope.VmRequest.VmId);
        Assert.AreEqual(VmAction.Start, envelope.VmRequest.Action);
        Assert.AreEqual("operator: island vm start web", envelope.VmRequest.Reason);
    }

    [TestMethod]
    public void Crash_report_vector_decodes_a_negative_sint32()
    {
        byte[] bytes = VectorBytes("envelope_vm_state_report");
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(bytes, 0, bytes.Length));
        Assert.AreEqual(ObservedVmState.Crashed, envelope.VmStateReport.State);
        Assert.AreEqual(-11, envelope.VmStateReport.ExitStatus);
        Assert.AreEqual("GUEST_PANICKED", envelope.VmStateReport.Detail);
    }

    [TestMethod]
    public void Supervision_status_vector_decodes_eight_entities()
    {
        byte[] bytes = VectorBytes("envelope_supervision_status");
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(bytes, 0, bytes.Length));
        IslandLink.SupervisionStatus status = envelope.SupervisionStatus;
        Assert.AreEqual(GlobalStatus.Failed, status.Global);
        Assert.AreEqual(987_654ul, status.Cycle);
        Assert.AreEqual(8, status.EntitiesCount);
        Assert.AreEqual(LocalStatus.Failed, status.Entities[5].Status);
        Assert.AreEqual(2u, status.Entities[5].FailedRefCycles);
        Assert.AreEqual(17u, status.Entities[7].AliveCount);
        Assert.IsTrue(status.More);
    }

    [TestMethod]
    public void Event_vectors_keep_negative_values_and_unknown_enum_values()
    {
        byte[] negative = VectorBytes("envelope_event");
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(negative, 0, negative.Length));
        Assert.AreEqual(-1, envelope.Event.Value);
        Assert.AreEqual(EventType.LinkError, envelope.Event.Type);

        byte[] unknown = VectorBytes("envelope_event_unknown_enum");
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(unknown, 0, unknown.Length));
        Assert.AreEqual(99, (int)envelope.Event.Type);
        Assert.AreEqual(int.MaxValue, envelope.Event.Value);
    }

    [TestMethod]
    public void Vm_status_vector_decodes_a_multi_byte_name_and_max_uint64()
    {
        byte[] bytes = VectorBytes("envelope_vm_status");
        var envelope = new IslandLink.Envelope();
        Assert.AreEqual(CodecStatus.Ok, envelope.Decode(bytes, 0, bytes.Length));
        Assert.AreEqual("wéb-ßervice-€-" + new string('x', 14), envelope.VmStatus.Name);
        Assert.AreEqual(ulong.MaxValue, envelope.VmStatus.StateSinceMs);
        Assert.AreEqual(Criticality.AsilD, envelope.VmStatus.Criticality);
    }

    [TestMethod]
    public void Empty_ping_body_is_encoded_as_a_present_zero_length_body()
    {
        var envelope = new IslandLink.Envelope { ProtocolVersion = 1, Sequence = 8 };
        envelope.SetBody(IslandLink.EnvelopeBody.Ping);
        var buffer = new byte[16];
        Assert.AreEqual(CodecStatus.Ok, envelope.Encode(buffer, 0, buffer.Length, out int written));
        CollectionAssert.AreEqual(VectorBytes("envelope_ping_empty"), buffer.AsSpan(0, written).ToArray());
    }
}
