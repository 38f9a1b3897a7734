using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Conformance.Api.Tests;

/// <summary>
/// What the Operator API Specification (docs/spec/api) says an agent answers, checked through the
/// operator API alone. Assumes of the agent under test only that its island is connected and that it
/// configures two VMs where one depends on the other, both stopped at the start (the kit finds them
/// through ListVms' depends_on).
/// </summary>
[TestClass]
public sealed class OperatorApiConformanceTests
{
    private const int VmTimeoutMs = 30_000;

    private static VmService.VmServiceClient Vms => new(AgentUnderTest.Channel);

    private static IslandService.IslandServiceClient Island => new(AgentUnderTest.Channel);

    private static EventService.EventServiceClient Events => new(AgentUnderTest.Channel);

    private static CallOptions Deadline(int ms = 10_000) => new(deadline: DateTime.UtcNow.AddMilliseconds(ms));

    [ClassInitialize]
    public static async Task WaitForTheIsland(TestContext context)
    {
        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.ElapsedMilliseconds < 30_000)
        {
            try
            {
                GetIslandInfoResponse info = await Island.GetIslandInfoAsync(new GetIslandInfoRequest(), Deadline(2_000));
                state = info.LinkState;
                if (state == "up" && (await Vms.ListVmsAsync(new ListVmsRequest(), Deadline(2_000))).Vms.Count > 0)
                {
                    return;
                }
            }
            catch (RpcException e)
            {
                state = e.Status.ToString();
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{AgentUnderTest.Description}: the island link did not come up within 30 s (last: {state})");
    }

    // A dependency pair (dependency, dependent) from the VMs' depends_on.
    private static async Task<(Vm Dependency, Vm Dependent)> PairAsync()
    {
        ListVmsResponse list = await Vms.ListVmsAsync(new ListVmsRequest(), Deadline());
        foreach (Vm vm in list.Vms)
        {
            foreach (string name in vm.DependsOn)
            {
                Vm? dep = list.Vms.FirstOrDefault(v => v.Name == name);
                if (dep != null && dep.DependsOn.Count == 0)
                {
                    return (dep, vm);
                }
            }
        }

        Assert.Fail($"{AgentUnderTest.Description}: no VM depends on another VM without dependencies; the kit needs two such VMs (conformance/README.md)");
        throw new InvalidOperationException();
    }

    private static async Task<Vm> WaitForStateAsync(string name, VmState wanted)
    {
        var clock = Stopwatch.StartNew();
        Vm vm;
        do
        {
            vm = (await Vms.GetVmAsync(new GetVmRequest { Name = name }, Deadline())).Vm;
            if (vm.State == wanted)
            {
                return vm;
            }

            await Task.Delay(100);
        }
        while (clock.ElapsedMilliseconds < VmTimeoutMs);

        Assert.Fail($"VM '{name}' is {vm.State}, not {wanted}, {VmTimeoutMs} ms after the request (last failure: '{vm.LastFailure}')");
        return vm;
    }

    private static RpcException Refused(Func<Task> call)
    {
        try
        {
            call().GetAwaiter().GetResult();
        }
        catch (RpcException e)
        {
            return e;
        }

        Assert.Fail("the call succeeded; the specification says it is refused");
        throw new InvalidOperationException();
    }

    [TestMethod]
    [Verifies("IslProd~operator-api~1")]
    public async Task ListVms_lists_every_vm_once_by_unique_name_with_a_defined_state()
    {
        ListVmsResponse list = await Vms.ListVmsAsync(new ListVmsRequest(), Deadline());
        Assert.IsTrue(list.Vms.Count > 0, "no VMs listed");
        CollectionAssert.AllItemsAreUnique(list.Vms.Select(v => v.Name).ToList(), "VM names are unique");
        CollectionAssert.AllItemsAreUnique(list.Vms.Select(v => v.Id).ToList(), "VM ids are unique");
        foreach (Vm vm in list.Vms)
        {
            Assert.AreNotEqual(VmState.Unspecified, vm.State, $"VM '{vm.Name}' has no state");
            Assert.IsFalse(vm.Stale, $"VM '{vm.Name}' is marked stale while the island is connected");
            Vm single = (await Vms.GetVmAsync(new GetVmRequest { Name = vm.Name }, Deadline())).Vm;
            Assert.AreEqual(vm.Id, single.Id, $"GetVm('{vm.Name}') names the same VM as ListVms");
        }
    }

    [TestMethod]
    [Verifies("IslProd~operator-api~1")]
    public async Task GetIslandInfo_reports_the_link_up_with_a_negotiated_version_and_the_islands_boot_id()
    {
        GetIslandInfoResponse info = await Island.GetIslandInfoAsync(new GetIslandInfoRequest(), Deadline());
        Assert.AreEqual("up", info.LinkState);
        Assert.IsTrue(info.ProtocolVersion >= 1, "protocol_version " + info.ProtocolVersion);
        Assert.IsFalse(string.IsNullOrEmpty(info.IslandBootId), "island_boot_id is empty");
        Assert.IsFalse(info.Stale, "island info is stale while the link is up");
    }

    [TestMethod]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public async Task A_call_naming_an_unknown_vm_fails_with_NOT_FOUND_naming_it()
    {
        string name = "no-such-vm-" + Guid.NewGuid().ToString("N")[..6];
        foreach (Func<Task> call in new Func<Task>[]
        {
            async () => await Vms.GetVmAsync(new GetVmRequest { Name = name }, Deadline()),
            async () => await Vms.StartVmAsync(new StartVmRequest { Name = name, Reason = "conformance" }, Deadline()),
            async () => await Vms.StopVmAsync(new StopVmRequest { Name = name, Reason = "conformance" }, Deadline()),
        })
        {
            RpcException e = Refused(call);
            Assert.AreEqual(StatusCode.NotFound, e.StatusCode, e.Status.Detail);
            StringAssert.Contains(e.Status.Detail, name);
        }

        await Task.CompletedTask;
    }

    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    [Verifies("IslDsgn~api-error-mapping~1")]
    public async Task Start_of_a_vm_whose_dependency_is_not_running_is_refused_with_FAILED_PRECONDITION_naming_the_dependency()
    {
        (Vm dependency, Vm dependent) = await PairAsync();
        Assert.AreNotEqual(VmState.Running, dependency.State, $"'{dependency.Name}' must be stopped at the start of the kit");
        RpcException e = Refused(async () => await Vms.StartVmAsync(new StartVmRequest { Name = dependent.Name, Reason = "conformance" }, Deadline()));
        Assert.AreEqual(StatusCode.FailedPrecondition, e.StatusCode, e.Status.Detail);
        StringAssert.Contains(e.Status.Detail, dependent.Name);
        StringAssert.Contains(e.Status.Detail, dependency.Name);
        Vm after = (await Vms.GetVmAsync(new GetVmRequest { Name = dependent.Name }, Deadline())).Vm;
        Assert.AreEqual(dependent.State, after.State, "a refused request changes nothing");
    }

    // One run through the lifecycle, observed on the event stream: start the dependency and the
    // dependent, a refused stop of the dependency, then both stopped in order.
    [TestMethod]
    [Verifies("IslDsgn~api-relays-to-island~1")]
    [Verifies("IslDsgn~api-error-mapping~1")]
    [Verifies("IslProd~event-log-access~1")]
    public async Task Start_and_stop_follow_the_island_and_a_dependency_in_use_cannot_be_stopped_while_events_stream_in_order()
    {
        (Vm dependency, Vm dependent) = await PairAsync();
        using var watching = new CancellationTokenSource();
        var events = new List<Event>();
        // The whole stream is bounded: a kit must end, whatever the agent under test does.
        using AsyncServerStreamingCall<WatchEventsResponse> stream = Events.WatchEvents(
            new WatchEventsRequest(), deadline: DateTime.UtcNow.AddMilliseconds(4 * VmTimeoutMs), cancellationToken: watching.Token);
        await stream.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10)); // the agent has the subscription before the first request
        Task pump = Task.Run(async () =>
        {
            try
            {
                while (await stream.ResponseStream.MoveNext(watching.Token))
                {
                    lock (events)
                    {
                        events.Add(stream.ResponseStream.Current.Event);
                    }
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded)
            {
            }
            catch (OperationCanceledException)
            {
            }
        });
        try
        {
            StartVmResponse started = await Vms.StartVmAsync(new StartVmRequest { Name = dependency.Name, Reason = "conformance" }, Deadline());
            Assert.IsTrue(started.Vm.State is VmState.Starting or VmState.Running, "StartVm returns the VM as the island reports it: " + started.Vm.State);
            await WaitForStateAsync(dependency.Name, VmState.Running);
            await Vms.StartVmAsync(new StartVmRequest { Name = dependent.Name, Reason = "conformance" }, Deadline());
            await WaitForStateAsync(dependent.Name, VmState.Running);

            RpcException e = Refused(async () => await Vms.StopVmAsync(new StopVmRequest { Name = dependency.Name, Reason = "conformance" }, Deadline()));
            Assert.AreEqual(StatusCode.FailedPrecondition, e.StatusCode, e.Status.Detail);
            StringAssert.Contains(e.Status.Detail, dependency.Name);
            StringAssert.Contains(e.Status.Detail, dependent.Name);
            Assert.AreEqual(VmState.Running, (await Vms.GetVmAsync(new GetVmRequest { Name = dependency.Name }, Deadline())).Vm.State, "the refused stop changed nothing");
        }
        finally
        {
            // The dependent first: the dependency may stop only once nothing active depends on it.
            await StopQuietlyAsync(dependent.Name);
            await WaitForStateAsync(dependent.Name, VmState.Stopped);
            await StopQuietlyAsync(dependency.Name);
        }

        await WaitForStateAsync(dependency.Name, VmState.Stopped);
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 5_000 && !Seen(events, dependency.Id, VmState.Stopped))
        {
            await Task.Delay(50);
        }

        watching.Cancel();
        await pump;
        Event[] seen;
        lock (events)
        {
            seen = events.ToArray();
        }

        Assert.IsTrue(seen.Length > 0, "WatchEvents delivered nothing during a start and stop");
        for (int i = 1; i < seen.Length; i++)
        {
            Assert.AreEqual(seen[i - 1].Sequence + 1, seen[i].Sequence, $"events in sequence order without holes (#{i})");
        }

        // Starting follows the request within milliseconds and may precede the subscription on a busy
        // machine; the later states come seconds after it.
        foreach (VmState state in new[] { VmState.Running, VmState.Stopping, VmState.Stopped })
        {
            Assert.IsTrue(Seen(seen, dependency.Id, state), $"no VM_STATE event for '{dependency.Name}' entering {state}");
        }
    }

    private static bool Seen(IEnumerable<Event> events, uint vmId, VmState state)
    {
        lock (events)
        {
            return events.Any(e => e.Type == EventType.VmState && e.SubjectId == vmId && e.Value == (int)state);
        }
    }

    private static async Task StopQuietlyAsync(string name)
    {
        try
        {
            await Vms.StopVmAsync(new StopVmRequest { Name = name, Reason = "conformance cleanup" }, Deadline());
        }
        catch (RpcException)
        {
        }
    }
}
