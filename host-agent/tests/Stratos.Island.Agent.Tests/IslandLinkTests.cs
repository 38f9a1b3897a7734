using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;
using Stratos.Island.Agent.Services;
using Stratos.Island.Agent.State;
using Stratos.Island.Link;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Tests;

/// <summary>IslandLink against a real island-role LinkSession over a real shared-memory link.</summary>
[TestClass]
public sealed class IslandLinkTests
{
    internal static IslandLink NewLink(ScriptedIsland island, IslandLinkOptions? options = null) =>
        new(options ?? new IslandLinkOptions { BoardId = "virtual", AliveIntervalMs = 20 },
            SharedMemoryChannel.Factory(island.ShmPath, island.KickPath, ScriptedIsland.ChannelName, LinkLayout.CreateOpenAmpLinuxReference()),
            NullLogger.Instance);

    // NewLink started and up; with a cache, the cache follows the link's VmStatus messages.
    internal static async Task<IslandLink> StartLinkAsync(ScriptedIsland island, StateCache? cache = null, IslandLinkOptions? options = null)
    {
        IslandLink link = NewLink(island, options);
        try
        {
            if (cache != null)
            {
                link.VmStatusReceived += cache.ApplyVmStatus;
                link.SupervisionStatusReceived += cache.ApplySupervision;
            }

            link.Start();
            await WaitUpAsync(link);
            return link;
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
    }

    internal static async Task WaitUpAsync(IslandLink link)
    {
        long deadline = Environment.TickCount64 + 5000;
        while (!link.IsUp)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("link not up within 5 s: " + link.DownReason);
            }

            await Task.Delay(5);
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~agent-supervision~1")]
    public async Task Session_comes_up_and_the_agent_sends_its_own_alive_indications()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        await using IslandLink link = await StartLinkAsync(island);
        await island.WaitForAsync(() => island.Received.Count(m => m.AliveIndication is { EntityId: 0 }) >= 3, "three alive indications of entity 0");
        Assert.AreEqual(island.BootId, link.Session!.IslandBootId);
        Assert.AreEqual(IslandLinkState.Up, link.State);
    }

    [TestMethod]
    public async Task A_request_over_the_links_limits_is_refused_naming_the_problem_and_the_link_stays_up()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        await using IslandLink link = await StartLinkAsync(island);

        // reason has max_len 64 (VmRequest.ReasonMaxLength): 65 bytes never leave the agent.
        var tooLong = new Envelope { VmRequest = new VmRequest { VmId = 1, Action = VmAction.Start, Reason = new string('r', Stratos.Island.Codec.Link.VmRequest.ReasonMaxLength + 1) } };
        var refused = await Assert.ThrowsExactlyAsync<AgentException>(() => link.RequestAsync(tooLong, ReplyShape.RequestResult));

        Assert.AreEqual(ErrorCode.InvalidArgument, refused.Code);
        StringAssert.StartsWith(refused.Message, "VmRequest envelope rejected by the island codec: ");
        Assert.IsFalse(island.Received.Any(m => m.VmRequest is not null), "nothing reached the island");
        LinkReply reply = await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);
        Assert.AreEqual(Envelope.BodyOneofCase.RequestResult, reply.Final.BodyCase, "the next request goes through");
    }

    [TestMethod]
    public async Task A_body_the_agent_cannot_decode_is_counted_answered_malformed_and_the_link_stays_up()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        await using IslandLink link = await StartLinkAsync(island);
        long errorsBefore = link.Counters.LinkErrors;

        // Version 1, sequence 1000, a VmStatus (field 24) whose name (field 2) claims 5 bytes of a
        // 3-byte body: the session reads the head, the agent's Google.Protobuf decode rejects the body.
        island.SendRaw(new byte[] { 0x08, 0x01, 0x10, 0xE8, 0x07, 0xC2, 0x01, 0x03, 0x12, 0x05, 0x61 });
        await island.WaitForAsync(() => island.Received.Any(m => m.Error is { Code: ErrorCode.Malformed }), "the agent's Error(MALFORMED)");

        Error error = island.Received.First(m => m.Error is { Code: ErrorCode.Malformed }).Error;
        StringAssert.StartsWith(error.Message, "envelope of 11 bytes rejected: VmStatus: ");
        Assert.AreEqual(errorsBefore + 1, link.Counters.LinkErrors);
        LinkReply reply = await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);
        Assert.AreEqual(Envelope.BodyOneofCase.RequestResult, reply.Final.BodyCase, "the link carries on");
    }

    [TestMethod]
    public async Task Status_request_collects_the_answer_up_to_the_request_result()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Running };
        island.Vms[2] = new VmStatus { VmId = 2, Name = "web", State = VmState.Stopped };
        var cache = new StateCache();
        await using IslandLink link = await StartLinkAsync(island, cache);

        LinkReply reply = await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);

        Assert.AreEqual(Envelope.BodyOneofCase.RequestResult, reply.Final.BodyCase);
        Assert.AreEqual(2, reply.Messages.Count(m => m.BodyCase == Envelope.BodyOneofCase.VmStatus));
        Assert.AreEqual(VmState.Running, cache.ToApiVm(cache.FindVm("base")).State);
        Assert.AreEqual(VmState.Stopped, cache.ToApiVm(cache.FindVm("web")).State);
    }

    [TestMethod]
    public async Task Definitions_arrive_as_blobs_and_are_reassembled()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        var definition = new VmDefinition { VmId = 7, Name = "big", Vmm = new VmmConfig { Machine = "microvm", Kernel = new string('k', 120), Cmdline = new string('c', 120), ExtraArgs = { Enumerable.Range(0, 8).Select(i => new string('x', 60)) } } };
        island.Definitions.Add(definition);
        await using IslandLink link = NewLink(island);
        VmDefinition? received = null;
        link.BlobReceived += (kind, blob) => received = kind == BlobKind.VmDefinition ? VmDefinition.Parser.ParseFrom(blob) : null;
        link.Start();
        await WaitUpAsync(link);

        await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest { IncludeDefinitions = true } }, ReplyShape.RequestResult);

        Assert.AreEqual(definition, received);
        await island.WaitForAsync(() => island.Received.Any(m => m.BlobAck is { TransferId: 100, Code: ErrorCode.Unspecified }), "the agent's BlobAck");
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task A_refused_request_names_the_vm_and_the_islands_reason()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Stopped };
        island.Vms[2] = new VmStatus { VmId = 2, Name = "web", State = VmState.Stopped };
        island.OnVmRequest = r => new RequestResult { Accepted = false, Code = ErrorCode.DependencyNotReady, Message = "VM 'web': depends on 'base', which is Stopped", SubjectId = r.VmId };
        var cache = new StateCache();
        await using IslandLink link = await StartLinkAsync(island, cache);
        await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);
        var vms = new VmService(new IslandGateway(link), cache);

        var error = await Assert.ThrowsExactlyAsync<AgentException>(() => vms.ActAsync("web", VmAction.Start, "test", default));

        Assert.AreEqual(ErrorCode.DependencyNotReady, error.Code);
        Assert.AreEqual("VM 'web' refused by island: depends on 'base', which is Stopped", error.Message);
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task An_accepted_action_returns_the_vm_as_the_island_reports_it()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Stopped };
        var cache = new StateCache();
        await using IslandLink link = await StartLinkAsync(island, cache);
        await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);
        var vms = new VmService(new IslandGateway(link), cache);

        Protocol.Agent.V1.Vm vm = await vms.ActAsync("base", VmAction.Start, "test", default);

        Assert.AreEqual(VmState.Starting, vm.State);
        Assert.IsTrue(island.Received.Any(m => m.VmRequest is { VmId: 1, Action: VmAction.Start, Reason: "test" }));
    }

    // The failure: an island that stops answering while the agent still says "link up".
    // Past StaleAfterMs of silence the API marks everything it serves from the island as stale with
    // its age; once the island answers again it is current again.
    [TestMethod]
    [Verifies("IslDsgn~stale-marking~1")]
    public async Task A_silent_island_makes_served_state_stale_with_its_age_until_it_answers_again()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Running };
        var cache = new StateCache();
        await using IslandLink link = await StartLinkAsync(island, cache, new IslandLinkOptions { BoardId = "virtual", AliveIntervalMs = 20, StaleAfterMs = 300, PeerTimeoutMs = 5000 });
        await link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult);
        var gateway = new IslandGateway(link);
        var vms = new VmService(gateway, cache);
        var info = new IslandService(gateway, "virtual", "test");
        var supervision = new SupervisionService(gateway, cache);
        var power = new PowerService(gateway, cache);
        Assert.IsFalse(info.Get().Stale, "fresh after an answer");
        Assert.IsFalse(vms.List().Vms.Single().Stale);
        Assert.IsFalse((await supervision.GetAsync(default)).Stale);
        Assert.IsFalse(power.List().Stale);

        island.Frozen = true;
        await Task.Delay(600);
        Protocol.Agent.V1.GetIslandInfoResponse silent = info.Get();
        Protocol.Agent.V1.Vm vm = vms.List().Vms.Single();

        Assert.AreEqual("up", silent.LinkState, "the session has not timed out yet (PeerTimeoutMs 5000)");
        Assert.IsTrue(silent.Stale);
        Assert.AreEqual(300u, silent.StaleAfterMs);
        Assert.IsGreaterThanOrEqualTo(500UL, silent.LastHeardAgeMs);
        Assert.IsTrue(vm.Stale);
        Assert.IsTrue((await supervision.GetAsync(default)).Stale, "supervision status (its cycle no longer advances) is marked stale too");
        Assert.IsTrue(power.List().Stale);
        Assert.AreEqual(VmState.Running, vm.State, "the last known state, marked stale");
        Assert.IsGreaterThanOrEqualTo(500UL, vm.StateAgeMs);

        island.Frozen = false;
        long deadline = Environment.TickCount64 + 5000;
        while (info.Get().Stale && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }

        Assert.IsFalse(info.Get().Stale, "current again once the island answers");
        Assert.IsLessThan(300UL, info.Get().LastHeardAgeMs);
    }

    // The island pushes supervision only when a status changes: a VM ok for an hour showed the alive
    // count it had when it became ok. GetSupervisionStatus asks the island first.
    [TestMethod]
    public async Task Supervision_status_is_asked_of_the_island_on_each_call_and_served_from_the_cache_when_it_does_not_answer()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        var cache = new StateCache();
        await using IslandLink link = await StartLinkAsync(island, cache, new IslandLinkOptions { BoardId = "virtual", AliveIntervalMs = 20, PeerTimeoutMs = 5000 });
        var supervision = new SupervisionService(new IslandGateway(link), cache);
        island.Supervision = new SupervisionStatus { Global = GlobalStatus.Ok, Cycle = 100, Entities = { new EntityStatus { EntityId = 0, Status = LocalStatus.Ok, AliveCount = 3 } } };
        Assert.AreEqual(3u, (await supervision.GetAsync(default)).Entities.Single().AliveCount);

        island.Supervision = new SupervisionStatus { Global = GlobalStatus.Ok, Cycle = 250, Entities = { new EntityStatus { EntityId = 0, Status = LocalStatus.Ok, AliveCount = 7 } } };
        Assert.AreEqual(3u, (await supervision.GetAsync(default)).Entities.Single().AliveCount, "a report younger than FreshEnoughMs is served as it is");
        await Task.Delay((int)SupervisionService.FreshEnoughMs + 50);
        var fresh = await supervision.GetAsync(default);
        Assert.AreEqual(7u, fresh.Entities.Single().AliveCount, "the island's count now, though no status changed");
        Assert.AreEqual(250u, fresh.Cycle);

        island.Answering = false;
        await Task.Delay((int)SupervisionService.FreshEnoughMs + 50);
        island.Supervision = new SupervisionStatus { Global = GlobalStatus.Ok, Cycle = 400, Entities = { new EntityStatus { EntityId = 0, Status = LocalStatus.Ok, AliveCount = 9 } } };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cached = await supervision.GetAsync(default);
        Assert.AreEqual(7u, cached.Entities.Single().AliveCount, "no answer: the last reported status");
        Assert.IsLessThan(SupervisionService.RefreshTimeout.TotalMilliseconds + 1000, clock.Elapsed.TotalMilliseconds, "served after the refresh's timeout, not the request timeout");
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task An_unanswered_request_times_out_with_deadline_exceeded()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path) { Answering = false };
        await using IslandLink link = await StartLinkAsync(island);

        var error = await Assert.ThrowsExactlyAsync<AgentException>(() =>
            link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult, TimeSpan.FromMilliseconds(200)));

        Assert.AreEqual(ErrorCode.DeadlineExceeded, error.Code);
        StringAssert.Contains(error.Message, "StatusRequest within 200 ms");
    }

    [TestMethod]
    public async Task Without_an_island_requests_fail_with_unavailable_naming_the_link()
    {
        using var dir = new TempDir();
        await using var link = new IslandLink(new IslandLinkOptions(),
            SharedMemoryChannel.Factory(System.IO.Path.Combine(dir.Path, "no-shm"), System.IO.Path.Combine(dir.Path, "no-kick"), "stratos-island", LinkLayout.CreateOpenAmpLinuxReference()),
            NullLogger.Instance);
        link.Start();
        long deadline = Environment.TickCount64 + 5000;
        while (!link.DownReason.StartsWith("cannot open", StringComparison.Ordinal) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
        }

        var error = await Assert.ThrowsExactlyAsync<AgentException>(() => link.RequestAsync(new Envelope { StatusRequest = new StatusRequest() }, ReplyShape.RequestResult));

        Assert.AreEqual(ErrorCode.Unavailable, error.Code);
        StringAssert.StartsWith(error.Message, "island link is down (cannot open the island link: shared-memory file");
        Assert.IsFalse(link.Post(new Envelope { AliveIndication = new AliveIndication { EntityId = 1, Count = 1 } }));
        Assert.AreEqual(1, link.Counters.PostsDropped);
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public async Task A_restarted_island_brings_the_session_back_with_a_new_boot_id()
    {
        using var dir = new TempDir();
        var island = new ScriptedIsland(dir.Path);
        await using IslandLink link = NewLink(island);
        var ups = new System.Collections.Concurrent.ConcurrentQueue<IslandSessionInfo>();
        link.SessionUp += ups.Enqueue;
        link.Start();
        await WaitUpAsync(link);
        ulong firstBoot = island.BootId;
        await island.DisposeAsync();

        await using var second = new ScriptedIsland(dir.Path);
        await second.WaitForAsync(() => link.IsUp && ups.Any(u => u.IslandBootId == second.BootId), "a session with the second island", 10000);

        // The link may re-attach more than once while the file is recreated; the first session with
        // the new island is the one that must say "restarted".
        IslandSessionInfo first = ups.First(u => u.IslandBootId == second.BootId);
        Assert.AreNotEqual(firstBoot, first.IslandBootId);
        Assert.IsTrue(first.IslandRestarted);
        Assert.AreEqual(second.BootId, link.Session!.IslandBootId);
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public async Task Log_reads_page_until_the_island_says_end()
    {
        using var dir = new TempDir();
        await using var island = new ScriptedIsland(dir.Path);
        await using IslandLink link = await StartLinkAsync(island);
        var events = new EventService(new IslandGateway(link), new StateCache(), new EventHub());

        var log = await events.ReadLogAsync(2, 0, default);

        CollectionAssert.AreEqual(Enumerable.Range(2, 9).Select(i => (uint)i).ToArray(), log.Events.Select(e => e.Sequence).ToArray());
        Assert.AreEqual(11u, log.NextSequence);
    }
}
