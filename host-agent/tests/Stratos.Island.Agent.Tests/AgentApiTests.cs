using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;
using LinkEnvelope = Stratos.Island.Protocol.Link.V1.Envelope;
using ProtoObserved = Stratos.Island.Protocol.Link.V1.ObservedVmState;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The whole agent (AgentRuntime: link, cache, executor, API on a real UNIX socket) against the
/// scripted island, driven through the public gRPC API with the production client.
/// </summary>
[TestClass]
public sealed class AgentApiTests
{
    internal sealed class Rig : IAsyncDisposable
    {
        private Rig(TempDir dir, ScriptedIsland island, AgentRuntime agent, GrpcClient client)
        {
            Dir = dir;
            Island = island;
            Agent = agent;
            Client = client;
        }

        public TempDir Dir { get; }
        public ScriptedIsland Island { get; }
        public AgentRuntime Agent { get; }
        public GrpcClient Client { get; }

        public static async Task<Rig> StartAsync(bool withIsland = true)
        {
            var dir = new TempDir();
            var island = new ScriptedIsland(dir.Path);
            island.Vms[1] = new VmStatus { VmId = 1, Name = "base", State = VmState.Stopped, Criticality = Criticality.AsilB };
            island.Vms[2] = new VmStatus { VmId = 2, Name = "web", State = VmState.Stopped, Criticality = Criticality.Qm };
            if (!withIsland)
            {
                await island.DisposeAsync();
            }

            AgentOptions options = island.AgentOptionsIn(dir.Path);
            AgentRuntime agent = await AgentRuntime.StartAsync(options, NullLoggerFactory.Instance);
            return new Rig(dir, island, agent, GrpcClient.ForUnixSocket(options.SocketPath));
        }

        public async Task WaitUpAsync()
        {
            // Re-sync done: a StatusRequest, then a report per VM (the link may re-attach at start,
            // so an earlier round can be cut short; wait for a complete one).
            await Island.WaitForAsync(
                () => Agent.Link.IsUp && Island.Received.SkipWhile(m => m.StatusRequest is not { IncludeDefinitions: true }).Count(m => m.VmStateReport is not null) >= 2,
                "link up and a complete re-sync", 10000);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Agent.DisposeAsync();
            await Agent.Backend.DisposeAsync();
            await Island.DisposeAsync();
            Dir.Dispose();
        }
    }

    [TestMethod]
    public async Task At_session_up_the_agent_reports_every_vm_not_running_and_lists_them()
    {
        await using Rig rig = await Rig.StartAsync();
        await rig.WaitUpAsync();

        Assert.IsTrue(rig.Island.Received.Any(m => m.StatusRequest is { IncludeDefinitions: true }), "status request with definitions");
        VmStateReport[] reports = rig.Island.Received.Where(m => m.VmStateReport is not null).Select(m => m.VmStateReport).ToArray();
        CollectionAssert.AreEquivalent(new uint[] { 1, 2, 3 }, reports.Select(r => r.VmId).Distinct().ToArray());
        Assert.IsTrue(reports.All(r => r.State == ProtoObserved.NotRunning && r.DirectiveId == 0));

        ListVmsResponse list = await rig.Client.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser);
        CollectionAssert.AreEqual(new[] { "base", "web", "linux" }, list.Vms.Select(v => v.Name).ToArray());
        Assert.AreEqual(VmState.Stopped, list.Vms[0].State);
        CollectionAssert.AreEqual(new[] { "base" }, list.Vms[1].DependsOn.ToArray());
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task An_unknown_vm_is_not_found_with_the_known_names()
    {
        await using Rig rig = await Rig.StartAsync();
        await rig.WaitUpAsync();

        var error = await Assert.ThrowsExactlyAsync<GrpcException>(() => rig.Client.UnaryAsync(AgentMethods.StartVm, new StartVmRequest { Name = "x" }, StartVmResponse.Parser));

        Assert.AreEqual(GrpcStatusCode.NotFound, error.Status);
        StringAssert.StartsWith(error.Message, "VM 'x' not found; known VMs: base, web, linux");
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task A_refusal_by_the_island_is_failed_precondition_naming_the_reason()
    {
        await using Rig rig = await Rig.StartAsync();
        rig.Island.OnVmRequest = r => new RequestResult { Accepted = false, Code = ErrorCode.DependencyNotReady, Message = "VM 'web': depends on 'base', which is Stopped", SubjectId = r.VmId };
        await rig.WaitUpAsync();

        var error = await Assert.ThrowsExactlyAsync<GrpcException>(() => rig.Client.UnaryAsync(AgentMethods.StartVm, new StartVmRequest { Name = "web" }, StartVmResponse.Parser));

        Assert.AreEqual(GrpcStatusCode.FailedPrecondition, error.Status);
        Assert.AreEqual("VM 'web' refused by island: depends on 'base', which is Stopped", error.Message);
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task Without_the_island_calls_are_unavailable_and_island_info_says_down()
    {
        await using Rig rig = await Rig.StartAsync(withIsland: false);

        var error = await Assert.ThrowsExactlyAsync<GrpcException>(() => rig.Client.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser));
        GetIslandInfoResponse info = await rig.Client.UnaryAsync(AgentMethods.GetIslandInfo, new GetIslandInfoRequest(), GetIslandInfoResponse.Parser);

        Assert.AreEqual(GrpcStatusCode.Unavailable, error.Status);
        StringAssert.StartsWith(error.Message, "island link is down (");
        Assert.AreEqual("down", info.LinkState);
        Assert.AreEqual("virtual", info.Board);
    }

    [TestMethod]
    [Verifies("IslDsgn~heartbeat-relay~1")]
    public async Task A_start_directive_runs_qemu_and_the_island_gets_running_and_heartbeats()
    {
        _ = RepoPaths.GuestKernel;
        await using Rig rig = await Rig.StartAsync();
        await rig.WaitUpAsync();

        rig.Island.Send(new LinkEnvelope { VmDirective = new VmDirective { DirectiveId = 77, VmId = 1, Action = DirectiveAction.Start, TimeoutMs = 10000 } });
        await rig.Island.WaitForAsync(() => rig.Island.Received.Any(m => m.VmStateReport is { DirectiveId: 77 }), "report of directive 77", 15000);
        await rig.Island.WaitForAsync(() => rig.Island.Received.Any(m => m.AliveIndication is { EntityId: 1 }), "a heartbeat of VM 1", 15000);

        Assert.AreEqual(ProtoObserved.Running, rig.Island.Received.First(m => m.VmStateReport is { DirectiveId: 77 }).VmStateReport.State);
        GetVmResponse vm = await rig.Client.UnaryAsync(AgentMethods.GetVm, new GetVmRequest { Name = "base" }, GetVmResponse.Parser);
        Assert.IsTrue(vm.Vm.Pid > 0);
        Assert.AreEqual("microvm", vm.Machine);

        rig.Island.Send(new LinkEnvelope { VmDirective = new VmDirective { DirectiveId = 78, VmId = 1, Action = DirectiveAction.Kill } });
        await rig.Island.WaitForAsync(() => rig.Island.Received.Any(m => m.VmStateReport is { DirectiveId: 78, State: ProtoObserved.NotRunning }), "kill report", 10000);
    }

    [TestMethod]
    public async Task Read_log_and_boards_answer_through_the_api()
    {
        await using Rig rig = await Rig.StartAsync();
        await rig.WaitUpAsync();

        ReadLogResponse log = await rig.Client.UnaryAsync(AgentMethods.ReadLog, new ReadLogRequest { FromSequence = 1 }, ReadLogResponse.Parser);
        ListBoardsResponse boards = await rig.Client.UnaryAsync(AgentMethods.ListBoards, new ListBoardsRequest(), ListBoardsResponse.Parser);
        var missing = await Assert.ThrowsExactlyAsync<GrpcException>(() => rig.Client.UnaryAsync(AgentMethods.GetBoard, new GetBoardRequest { Id = "nope" }, GetBoardResponse.Parser));

        Assert.AreEqual(10, log.Events.Count);
        Assert.AreEqual("base", log.Events[0].Subject);
        Assert.IsTrue(boards.Boards.Any(b => b.Id == "virtual"));
        Assert.AreEqual(GrpcStatusCode.NotFound, missing.Status);
    }
    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public async Task Watch_events_fills_a_gap_in_the_live_sequence_from_the_log()
    {
        await using Rig rig = await Rig.StartAsync();
        await rig.WaitUpAsync();
        using var cancel = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new System.Collections.Generic.List<uint>();
        Task watch = Task.Run(async () =>
        {
            await foreach (WatchEventsResponse e in rig.Client.ServerStreamingAsync(AgentMethods.WatchEvents, new WatchEventsRequest(), WatchEventsResponse.Parser, null, cancel.Token))
            {
                seen.Add(e.Event.Sequence);
                if (e.Event.Sequence == 5)
                {
                    return;
                }
            }
        });
        await rig.Island.WaitForAsync(() => rig.Agent.Events.SubscriberCount == 1, "the watcher subscribed");

        rig.Island.Send(new LinkEnvelope { Event = new Protocol.Link.V1.Event { Sequence = 1, Type = EventType.VmState, SubjectId = 1, Detail = "one" } });
        await rig.Island.WaitForAsync(() => rig.Agent.Feed.LastSequence == 1, "event 1 published");
        rig.Island.Send(new LinkEnvelope { Event = new Protocol.Link.V1.Event { Sequence = 5, Type = EventType.VmState, SubjectId = 1, Detail = "five" } });
        await watch.WaitAsync(TimeSpan.FromSeconds(10));

        CollectionAssert.AreEqual(new uint[] { 1, 2, 3, 4, 5 }, seen);
        Assert.IsTrue(rig.Island.Received.Any(m => m.LogRead is { FromSequence: 2 }), "the gap was read from the log");
    }
    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    public async Task Every_method_of_agent_proto_is_served()
    {
        await using Rig rig = await Rig.StartAsync(withIsland: false);

        // An empty message is a valid request of every method; without the island each is refused,
        // but none may be UNIMPLEMENTED (a method the server does not bind).
        foreach (string method in AgentMethods.All)
        {
            StatusCode? status = null;
            try
            {
                if (method == AgentMethods.WatchEvents)
                {
                    await foreach (Empty _ in rig.Client.ServerStreamingAsync(method, new Empty(), Empty.Parser, TimeSpan.FromSeconds(5)))
                    {
                    }
                }
                else
                {
                    await rig.Client.UnaryAsync(method, new Empty(), Empty.Parser, TimeSpan.FromSeconds(5));
                }
            }
            catch (GrpcException e)
            {
                status = (StatusCode)e.Status;
            }

            Assert.AreNotEqual(StatusCode.Unimplemented, status, method);
        }

        var unknown = await Assert.ThrowsExactlyAsync<GrpcException>(() => rig.Client.UnaryAsync("/stratos.island.agent.v1.VmService/Future", new Empty(), Empty.Parser));
        Assert.AreEqual(GrpcStatusCode.Unimplemented, unknown.Status);
    }
}
