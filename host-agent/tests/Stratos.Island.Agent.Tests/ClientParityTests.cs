using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Client;
using Stratos.Island.Grpc;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Agent.Tests;

/// <summary>
/// The operator API's two .NET clients, the CLI's lean one (Stratos.Island.Grpc) and the typed one
/// on Grpc.Net.Client (Stratos.Island.Client), make the same calls to the same real agent (scripted
/// island) and must see identical results: the same responses byte for byte, the same status codes
/// and messages, the same events.
/// </summary>
[TestClass]
public sealed class ClientParityTests
{
    /// <summary>A call's outcome as both clients can express it: the response's bytes, or the status.</summary>
    private sealed record Outcome(string Kind, string Value)
    {
        public static Outcome Of(IMessage response) => new("ok", Convert.ToHexString(WithoutAges(response).ToByteArray()));

        public static Outcome Of(int status, string message) => new("status " + status, message);
    }

    /// <summary>
    /// A copy of <paramref name="message"/> with every <c>age_ms</c> and <c>*_age_ms</c> field cleared, at any depth:
    /// they measure time up to the moment of the call, so two calls a few milliseconds apart differ
    /// there and nowhere else.
    /// </summary>
    private static IMessage WithoutAges(IMessage message)
    {
        IMessage copy = message.Descriptor.Parser.ParseFrom(message.ToByteArray());
        Clear(copy);
        return copy;

        static void Clear(IMessage m)
        {
            foreach (FieldDescriptor field in m.Descriptor.Fields.InFieldNumberOrder())
            {
                if (field.Name == "age_ms" || field.Name.EndsWith("_age_ms", StringComparison.Ordinal))
                {
                    field.Accessor.Clear(m);
                }
                else if (field.FieldType == FieldType.Message && field.IsRepeated)
                {
                    foreach (IMessage item in (System.Collections.IList)field.Accessor.GetValue(m))
                    {
                        Clear(item);
                    }
                }
                else if (field.FieldType == FieldType.Message && !field.IsMap && field.Accessor.GetValue(m) is IMessage child)
                {
                    Clear(child);
                }
            }
        }
    }

    private static async Task<Outcome> Lean(Func<Task<IMessage>> call)
    {
        try
        {
            return Outcome.Of(await call());
        }
        catch (GrpcException e)
        {
            return Outcome.Of((int)e.Status, e.Message);
        }
    }

    private static async Task<Outcome> Typed(Func<Task<IMessage>> call)
    {
        try
        {
            return Outcome.Of(await call());
        }
        catch (RpcException e)
        {
            return Outcome.Of((int)e.StatusCode, e.Status.Detail);
        }
    }

    [TestMethod]
    public async Task Unary_calls_give_identical_responses_and_errors_through_both_clients()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync();
        rig.Island.OnVmRequest = r => new Protocol.Link.V1.RequestResult { Accepted = false, Code = ErrorCode.DependencyNotReady, Message = "VM 'web': depends on 'base', which is Stopped", SubjectId = r.VmId };
        await rig.WaitUpAsync();
        GrpcClient lean = rig.Client;
        using IslandClient typed = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);
        DateTime Deadline() => DateTime.UtcNow.AddSeconds(10);

        var pairs = new (string Call, Func<Task<IMessage>> Lean, Func<Task<IMessage>> Typed)[]
        {
            ("ListVms", async () => await lean.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser),
                async () => await typed.Vms.ListVmsAsync(new ListVmsRequest(), deadline: Deadline())),
            ("GetVm base", async () => await lean.UnaryAsync(AgentMethods.GetVm, new GetVmRequest { Name = "base" }, GetVmResponse.Parser),
                async () => await typed.Vms.GetVmAsync(new GetVmRequest { Name = "base" }, deadline: Deadline())),
            ("GetVm unknown", async () => await lean.UnaryAsync(AgentMethods.GetVm, new GetVmRequest { Name = "nope" }, GetVmResponse.Parser),
                async () => await typed.Vms.GetVmAsync(new GetVmRequest { Name = "nope" }, deadline: Deadline())),
            ("StartVm refused", async () => await lean.UnaryAsync(AgentMethods.StartVm, new StartVmRequest { Name = "web" }, StartVmResponse.Parser),
                async () => await typed.Vms.StartVmAsync(new StartVmRequest { Name = "web" }, deadline: Deadline())),
            ("GetSupervisionStatus", async () => await lean.UnaryAsync(AgentMethods.GetSupervisionStatus, new GetSupervisionStatusRequest(), GetSupervisionStatusResponse.Parser),
                async () => await typed.Supervision.GetSupervisionStatusAsync(new GetSupervisionStatusRequest(), deadline: Deadline())),
            ("ListPowerDomains", async () => await lean.UnaryAsync(AgentMethods.ListPowerDomains, new ListPowerDomainsRequest(), ListPowerDomainsResponse.Parser),
                async () => await typed.Power.ListPowerDomainsAsync(new ListPowerDomainsRequest(), deadline: Deadline())),
            ("ReadLog", async () => await lean.UnaryAsync(AgentMethods.ReadLog, new ReadLogRequest { FromSequence = 1 }, ReadLogResponse.Parser),
                async () => await typed.Events.ReadLogAsync(new ReadLogRequest { FromSequence = 1 }, deadline: Deadline())),
            ("ListBoards", async () => await lean.UnaryAsync(AgentMethods.ListBoards, new ListBoardsRequest(), ListBoardsResponse.Parser),
                async () => await typed.Boards.ListBoardsAsync(new ListBoardsRequest(), deadline: Deadline())),
            ("GetBoard unknown", async () => await lean.UnaryAsync(AgentMethods.GetBoard, new GetBoardRequest { Id = "nope" }, GetBoardResponse.Parser),
                async () => await typed.Boards.GetBoardAsync(new GetBoardRequest { Id = "nope" }, deadline: Deadline())),
        };

        var kinds = new HashSet<string>();
        foreach (var (call, leanCall, typedCall) in pairs)
        {
            Outcome byLean = await Lean(leanCall);
            Outcome byTyped = await Typed(typedCall);
            Assert.AreEqual(byLean, byTyped, $"{call}: lean {byLean}, typed {byTyped}");
            kinds.Add(byLean.Kind);
        }

        // The suite covered answers and the three error kinds it means to compare.
        CollectionAssert.IsSubsetOf(new[] { "ok", "status 5", "status 9" }, new List<string>(kinds));
    }

    [TestMethod]
    public async Task Without_the_island_both_clients_see_the_same_unavailable_status()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync(withIsland: false);
        using IslandClient typed = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);

        // The status names why the link is down, and that changes once: "opening the link" until the
        // agent has waited 200 ms for the shared-memory file, then "cannot open". Compare after it.
        Task<Outcome> LeanCall() => Lean(async () => await rig.Client.UnaryAsync(AgentMethods.ListVms, new ListVmsRequest(), ListVmsResponse.Parser));
        Outcome byLean = await LeanCall();
        for (int i = 0; i < 100 && !byLean.Value.Contains("cannot open", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            byLean = await LeanCall();
        }

        Outcome byTyped = await Typed(async () => await typed.Vms.ListVmsAsync(new ListVmsRequest()));
        Assert.AreEqual(byLean, byTyped);
        StringAssert.Contains(byLean.Value, "shared-memory file");
        Assert.AreEqual("status 14", byLean.Kind);
    }

    [TestMethod]
    public async Task Watch_events_delivers_the_same_events_to_both_clients()
    {
        await using AgentApiTests.Rig rig = await AgentApiTests.Rig.StartAsync();
        await rig.WaitUpAsync();
        using IslandClient typed = IslandClient.ForUnixSocket(rig.Agent.Options.SocketPath);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var byLean = new List<string>();
        var byTyped = new List<string>();

        Task leanWatch = Task.Run(async () =>
        {
            await foreach (WatchEventsResponse e in rig.Client.ServerStreamingAsync(AgentMethods.WatchEvents, new WatchEventsRequest(), WatchEventsResponse.Parser, null, cancel.Token))
            {
                byLean.Add(Convert.ToHexString(e.ToByteArray()));
                if (e.Event.Sequence == 3)
                {
                    return;
                }
            }
        });
        Task typedWatch = Task.Run(async () =>
        {
            using AsyncServerStreamingCall<WatchEventsResponse> call = typed.Events.WatchEvents(new WatchEventsRequest(), cancellationToken: cancel.Token);
            await foreach (WatchEventsResponse e in call.ResponseStream.ReadAllAsync(cancel.Token))
            {
                byTyped.Add(Convert.ToHexString(e.ToByteArray()));
                if (e.Event.Sequence == 3)
                {
                    return;
                }
            }
        });
        await rig.Island.WaitForAsync(() => rig.Agent.Events.SubscriberCount == 2, "both watchers subscribed");

        for (uint sequence = 1; sequence <= 3; sequence++)
        {
            rig.Island.Send(new Protocol.Link.V1.Envelope { Event = new Protocol.Link.V1.Event { Sequence = sequence, Type = EventType.VmState, SubjectId = 1, Detail = "event " + sequence } });
            uint published = sequence;
            // At least: on a loaded machine the feed's tail check (500 ms after a record) may read the
            // scripted island's log (ScriptedIsland.Log) before the next live record and publish the
            // records after it.
            await rig.Island.WaitForAsync(() => rig.Agent.Feed.LastSequence >= published, "event " + sequence + " published", 15000);
        }

        await Task.WhenAll(leanWatch, typedWatch).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.AreEqual(3, byLean.Count);
        CollectionAssert.AreEqual(byLean, byTyped);
    }
}
