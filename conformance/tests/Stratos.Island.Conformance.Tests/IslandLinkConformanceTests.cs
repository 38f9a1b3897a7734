using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Conformance.Tests;

/// <summary>
/// Black-box conformance of an island to the Island Link Interface Specification (docs/spec/link):
/// each test is a new agent on the shared-memory link and checks only what the specification says
/// the island answers. Nothing here depends on the island's configuration beyond what it reports
/// itself (HelloAck, StatusRequest).
/// </summary>
[TestClass]
[TestCategory("conformance")]
public sealed class IslandLinkConformanceTests
{
    private KitAgent _agent = null!;

    [TestInitialize]
    public void Connect() => _agent = new KitAgent();

    [TestCleanup]
    public void Disconnect() => _agent.Dispose();

    // The first 0x58 bytes of the shared file once DRIVER_OK is set (FACTS.md, OpenAMP's reference machine),
    // but for the status byte at 0x2c, which the kit's driver writes: ACKNOWLEDGE|DRIVER|DRIVER_OK (0x07)
    // as virtio 1.1 section 3.1.1 and the specification's transport section say (OpenAMP's driver: 0x04).
    private static readonly uint[] ReferenceTable =
    {
        0x00000001, 0x00000001, 0x00000000, 0x00000000, 0x00000014, 0x00000003, 0x00000007, 0x00000000,
        0x00000001, 0x00000001, 0x00000000, 0x00000207, 0x00004000, 0x00001000, 0x00000100, 0x00000001,
        0x00000000, 0x00008000, 0x00001000, 0x00000100, 0x00000002, 0x00000000,
    };

    [TestMethod]
    [Verifies("IslDsgn~openamp-layout~1")]
    public void The_resource_table_equals_the_OpenAMP_reference_once_the_agent_set_DRIVER_OK()
    {
        _agent.OpenSession();

        byte[] table = _agent.ReadShared(0, 0x58);
        for (int i = 0; i < ReferenceTable.Length; i++)
        {
            uint actual = BitConverter.ToUInt32(table, i * 4);
            Assert.AreEqual(ReferenceTable[i], actual, $"resource table word at offset 0x{i * 4:x2}: expected 0x{ReferenceTable[i]:x8}, found 0x{actual:x8}");
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void Hello_is_answered_with_a_HelloAck_carrying_the_islands_identity()
    {
        HelloAck ack = _agent.OpenSession();

        Assert.AreEqual(Role.Island, ack.Role);
        Assert.AreEqual(1u, ack.Version, "the only version both sides speak");
        Assert.AreEqual(_agent.BootId, ack.PeerBootId, "peer_boot_id echoes the Hello's boot_id");
        Assert.AreNotEqual(0ul, ack.BootId, "an island boot id is drawn at random at every boot");
        Assert.IsTrue(ack.SupervisionCycleMs > 0, "supervision_cycle_ms");
        Assert.IsTrue(ack.VmCount > 0, "vm_count");
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void A_Hello_without_a_common_version_is_refused_with_unsupported_version()
    {
        _agent.Send(_agent.Hello(90, 99));

        Envelope error = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Error, "an Error to a Hello for versions 90..99");
        Assert.AreEqual(ErrorCode.UnsupportedVersion, error.Error.Code, error.Error.Message);
        Assert.IsFalse(_agent.Received.Any(e => e.BodyCase == Envelope.BodyOneofCase.HelloAck), "no session may open");
    }

    [TestMethod]
    [Verifies("IslDsgn~session-before-hello~1")]
    public void Application_messages_before_a_Hello_are_refused_with_no_session()
    {
        _agent.Send(new Envelope { CorrelationId = 5, StatusRequest = new StatusRequest() });

        Envelope error = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Error, "an Error to a StatusRequest sent before any Hello");
        Assert.AreEqual(ErrorCode.FailedPrecondition, error.Error.Code, error.Error.Message);
        _agent.Pump(200);
        Assert.IsFalse(_agent.Received.Any(e => e.BodyCase == Envelope.BodyOneofCase.VmStatus && e.CorrelationId == 5),
            "the request must not be delivered: " + _agent.Summary());
    }

    [TestMethod]
    [Verifies("IslDsgn~session-handshake~1")]
    public void Ping_is_answered_with_a_Pong_echoing_timestamp_and_payload()
    {
        _agent.OpenSession();
        byte[] payload = Encoding.ASCII.GetBytes("conformance ping");

        _agent.Send(new Envelope { Ping = new Ping { TimestampUs = 123456789, Payload = ByteString.CopyFrom(payload) } });

        Envelope pong = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Pong && e.Pong.TimestampUs == 123456789, "a Pong");
        CollectionAssert.AreEqual(payload, pong.Pong.Payload.ToByteArray());
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void A_status_request_is_answered_with_every_vm_domain_and_supervision_page_then_closed()
    {
        HelloAck ack = _agent.OpenSession();

        _agent.Send(new Envelope { CorrelationId = 77, StatusRequest = new StatusRequest() });

        List<Envelope> answer = _agent.Answer(77, e => e.BodyCase == Envelope.BodyOneofCase.RequestResult, "a RequestResult closing the status answer");
        Assert.IsTrue(answer[^1].RequestResult.Accepted, answer[^1].RequestResult.Message);
        var vms = answer.Where(e => e.BodyCase == Envelope.BodyOneofCase.VmStatus).Select(e => e.VmStatus).ToList();
        Assert.AreEqual((int)ack.VmCount, vms.Count, "one VmStatus per VM of HelloAck.vm_count");
        Assert.AreEqual(vms.Count, vms.Select(v => v.VmId).Distinct().Count(), "each VM once");
        Assert.IsTrue(vms.All(v => v.Name.Length > 0 && v.State != VmState.Unspecified), "every VmStatus names the VM and its state");
        Assert.IsTrue(answer.Any(e => e.BodyCase == Envelope.BodyOneofCase.PowerDomainStatus), "at least one PowerDomainStatus");
        var pages = answer.Where(e => e.BodyCase == Envelope.BodyOneofCase.SupervisionStatus).Select(e => e.SupervisionStatus).ToList();
        Assert.IsTrue(pages.Count > 0, "SupervisionStatus pages");
        Assert.IsTrue(pages.All(p => p.Entities.Count <= 12), "at most 12 entities per page");
        Assert.IsFalse(pages[^1].More, "the last page says more = false");
        Assert.IsTrue(pages.Take(pages.Count - 1).All(p => p.More), "every page but the last says more = true");
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void A_request_on_an_unknown_vm_is_refused_with_not_found_naming_it()
    {
        _agent.OpenSession();

        _agent.Send(new Envelope { CorrelationId = 11, VmRequest = new VmRequest { VmId = 4000, Action = VmAction.Start, Reason = "conformance" } });

        RequestResult result = Refused(11, ErrorCode.NotFound);
        StringAssert.Contains(result.Message, "4000", "the message names the VM");
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void An_action_outside_the_enum_is_refused_with_invalid_argument()
    {
        _agent.OpenSession();
        uint vm = FirstVm();

        _agent.Send(new Envelope { CorrelationId = 12, VmRequest = new VmRequest { VmId = vm, Action = (VmAction)99, Reason = "conformance" } });

        Refused(12, ErrorCode.InvalidArgument);
    }

    [TestMethod]
    [Verifies("IslDsgn~power-arbitration~1")]
    public void A_request_on_an_unknown_power_domain_is_refused_with_not_found()
    {
        _agent.OpenSession();

        _agent.Send(new Envelope { CorrelationId = 13, PowerDomainRequest = new PowerDomainRequest { DomainId = 9999, State = PowerState.On, Reason = "conformance" } });

        Refused(13, ErrorCode.NotFound);
    }

    [TestMethod]
    [Verifies("IslDsgn~decode-validation~1")]
    public void Undecodable_bytes_are_answered_with_malformed_and_the_session_carries_on()
    {
        _agent.OpenSession();

        _agent.SendRaw(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f });

        Envelope error = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Error, "an Error to undecodable bytes");
        Assert.AreEqual(ErrorCode.Malformed, error.Error.Code, error.Error.Message);
        _agent.Send(new Envelope { Ping = new Ping { TimestampUs = 42 } });
        _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Pong && e.Pong.TimestampUs == 42, "a Pong after the malformed message");
    }

    [TestMethod]
    [Verifies("IslDsgn~envelope-fits-rpmsg~1")]
    public void A_string_over_its_declared_limit_is_malformed()
    {
        _agent.OpenSession();

        // VmRequest.reason has (max_len) = 64.
        _agent.Send(new Envelope { CorrelationId = 14, VmRequest = new VmRequest { VmId = FirstVm(), Action = VmAction.Start, Reason = new string('r', 65) } });

        Envelope error = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.Error, "an Error to a 65-byte reason");
        Assert.AreEqual(ErrorCode.Malformed, error.Error.Code, error.Error.Message);
        _agent.Pump(200);
        Assert.IsFalse(_agent.Received.Any(e => e.CorrelationId == 14 && e.BodyCase == Envelope.BodyOneofCase.RequestResult),
            "the request must not be handled: " + _agent.Summary());
    }

    [TestMethod]
    [Verifies("IslDsgn~session-sequence~1")]
    public void A_repeated_sequence_number_is_dropped()
    {
        _agent.OpenSession();
        var ping = new Envelope { ProtocolVersion = 1, Ping = new Ping { TimestampUs = 777 } };
        _agent.Send(ping);
        byte[] again = ping.ToByteArray();

        _agent.SendRaw(again);
        _agent.Pump(300);

        Assert.AreEqual(1, _agent.Received.Count(e => e.BodyCase == Envelope.BodyOneofCase.Pong && e.Pong.TimestampUs == 777),
            "one Pong for a Ping sent twice with the same sequence number");
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public void A_log_read_returns_pages_of_at_most_four_contiguous_records_and_ends()
    {
        _agent.OpenSession();

        _agent.Send(new Envelope { CorrelationId = 15, LogRead = new LogRead { FromSequence = 1, MaxRecords = 12 } });

        List<Envelope> answer = _agent.Answer(15, e => e.BodyCase == Envelope.BodyOneofCase.LogChunk && e.LogChunk.End, "a LogChunk with end = true");
        var chunks = answer.Where(e => e.BodyCase == Envelope.BodyOneofCase.LogChunk).Select(e => e.LogChunk).ToList();
        var records = chunks.SelectMany(c => c.Records).ToList();
        Assert.IsTrue(chunks.All(c => c.Records.Count <= 4), "at most 4 records per LogChunk");
        Assert.IsTrue(records.Count is > 0 and <= 12, "between 1 (the boot record) and max_records records, got " + records.Count);
        for (int i = 1; i < records.Count; i++)
        {
            Assert.AreEqual(records[i - 1].Sequence + 1, records[i].Sequence, "records are contiguous by sequence");
        }

        Assert.IsTrue(records[0].Sequence >= Math.Max(1, chunks[0].FirstAvailable), "the first record is the first still stored");
        Assert.IsTrue(records.All(r => r.Type != EventType.Unspecified), "every record has a type");
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void A_configuration_pushed_over_the_link_is_refused_with_permission_denied()
    {
        _agent.OpenSession();
        byte[] data = Encoding.ASCII.GetBytes("not a configuration");

        _agent.Send(new Envelope
        {
            BlobChunk = new BlobChunk
            {
                TransferId = 3, Kind = BlobKind.ConfigBundle, TotalLength = (uint)data.Length, Offset = 0,
                Data = ByteString.CopyFrom(data), Crc32 = Stratos.Island.Codec.Crc32.Compute(data, 0, data.Length),
            },
        });

        BlobAck ack = _agent.WaitFor(e => e.BodyCase == Envelope.BodyOneofCase.BlobAck, "a BlobAck to a complete configuration transfer").BlobAck;
        Assert.AreEqual(3u, ack.TransferId);
        Assert.AreEqual(ErrorCode.PermissionDenied, ack.Code, ack.Message);
    }

    // The RequestResult answering correlationId, which must refuse the request with code.
    private RequestResult Refused(uint correlationId, ErrorCode code)
    {
        RequestResult result = _agent.WaitFor(e => e.CorrelationId == correlationId && e.BodyCase == Envelope.BodyOneofCase.RequestResult,
            "a RequestResult for request " + correlationId).RequestResult;
        Assert.IsFalse(result.Accepted, "the request must be refused with " + code);
        Assert.AreEqual(code, result.Code, result.Message);
        return result;
    }

    private uint FirstVm()
    {
        _agent.Send(new Envelope { CorrelationId = 900, StatusRequest = new StatusRequest() });
        List<Envelope> answer = _agent.Answer(900, e => e.BodyCase == Envelope.BodyOneofCase.RequestResult, "the status answer");
        return answer.First(e => e.BodyCase == Envelope.BodyOneofCase.VmStatus).VmStatus.VmId;
    }
}
