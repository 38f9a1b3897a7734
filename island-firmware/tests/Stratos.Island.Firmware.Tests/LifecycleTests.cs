using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class LifecycleTests
{
    private static TestIsland One(Criticality criticality = Criticality.Qm, SafeAction action = SafeAction.Unspecified)
        => new(TestIsland.Configure(TestIsland.Vm(1, "web", criticality, safeAction: action)));

    // The allowed set, written out independently of VmStateMachine's table.
    private static readonly HashSet<(VmState, VmState)> Allowed = new()
    {
        (VmState.Defined, VmState.Starting), (VmState.Stopped, VmState.Starting), (VmState.Failed, VmState.Starting),
        (VmState.Starting, VmState.Running), (VmState.Starting, VmState.Failed), (VmState.Starting, VmState.Stopping),
        (VmState.Running, VmState.Pausing), (VmState.Running, VmState.Stopping), (VmState.Running, VmState.Failed),
        (VmState.Pausing, VmState.Paused), (VmState.Pausing, VmState.Stopping), (VmState.Pausing, VmState.Failed),
        (VmState.Paused, VmState.Running), (VmState.Paused, VmState.Stopping), (VmState.Paused, VmState.Failed),
        (VmState.Stopping, VmState.Stopped), (VmState.Stopping, VmState.Failed),
        (VmState.Failed, VmState.Quarantined), (VmState.Failed, VmState.Stopped), (VmState.Quarantined, VmState.Stopped),
        (VmState.Starting, VmState.Stopped), (VmState.Running, VmState.Stopped), (VmState.Pausing, VmState.Stopped),
        (VmState.Paused, VmState.Stopped),
    };

    [TestMethod]
    [Verifies("IslDsgn~lifecycle-transition-table~1")]
    public void The_transition_table_allows_exactly_the_documented_transitions()
    {
        for (int from = 0; from <= 9; from++)
        {
            for (int to = 0; to <= 9; to++)
            {
                bool expected = Allowed.Contains(((VmState)from, (VmState)to));
                Assert.AreEqual(expected, VmStateMachine.IsAllowed((VmState)from, (VmState)to), $"{(VmState)from} -> {(VmState)to}");
            }
        }

        Assert.IsFalse(VmStateMachine.IsAllowed((VmState)42, VmState.Running));
    }

    [TestMethod]
    [Verifies("IslDsgn~lifecycle-transition-table~1")]
    public void Start_issues_a_directive_and_running_arms_supervision()
    {
        TestIsland island = One();
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start));
        Assert.AreEqual(VmState.Starting, island.State(1));
        Directive d = island.Output.LastDirective;
        Assert.AreEqual(DirectiveAction.Start, d.Action);
        Assert.AreEqual(1u, d.VmId);
        Assert.AreEqual(1000u, d.TimeoutMs);
        Assert.IsTrue(island.Output.LastResult.Accepted);
        Assert.AreEqual(string.Empty, island.Output.LastResult.Message);
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(1).Status);

        Assert.AreEqual(ErrorCode.Unspecified, island.Core.HandleVmStateReport(1, ObservedVmState.Running, d.Id, 0, ""));
        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(1).Status);
    }

    [TestMethod]
    public void Stop_then_reported_down_ends_stopped_and_deactivates_supervision()
    {
        TestIsland island = One();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop));
        Assert.AreEqual(VmState.Stopping, island.State(1));
        Assert.AreEqual(DirectiveAction.Stop, island.Output.LastDirective.Action);
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(1).Status);
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Stopped, island.State(1));
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start), "Stopped -> Starting");
    }

    [TestMethod]
    [Verifies("IslDsgn~lifecycle-transition-table~1")]
    public void Pause_and_resume_wait_for_the_agent_reports()
    {
        TestIsland island = One();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Pause));
        Assert.AreEqual(VmState.Pausing, island.State(1));
        island.Report(1, ObservedVmState.Paused);
        Assert.AreEqual(VmState.Paused, island.State(1));
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(1).Status);

        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Resume));
        Assert.AreEqual(DirectiveAction.Resume, island.Output.LastDirective.Action);
        Assert.AreEqual(VmState.Paused, island.State(1), "stays Paused until the agent reports RUNNING");
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Resume));
        Assert.AreEqual("VM 'web': resume already in progress", island.Core.LastRefusal);
        island.Report(1, ObservedVmState.Running);
        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.AreEqual(LocalStatus.Ok, island.Core.Supervision.Find(1).Status);
    }

    [TestMethod]
    public void Stop_while_paused_and_pausing_is_accepted()
    {
        TestIsland island = One();
        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop), "Pausing -> Stopping");
        island.Report(1, ObservedVmState.NotRunning);
        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        island.Report(1, ObservedVmState.Paused);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop), "Paused -> Stopping");
        Assert.AreEqual(VmState.Stopping, island.State(1));
    }

    [TestMethod]
    public void Stop_while_starting_is_accepted()
    {
        TestIsland island = One();
        island.Request(1, VmAction.Start);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop));
        Assert.AreEqual(VmState.Stopping, island.State(1));
    }

    [TestMethod]
    [DataRow(VmAction.Start, "VM 'web': cannot start while Running")]
    [DataRow(VmAction.Resume, "VM 'web': cannot resume while Running")]
    [DataRow(VmAction.Clear, "VM 'web': cannot clear while Running (only a Quarantined VM can be cleared)")]
    [Verifies("IslDsgn~request-validation~1")]
    public void Requests_that_do_not_fit_the_running_state_are_refused_with_a_reason(VmAction action, string message)
    {
        TestIsland island = One();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, action));
        Assert.AreEqual(message, island.Core.LastRefusal);
        Result r = island.Output.LastResult;
        Assert.IsFalse(r.Accepted);
        Assert.AreEqual(message, r.Message);
        Assert.AreEqual(1u, r.SubjectId);
        Assert.AreEqual(VmState.Running, island.State(1));
        Assert.IsTrue(island.Output.EventsOf(EventType.RequestRefused).Any(e => e.Detail == message), "refusals are logged");
    }

    [TestMethod]
    [DataRow(VmAction.Stop, "VM 'web': cannot stop while Defined")]
    [DataRow(VmAction.Kill, "VM 'web': cannot kill while Defined")]
    [DataRow(VmAction.Pause, "VM 'web': cannot pause while Defined")]
    [DataRow(VmAction.Resume, "VM 'web': cannot resume while Defined")]
    [Verifies("IslDsgn~request-validation~1")]
    public void Requests_on_a_defined_vm_are_refused_with_a_reason(VmAction action, string message)
    {
        TestIsland island = One();
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, action));
        Assert.AreEqual(message, island.Core.LastRefusal);
        Assert.AreEqual(VmState.Defined, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void A_second_graceful_stop_is_refused_but_kill_escalates_it()
    {
        TestIsland island = One();
        island.StartRunning(1);
        island.Request(1, VmAction.Stop);
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Request(1, VmAction.Stop));
        Assert.AreEqual("VM 'web': already Stopping", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Kill));
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
    }

    [TestMethod]
    [Verifies("IslDsgn~request-validation~1")]
    public void Unknown_vms_and_actions_are_refused()
    {
        TestIsland island = One();
        Assert.AreEqual(ErrorCode.NotFound, island.Request(9, VmAction.Start));
        Assert.AreEqual("VM 9: not defined", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.InvalidArgument, island.Request(1, (VmAction)99));
        Assert.AreEqual("VM 'web': action 99 is not a VM action", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.NotFound, island.Core.HandleVmStateReport(9, ObservedVmState.Running, 0, 0, ""));
    }

    [TestMethod]
    [Verifies("IslDsgn~kill-policy~1")]
    public void The_agent_may_not_kill_an_asil_vm()
    {
        TestIsland island = One(Criticality.AsilB);
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.PermissionDenied, island.Request(1, VmAction.Kill));
        Assert.AreEqual("VM 'web': kill refused for a ASIL-B VM; the agent may only stop it gracefully", island.Core.LastRefusal);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop));
    }

    [TestMethod]
    [Verifies("IslDsgn~kill-policy~1")]
    public void The_agent_may_kill_a_qm_vm()
    {
        TestIsland island = One();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Kill));
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
    }

    [TestMethod]
    [Verifies("IslDsgn~directive-timeouts~1")]
    public void Reports_for_an_older_directive_are_ignored()
    {
        TestIsland island = One();
        island.Request(1, VmAction.Start);
        uint old = island.Output.LastDirective.Id;
        island.Request(1, VmAction.Stop);
        Assert.AreEqual(ErrorCode.Aborted, island.Core.HandleVmStateReport(1, ObservedVmState.Running, old, 0, ""));
        Assert.AreEqual(VmState.Stopping, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~no-vm-without-consent~1")]
    public void A_vm_running_without_consent_is_killed()
    {
        TestIsland island = One();
        Assert.AreEqual(ErrorCode.FailedPrecondition, island.Core.HandleVmStateReport(1, ObservedVmState.Running, 0, 0, ""));
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action);
        Assert.AreEqual(VmState.Defined, island.State(1));
    }

    [TestMethod]
    [DataRow(ObservedVmState.Crashed)]
    [DataRow(ObservedVmState.Exited)]
    [DataRow(ObservedVmState.NotRunning)]
    [Verifies("IslDsgn~no-vm-without-consent~1")]
    public void A_running_vm_that_goes_down_fails(ObservedVmState observed)
    {
        TestIsland island = One(action: SafeAction.StopVm);
        island.StartRunning(1);
        island.Core.HandleVmStateReport(1, observed, 0, -11, "GUEST_PANICKED");
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("GUEST_PANICKED", island.Vm(1).LastFailure);
        Assert.AreEqual(LocalStatus.Deactivated, island.Core.Supervision.Find(1).Status);
        Assert.IsFalse(island.Vm(1).RestartPending, "STOP_VM does not restart");
    }

    [TestMethod]
    [Verifies("IslDsgn~directive-timeouts~1")]
    public void Start_failed_and_start_timeout_fail_the_vm()
    {
        TestIsland island = One(action: SafeAction.StopVm);
        island.Request(1, VmAction.Start);
        island.Report(1, ObservedVmState.StartFailed);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("VMM could not start", island.Vm(1).LastFailure);

        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Start), "Failed -> Starting");
        island.Run(990);
        Assert.AreEqual(VmState.Starting, island.State(1));
        island.Run(20);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("start timed out", island.Vm(1).LastFailure);
        Assert.AreEqual(DirectiveAction.Kill, island.Output.LastDirective.Action, "a VMM that may still start is killed");
    }

    [TestMethod]
    [Verifies("IslDsgn~directive-timeouts~1")]
    public void Pause_and_resume_timeouts_fail_the_vm()
    {
        TestIsland island = One(action: SafeAction.StopVm);
        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        island.Run(600);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("pause timed out", island.Vm(1).LastFailure);

        island.StartRunning(1);
        island.Request(1, VmAction.Pause);
        island.Report(1, ObservedVmState.Paused);
        island.Request(1, VmAction.Resume);
        island.Run(1100);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("resume timed out", island.Vm(1).LastFailure);
    }

    [TestMethod]
    [Verifies("IslDsgn~directive-timeouts~1")]
    public void A_stop_timeout_fails_the_vm_without_restarting_it()
    {
        TestIsland island = One();
        island.StartRunning(1);
        island.Request(1, VmAction.Stop);
        island.Run(600);
        Assert.AreEqual(VmState.Failed, island.State(1));
        Assert.AreEqual("stop timed out", island.Vm(1).LastFailure);
        Assert.IsFalse(island.Vm(1).RestartPending);
    }

    [TestMethod]
    [Verifies("IslDsgn~restart-budget~1")]
    public void Stop_on_a_failed_vm_cancels_its_restart()
    {
        TestIsland island = One();
        island.StartRunning(1);
        island.Report(1, ObservedVmState.Crashed);
        Assert.IsTrue(island.Vm(1).RestartPending);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Stop));
        Assert.AreEqual(VmState.Stopped, island.State(1));
        island.Run(2000);
        Assert.AreEqual(VmState.Stopped, island.State(1));
    }

    [TestMethod]
    [Verifies("IslDsgn~lifecycle-transition-table~1")]
    public void Restart_request_stops_then_starts_again()
    {
        TestIsland island = One();
        island.StartRunning(1);
        Assert.AreEqual(ErrorCode.Unspecified, island.Request(1, VmAction.Restart));
        Assert.AreEqual(VmState.Stopping, island.State(1));
        island.Report(1, ObservedVmState.NotRunning);
        Assert.AreEqual(VmState.Starting, island.State(1));
        Assert.AreEqual(DirectiveAction.Start, island.Output.LastDirective.Action);
        Assert.AreEqual(0, island.Core.Lifecycle.RestartsInWindow(island.Vm(1), island.Clock.MonotonicMs), "operator restarts do not use the budget");
    }

    [TestMethod]
    [Verifies("IslDsgn~state-change-logged~1")]
    public void Every_state_change_is_logged_and_pushed_as_status()
    {
        TestIsland island = One();
        island.StartRunning(1);
        var states = island.Output.EventsOf(EventType.VmState).Select(e => (VmState)e.Value).ToArray();
        CollectionAssert.AreEqual(new[] { VmState.Starting, VmState.Running }, states);
        CollectionAssert.AreEqual(new[] { VmState.Starting, VmState.Running }, island.Output.VmStatuses.Where(s => s.VmId == 1).Select(s => s.State).Distinct().ToArray());
    }
}
