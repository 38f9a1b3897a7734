using System;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.State;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.Tests;

[TestClass]
public sealed class StateCacheTests
{
    private static StateCache WithTwoVms(long nowMs = 1000)
    {
        long now = nowMs;
        var cache = new StateCache(() => now);
        cache.SeedDefinitions(new[]
        {
            new VmDefinition { VmId = 2, Name = "web", BootOrder = 2, DependsOn = { 1 }, PowerDomains = { 2 }, Criticality = Criticality.Qm },
            new VmDefinition { VmId = 1, Name = "base", BootOrder = 1, PowerDomains = { 1 }, Criticality = Criticality.AsilB },
        });
        return cache;
    }

    [TestMethod]
    public void An_unknown_vm_is_not_found_and_the_message_lists_the_known_ones()
    {
        StateCache cache = WithTwoVms();

        var error = Assert.ThrowsExactly<AgentException>(() => cache.FindVm("x"));

        Assert.AreEqual(ErrorCode.NotFound, error.Code);
        Assert.AreEqual("VM 'x' not found; known VMs: base, web", error.Message);
    }

    [TestMethod]
    [Verifies("IslDsgn~stale-marking~1")]
    public void The_supervision_snapshot_carries_the_age_of_the_islands_last_report()
    {
        long now = 5000;
        var cache = new StateCache(() => now);
        Assert.AreEqual(0UL, cache.Supervision().AgeMs, "no report yet");
        cache.ApplySupervision(new SupervisionStatus { Global = GlobalStatus.Ok, Cycle = 3127 });
        now = 7250;

        SupervisionSnapshot snapshot = cache.Supervision();

        Assert.AreEqual(3127UL, snapshot.Cycle);
        Assert.AreEqual(2250UL, snapshot.AgeMs);
    }

    [TestMethod]
    public void Vms_are_listed_in_boot_order()
    {
        CollectionAssert.AreEqual(new uint[] { 1, 2 }, new System.Collections.Generic.List<uint>(WithTwoVms().VmIds()));
    }

    [TestMethod]
    public void The_api_view_merges_definition_island_status_power_names_and_the_local_pid()
    {
        StateCache cache = WithTwoVms();
        cache.ApplyPower(new PowerDomainStatus { DomainId = 2, Name = "vm-web", State = PowerState.On });
        cache.ApplyVmStatus(new VmStatus { VmId = 2, Name = "web", State = VmState.Running, Supervision = LocalStatus.Ok, RestartsInWindow = 1, LastFailure = "crash" });
        cache.SetPid(2, 4242);

        var vm = cache.ToApiVm(cache.FindVm("web"));

        Assert.AreEqual(VmState.Running, vm.State);
        Assert.AreEqual(LocalStatus.Ok, vm.Supervision);
        Assert.AreEqual(Criticality.Qm, vm.Criticality);
        Assert.AreEqual(4242u, vm.Pid);
        Assert.AreEqual(1u, vm.RestartsInWindow);
        Assert.AreEqual("crash", vm.LastFailure);
        CollectionAssert.AreEqual(new[] { "base" }, new System.Collections.Generic.List<string>(vm.DependsOn));
        CollectionAssert.AreEqual(new[] { "vm-web" }, new System.Collections.Generic.List<string>(vm.PowerDomains));
        CollectionAssert.AreEqual(new[] { "web" }, new System.Collections.Generic.List<string>(cache.VmsOnDomain(2)));
    }

    [TestMethod]
    public void A_definition_from_the_island_replaces_the_seeded_one()
    {
        StateCache cache = WithTwoVms();
        cache.ApplyDefinition(new VmDefinition { VmId = 2, Name = "web", BootOrder = 5, Vmm = new VmmConfig { MemoryMib = 256 } });

        Assert.AreEqual(256u, cache.Definition(2)!.Vmm.MemoryMib);
        Assert.AreEqual(5u, cache.ToApiVm(2).BootOrder);
    }

    [TestMethod]
    public async Task Waiting_for_a_newer_status_returns_when_it_arrives()
    {
        StateCache cache = WithTwoVms();
        long before = cache.StatusVersion(1);
        Task wait = cache.WaitForStatusAfterAsync(1, before, TimeSpan.FromSeconds(5));
        Assert.IsFalse(wait.IsCompleted);

        cache.ApplyVmStatus(new VmStatus { VmId = 1, Name = "base", State = VmState.Starting });
        await wait.WaitAsync(TimeSpan.FromSeconds(2));

        Assert.IsTrue(cache.StatusVersion(1) > before);
    }

    [TestMethod]
    public void Supervision_entities_accumulate_across_pages()
    {
        var cache = new StateCache();
        cache.ApplySupervision(new SupervisionStatus { Global = GlobalStatus.Ok, Cycle = 5, Entities = { new EntityStatus { EntityId = 0, Status = LocalStatus.Ok } }, More = true });
        cache.ApplySupervision(new SupervisionStatus { Global = GlobalStatus.Failed, Cycle = 6, Entities = { new EntityStatus { EntityId = 3, Status = LocalStatus.Failed } } });

        SupervisionSnapshot snapshot = cache.Supervision();

        Assert.AreEqual(GlobalStatus.Failed, snapshot.Global);
        Assert.AreEqual(6ul, snapshot.Cycle);
        Assert.AreEqual(2, snapshot.Entities.Count);
        Assert.AreEqual("agent", cache.VmName(0));
    }

    [TestMethod]
    public async Task A_slow_event_subscriber_is_ended_with_the_sequence_to_resume_from()
    {
        var hub = new EventHub();
        using EventHub.Subscription subscription = hub.Subscribe();
        for (uint s = 1; s <= EventHub.SubscriberCapacity + 1; s++)
        {
            hub.Publish(new Event { Sequence = s });
        }

        Assert.AreEqual(0, hub.SubscriberCount);
        int read = 0;
        while (subscription.Reader.TryRead(out _))
        {
            read++;
        }

        Assert.AreEqual(EventHub.SubscriberCapacity, read);
        var error = await Assert.ThrowsExactlyAsync<AgentException>(() => subscription.Reader.Completion);
        StringAssert.Contains(error.Message, $"watch again from sequence {EventHub.SubscriberCapacity + 1}");
    }
}
