using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Configuration;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Link.Session;
using Body = Stratos.Island.Protocol.Link.V1.Envelope.BodyOneofCase;
using LinkPb = Stratos.Island.Protocol.Link.V1;
using PbCommon = Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Firmware.Tests;

// IslandLinkEndpoint + IslandCore + a real island LinkSession, driven by a real agent LinkSession
// over in-memory pipes under a simulated clock.
[TestClass]
public sealed class LinkEndpointTests
{
    private static LinkedIsland Connected(IReadOnlyList<LinkPb.VmDefinition>? vms = null)
    {
        var island = new LinkedIsland(vms ?? LinkedIsland.Demo());
        island.Connect();
        return island;
    }

    // Definitions without autostart: the tests start VMs themselves.
    private static void Manual(List<LinkPb.VmDefinition> vms)
    {
        foreach (LinkPb.VmDefinition vm in vms)
        {
            vm.Autostart = false;
        }
    }

    private static List<LinkPb.VmDefinition> ManyVms(int count)
    {
        var vms = new List<LinkPb.VmDefinition>();
        for (uint i = 1; i <= count; i++)
        {
            vms.Add(LinkedIsland.Vm(i, "vm-" + i, PbCommon.Criticality.Qm, i, 2));
        }

        return vms;
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void Handshake_brings_both_sessions_up_and_pushes_the_islands_state()
    {
        LinkedIsland island = Connected();
        island.Run(20);

        Assert.AreEqual(SessionState.Up, island.Agent.State);
        Assert.AreEqual(SessionState.Up, island.IslandSession.State);
        Assert.AreEqual(0x1517UL, island.Agent.PeerBootId);
        Assert.AreEqual(1, island.AgentEvents.UpCount);
        var statuses = island.AgentEvents.Of(Body.VmStatus).Select(e => e.VmStatus.Name).Distinct().OrderBy(n => n).ToList();
        CollectionAssert.AreEqual(new[] { "base", "web" }, statuses);
        Assert.AreEqual(3, island.AgentEvents.Of(Body.PowerDomainStatus).Select(e => e.PowerDomainStatus.DomainId).Distinct().Count());
        LinkPb.SupervisionStatus supervision = island.AgentEvents.Of(Body.SupervisionStatus).Last().SupervisionStatus;
        Assert.AreEqual(3, supervision.Entities.Count);
        // Boot orchestration started base (the agent connected for the first time).
        Assert.IsTrue(island.AgentEvents.Of(Body.VmDirective).Any(e => e.VmDirective.VmId == 1 && e.VmDirective.Action == LinkPb.DirectiveAction.Start));
    }

    [TestMethod]
    public void Status_request_answer_is_complete_paged_and_closed_by_an_accepted_result()
    {
        LinkedIsland island = Connected(ManyVms(14));
        island.AgentEvents.Received.Clear();

        island.SendFromAgent(e => e.SetBody(Codec.Link.EnvelopeBody.StatusRequest), correlationId: 77);

        List<LinkPb.Envelope> answer = island.AgentEvents.Received.Where(e => e.CorrelationId == 77).ToList();
        Assert.AreEqual(14, answer.Count(e => e.BodyCase == Body.VmStatus));
        Assert.AreEqual(3, answer.Count(e => e.BodyCase == Body.PowerDomainStatus));
        List<LinkPb.SupervisionStatus> pages = answer.Where(e => e.BodyCase == Body.SupervisionStatus).Select(e => e.SupervisionStatus).ToList();
        Assert.AreEqual(2, pages.Count);
        Assert.AreEqual(12, pages[0].Entities.Count);
        Assert.IsTrue(pages[0].More);
        Assert.AreEqual(3, pages[1].Entities.Count);
        Assert.IsFalse(pages[1].More);
        CollectionAssert.AreEqual(Enumerable.Range(0, 15).Select(i => (uint)i).ToList(),
            pages.SelectMany(p => p.Entities).Select(s => s.EntityId).ToList());
        LinkPb.Envelope last = answer[^1];
        Assert.AreEqual(Body.RequestResult, last.BodyCase);
        Assert.IsTrue(last.RequestResult.Accepted);
        Assert.AreEqual(0, answer.Count(e => e.BodyCase == Body.BlobChunk));
    }

    [TestMethod]
    public void Definitions_travel_as_blob_chunks_that_decode_to_the_original()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        // Make one definition span several 384-byte chunks.
        vms[0].Vmm.Kernel = new string('k', 120);
        vms[0].Vmm.Disk = new string('d', 120);
        vms[0].Vmm.Cmdline = new string('c', 120);
        for (int i = 0; i < 6; i++)
        {
            vms[0].Vmm.ExtraArgs.Add("-device-arg-" + i + new string('x', 40));
        }

        Assert.IsGreaterThan(384, vms[0].CalculateSize());
        LinkedIsland island = Connected(vms);
        island.AgentEvents.Received.Clear();

        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.StatusRequest);
            e.StatusRequest.IncludeDefinitions = true;
        }, correlationId: 5);

        List<LinkPb.BlobChunk> chunks = island.AgentEvents.Of(Body.BlobChunk).Where(e => e.CorrelationId == 5).Select(e => e.BlobChunk).ToList();
        var decoded = new List<LinkPb.VmDefinition>();
        foreach (IGrouping<uint, LinkPb.BlobChunk> transfer in chunks.GroupBy(c => c.TransferId))
        {
            var blob = new List<byte>();
            foreach (LinkPb.BlobChunk chunk in transfer)
            {
                Assert.AreEqual(LinkPb.BlobKind.VmDefinition, chunk.Kind);
                Assert.IsLessThanOrEqualTo(384, chunk.Data.Length);
                Assert.AreEqual((uint)blob.Count, chunk.Offset);
                blob.AddRange(chunk.Data);
            }

            byte[] bytes = blob.ToArray();
            Assert.AreEqual(transfer.First().TotalLength, (uint)bytes.Length);
            Assert.AreEqual(Crc32.Compute(bytes, 0, bytes.Length), transfer.First().Crc32);
            decoded.Add(LinkPb.VmDefinition.Parser.ParseFrom(bytes));
        }

        Assert.IsGreaterThan(2, chunks.Count);
        CollectionAssert.AreEqual(vms, decoded);
        LinkPb.Envelope last = island.AgentEvents.Received[^1];
        Assert.AreEqual(Body.RequestResult, last.BodyCase);
        Assert.AreEqual(5u, last.CorrelationId);
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void Start_request_is_accepted_directed_and_a_running_report_shows_running()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        Manual(vms);
        LinkedIsland island = Connected(vms);
        island.AgentEvents.Received.Clear();

        island.Request(1, VmAction.Start, correlationId: 41);

        LinkPb.RequestResult result = island.AgentEvents.Of(Body.RequestResult).Single(e => e.CorrelationId == 41).RequestResult;
        Assert.IsTrue(result.Accepted);
        LinkPb.VmDirective directive = island.AgentEvents.Of(Body.VmDirective).Single().VmDirective;
        Assert.AreEqual(LinkPb.DirectiveAction.Start, directive.Action);
        Assert.AreEqual(1u, directive.VmId);

        island.Report(1, ObservedVmState.Running, directive.DirectiveId);

        LinkPb.VmStatus status = island.AgentEvents.Of(Body.VmStatus).Last(e => e.VmStatus.VmId == 1).VmStatus;
        Assert.AreEqual(PbCommon.VmState.Running, status.State);
    }

    [TestMethod]
    [Verifies("IslDsgn~escalate-restart~1")]
    public void Missing_alive_indications_raise_supervision_events_and_a_restart()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        Manual(vms);
        LinkedIsland island = Connected(vms);
        island.Request(1, VmAction.Start, correlationId: 1);
        uint startId = island.AgentEvents.Of(Body.VmDirective).Last().VmDirective.DirectiveId;
        island.Report(1, ObservedVmState.Running, startId);
        island.AgentEvents.Received.Clear();

        island.Run(200); // no alive indications for base: 2 reference cycles of 5 fail

        Assert.IsTrue(island.AgentEvents.Of(Body.SupervisionStatus).Any(e => e.SupervisionStatus.Entities.Any(s => s.EntityId == 1 && s.Status == PbCommon.LocalStatus.Expired)));
        Assert.IsTrue(island.AgentEvents.Of(Body.Event).Any(e => e.Event.Type == PbCommon.EventType.SupervisionStatus && e.Event.SubjectId == 1));
        LinkPb.VmDirective kill = island.AgentEvents.Of(Body.VmDirective).First().VmDirective;
        Assert.AreEqual(LinkPb.DirectiveAction.Kill, kill.Action);

        island.Report(1, ObservedVmState.NotRunning, kill.DirectiveId);
        island.Run(300); // first restart after the 100 ms backoff

        List<LinkPb.VmDirective> after = island.AgentEvents.Of(Body.VmDirective).Select(e => e.VmDirective).SkipWhile(d => d.DirectiveId != kill.DirectiveId).Skip(1).ToList();
        Assert.AreEqual(LinkPb.DirectiveAction.Start, after[0].Action);
        Assert.AreEqual(1u, after[0].VmId);
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public void Log_read_pages_hold_at_most_four_records_and_end_at_the_newest()
    {
        LinkedIsland island = Connected();
        for (uint i = 0; i < 12; i++)
        {
            island.Request(9, VmAction.Start, correlationId: 100 + i); // refused: logged
        }

        island.AgentEvents.Received.Clear();
        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.LogRead);
            e.LogRead.FromSequence = 1;
        }, correlationId: 9);

        List<LinkPb.LogChunk> pages = island.AgentEvents.Of(Body.LogChunk).Where(e => e.CorrelationId == 9).Select(e => e.LogChunk).ToList();
        Assert.IsGreaterThan(3, pages.Count);
        Assert.IsTrue(pages.All(p => p.Records.Count <= 4));
        Assert.IsTrue(pages.Take(pages.Count - 1).All(p => !p.End));
        Assert.IsTrue(pages[^1].End);
        List<uint> sequences = pages.SelectMany(p => p.Records).Select(r => r.Sequence).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(1, (int)island.Core.Log.NextSequence - 1).Select(i => (uint)i).ToList(), sequences);
        Assert.AreEqual(island.Core.Log.NextSequence, pages[^1].NextSequence);
        Assert.IsTrue(pages.SelectMany(p => p.Records).Any(r => r.Type == PbCommon.EventType.RequestRefused && r.Detail.Contains("9")));
    }

    [TestMethod]
    [Verifies("IslDsgn~island-send-retry~1", "IslDsgn~log-read~1")]
    public void Log_read_with_a_full_ring_resumes_without_losing_records()
    {
        LinkedIsland island = Connected();
        for (uint i = 0; i < 12; i++)
        {
            island.Request(9, VmAction.Start, correlationId: 100 + i);
        }

        island.AgentEvents.Received.Clear();
        island.ToAgent.Full = true;
        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.LogRead);
            e.LogRead.FromSequence = 3;
            e.LogRead.MaxRecords = 9;
        }, correlationId: 4);
        Assert.IsTrue(island.Endpoint.LogReadInProgress);
        island.ToAgent.Full = false;
        island.Run(20);

        List<LinkPb.LogChunk> pages = island.AgentEvents.Of(Body.LogChunk).Select(e => e.LogChunk).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(3, 9).Select(i => (uint)i).ToList(), pages.SelectMany(p => p.Records).Select(r => r.Sequence).ToList());
        Assert.IsTrue(pages[^1].End);
        Assert.AreEqual(12u, pages[^1].NextSequence);
    }

    [TestMethod]
    [Verifies("IslDsgn~island-send-retry~1")]
    public void Ring_full_sends_are_counted_and_the_newest_state_is_sent_once_space_returns()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        Manual(vms);
        LinkedIsland island = Connected(vms);
        island.AgentEvents.Received.Clear();
        long ringFullBefore = island.Endpoint.Counters.RingFull;

        island.ToAgent.Full = true;
        island.Request(1, VmAction.Start, correlationId: 60);
        island.Run(30);

        Assert.IsGreaterThan(ringFullBefore, island.Endpoint.Counters.RingFull);
        Assert.AreEqual(0, island.AgentEvents.Received.Count);
        Assert.IsGreaterThan(0, island.Endpoint.QueuedMessages);

        island.ToAgent.Full = false;
        island.Run(10);

        Assert.AreEqual(0, island.Endpoint.QueuedMessages);
        Assert.IsTrue(island.AgentEvents.Of(Body.RequestResult).Single(e => e.CorrelationId == 60).RequestResult.Accepted);
        Assert.AreEqual(LinkPb.DirectiveAction.Start, island.AgentEvents.Of(Body.VmDirective).Single().VmDirective.Action);
        Assert.AreEqual(PbCommon.VmState.Starting, island.AgentEvents.Of(Body.VmStatus).Last(e => e.VmStatus.VmId == 1).VmStatus.State);
        Assert.IsGreaterThan(0L, island.Endpoint.Counters.EventsNotSent);
    }

    [TestMethod]
    public void A_directive_the_core_cancels_while_it_waits_in_the_queue_is_dropped_not_sent()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        Manual(vms);
        LinkedIsland island = Connected(vms);
        island.AgentEvents.Received.Clear();

        island.ToAgent.Full = true;
        island.Request(1, VmAction.Start, correlationId: 70);
        island.Run(20);
        Assert.IsGreaterThan(0, island.Endpoint.QueuedMessages);

        island.Core.Escalation.ResetACluster("test reset"); // VM 1 forced down: its start is cancelled
        island.ToAgent.Full = false;
        island.Run(10);

        Assert.AreEqual(0, island.Endpoint.QueuedMessages);
        Assert.AreEqual(0, island.AgentEvents.Of(Body.VmDirective).Count(), "the cancelled start reached the agent");
        Assert.AreEqual(1L, island.Endpoint.Counters.StaleDirectivesDropped);
        Assert.IsTrue(island.AgentEvents.Of(Body.RequestResult).Single(e => e.CorrelationId == 70).RequestResult.Accepted, "results still go out");
        Assert.AreEqual(PbCommon.VmState.Stopped, island.AgentEvents.Of(Body.VmStatus).Last(e => e.VmStatus.VmId == 1).VmStatus.State);
    }

    [TestMethod]
    [Verifies("IslDsgn~config-validation~1")]
    public void Configuration_push_is_refused_with_a_blob_ack()
    {
        LinkedIsland island = Connected();
        island.AgentEvents.Received.Clear();

        island.SendFromAgent(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.BlobChunk);
            e.BlobChunk.TransferId = 3;
            e.BlobChunk.Kind = BlobKind.ConfigBundle;
            e.BlobChunk.TotalLength = 4;
            e.BlobChunk.DataLength = 4;
        });

        LinkPb.BlobAck ack = island.AgentEvents.Of(Body.BlobAck).Single().BlobAck;
        Assert.AreEqual(3u, ack.TransferId);
        Assert.AreEqual(PbCommon.ErrorCode.PermissionDenied, ack.Code);
        StringAssert.Contains(ack.Message, "configuration push");
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void Agent_restart_is_a_new_session_with_fresh_state()
    {
        LinkedIsland island = Connected();
        var recorder = new AgentRecorder();
        var agent2 = new LinkSession(Role.Agent, 0xB007, new SessionSettings(), island.ToIsland, recorder);
        agent2.TransportUp(island.NowMs);
        island.ToIsland.DeliverTo(island.IslandSession, island.NowMs);
        island.ToAgent.DeliverTo(agent2, island.NowMs);

        Assert.AreEqual(SessionState.Up, agent2.State);
        Assert.AreEqual(1L, island.Endpoint.Counters.AgentRestarts);
        Assert.AreEqual(2, recorder.Of(Body.VmStatus).Select(e => e.VmStatus.VmId).Distinct().Count());
    }

    [TestMethod]
    [Verifies("IslDsgn~steady-state-no-allocation~1")]
    public void Steady_state_link_traffic_allocates_nothing()
    {
        List<LinkPb.VmDefinition> vms = LinkedIsland.Demo();
        Manual(vms);
        vms[0].Supervision.Deadlines.Add(new LinkPb.DeadlineSupervision { StartCheckpoint = 1, EndCheckpoint = 2, MinMs = 0, MaxMs = 50 });
        var agentAlive = new SupervisionConfig { Alive = new AliveSupervisionConfig { ExpectedIndications = 1, MinMargin = 0, MaxMargin = 1, ReferenceCycles = 1 } };
        var island = new LinkedIsland(vms, agentAlive);
        island.Connect();
        island.Request(1, VmAction.Start, 1);
        island.Report(1, ObservedVmState.Running, island.AgentEvents.Of(Body.VmDirective).Last().VmDirective.DirectiveId);
        island.AgentEvents.Recording = false;

        void Cycle(int i)
        {
            island.Clock.AdvanceMs(LinkedIsland.PeriodMs);
            SendAlive(island, 0);
            if (i % 5 == 0)
            {
                SendAlive(island, 1);
                SendAlive(island, 1);
                SendCheckpoint(island, 1, 1);
                SendCheckpoint(island, 1, 2);
            }

            island.Step();
        }

        for (int i = 0; i < 500; i++)
        {
            Cycle(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++)
        {
            Cycle(i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated);
        Assert.AreEqual(Codec.VmState.Running, island.Core.Lifecycle.Find(1).State);
        Assert.AreEqual(SessionState.Up, island.Agent.State);
    }

    private static void SendAlive(LinkedIsland island, uint entity)
    {
        Codec.Link.Envelope e = island.Agent.Outgoing;
        e.SetBody(Codec.Link.EnvelopeBody.AliveIndication);
        e.CorrelationId = 0;
        e.AliveIndication.EntityId = entity;
        e.AliveIndication.Count = 1;
        island.Agent.Send(e);
    }

    private static void SendCheckpoint(LinkedIsland island, uint entity, uint checkpoint)
    {
        Codec.Link.Envelope e = island.Agent.Outgoing;
        e.SetBody(Codec.Link.EnvelopeBody.Checkpoint);
        e.CorrelationId = 0;
        e.Checkpoint.EntityId = entity;
        e.Checkpoint.CheckpointId = checkpoint;
        island.Agent.Send(e);
    }
}
