using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Hil.Tests;

/// <summary>
/// The HIL scenario suites (Stratos.Island.Hil.Scenarios.HilSuites), one MSTest method each, on the
/// bench ./hil.sh selects (virtual by default). Category "hil" plus "quick" (CI, inside ./test.sh) or
/// "full" (./hil.sh --suite full); "xen" marks the scenarios the Xen bench runs (./hil.sh --vmm xen),
/// "xen-quick" its quick suite (HilSuites' Scenario.Xen). Scenarios the bench cannot inject for are inconclusive (skipped,
/// with the bench's reason) and counted as skipped in the reports. The scenarios themselves, their
/// names and order, are HilSuites.All; a test (ScenarioListTests) keeps these methods in step with it.
/// </summary>
[TestClass]
public sealed class HilScenarioTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [TestCategory("xen")]
    [TestCategory("xen-quick")]
    [Verifies("IslProd~restart-policy~1")]
    public Task Autostart_vms_boot_in_dependency_order() => HilSession.RunAsync(nameof(Autostart_vms_boot_in_dependency_order), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~power-arbitration~1")]
    public Task Power_off_of_a_domain_in_use_is_refused() => HilSession.RunAsync(nameof(Power_off_of_a_domain_in_use_is_refused), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [TestCategory("xen")]
    [Verifies("IslProd~restart-policy~1")]
    public Task Stop_of_a_vm_with_a_running_dependent_is_refused() => HilSession.RunAsync(nameof(Stop_of_a_vm_with_a_running_dependent_is_refused), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~system-power~1")]
    public Task System_reboot_stops_vms_in_reverse_boot_order_and_boots_them_again() => HilSession.RunAsync(nameof(System_reboot_stops_vms_in_reverse_boot_order_and_boots_them_again), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [TestCategory("xen")]
    [TestCategory("xen-quick")]
    [Verifies("IslProd~alive-supervision~1", "IslProd~escalation~1")]
    public Task Hung_asil_vm_is_detected_by_alive_supervision_and_restarted() => HilSession.RunAsync(nameof(Hung_asil_vm_is_detected_by_alive_supervision_and_restarted), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [Verifies("IslProd~escalation~1")]
    public Task Hung_qm_vm_gets_its_configured_safe_action() => HilSession.RunAsync(nameof(Hung_qm_vm_gets_its_configured_safe_action), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~deadline-supervision~1")]
    public Task Withheld_end_checkpoint_is_detected_by_deadline_supervision() => HilSession.RunAsync(nameof(Withheld_end_checkpoint_is_detected_by_deadline_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~logical-supervision~1")]
    public Task Reordered_checkpoints_are_detected_by_logical_supervision() => HilSession.RunAsync(nameof(Reordered_checkpoints_are_detected_by_logical_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~alive-supervision~1")]
    public Task Slowed_heartbeats_below_the_margin_are_detected_by_alive_supervision() => HilSession.RunAsync(nameof(Slowed_heartbeats_below_the_margin_are_detected_by_alive_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~alive-supervision~1")]
    public Task Stopped_heartbeats_are_detected_by_alive_supervision() => HilSession.RunAsync(nameof(Stopped_heartbeats_are_detected_by_alive_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~restart-policy~1")]
    public Task Guest_exit_is_detected_and_the_vm_restarted() => HilSession.RunAsync(nameof(Guest_exit_is_detected_and_the_vm_restarted), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [TestCategory("xen")]
    [Verifies("IslProd~restart-policy~1")]
    public Task Crashed_vm_is_restarted_by_its_restart_policy() => HilSession.RunAsync(nameof(Crashed_vm_is_restarted_by_its_restart_policy), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~restart-policy~1")]
    public Task Vm_crashing_past_its_restart_budget_is_quarantined() => HilSession.RunAsync(nameof(Vm_crashing_past_its_restart_budget_is_quarantined), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~island-restart~1")]
    public Task Killed_island_process_comes_back_as_a_reset_mcu() => HilSession.RunAsync(nameof(Killed_island_process_comes_back_as_a_reset_mcu), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~ring-reset~1")]
    public Task Scribbled_rings_are_reset_and_the_session_resynchronises() => HilSession.RunAsync(nameof(Scribbled_rings_are_reset_and_the_session_resynchronises), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~agent-supervision~1")]
    public Task Frozen_agent_expires_and_the_a_cluster_is_reset() => HilSession.RunAsync(nameof(Frozen_agent_expires_and_the_a_cluster_is_reset), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [TestCategory("xen")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Killed_agent_restarts_and_the_link_comes_back() => HilSession.RunAsync(nameof(Killed_agent_restarts_and_the_link_comes_back), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Island_reset_reboots_the_island_and_the_vms_keep_running() => HilSession.RunAsync(nameof(Island_reset_reboots_the_island_and_the_vms_keep_running), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~island-watchdog~1")]
    public Task Hung_island_is_reset_by_its_watchdog() => HilSession.RunAsync(nameof(Hung_island_is_reset_by_its_watchdog), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~escalation~1")]
    public Task A_cluster_reset_boots_the_vms_again() => HilSession.RunAsync(nameof(A_cluster_reset_boots_the_vms_again), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Island_and_agent_restarting_together_resynchronise() => HilSession.RunAsync(nameof(Island_and_agent_restarting_together_resynchronise), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Dropped_link_messages_are_recovered() => HilSession.RunAsync(nameof(Dropped_link_messages_are_recovered), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Duplicated_link_messages_are_dropped_by_the_session() => HilSession.RunAsync(nameof(Duplicated_link_messages_are_dropped_by_the_session), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~link-recovery~1")]
    public Task Delayed_link_messages_are_tolerated() => HilSession.RunAsync(nameof(Delayed_link_messages_are_tolerated), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~robust-input~1")]
    public Task Corrupted_link_messages_are_counted_and_dropped() => HilSession.RunAsync(nameof(Corrupted_link_messages_are_counted_and_dropped), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~standard-transport~1")]
    public Task Full_tx_ring_is_reported_not_waited_on() => HilSession.RunAsync(nameof(Full_tx_ring_is_reported_not_waited_on), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~agent-supervision~1")]
    public Task Dropped_alive_indications_fail_the_agents_supervision() => HilSession.RunAsync(nameof(Dropped_alive_indications_fail_the_agents_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~agent-supervision~1")]
    public Task Slow_agent_is_detected_by_its_alive_supervision() => HilSession.RunAsync(nameof(Slow_agent_is_detected_by_its_alive_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~event-log-durability~1")]
    public Task Power_cut_keeps_the_event_log_contiguous() => HilSession.RunAsync(nameof(Power_cut_keeps_the_event_log_contiguous), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [Verifies("IslProd~link-authentication~1")]
    public Task Forged_and_replayed_link_messages_are_rejected_and_logged_and_supervision_is_unaffected() =>
        HilSession.RunAsync(nameof(Forged_and_replayed_link_messages_are_rejected_and_logged_and_supervision_is_unaffected), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("quick")]
    [Verifies("IslProd~standard-guest-devices~1")]
    public Task Linux_kernel_panic_is_a_crash_and_the_vm_restarted() => HilSession.RunAsync(nameof(Linux_kernel_panic_is_a_crash_and_the_vm_restarted), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~standard-guest-devices~1")]
    public Task Linux_reboot_from_inside_is_an_exit_and_the_vm_restarted() => HilSession.RunAsync(nameof(Linux_reboot_from_inside_is_an_exit_and_the_vm_restarted), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    [Verifies("IslProd~standard-guest-devices~1")]
    public Task Linux_hang_trips_the_watchdog_and_is_escalated() => HilSession.RunAsync(nameof(Linux_hang_trips_the_watchdog_and_is_escalated), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    public Task Linux_helper_killed_expires_alive_supervision() => HilSession.RunAsync(nameof(Linux_helper_killed_expires_alive_supervision), TestContext);

    [TestMethod]
    [TestCategory("hil")]
    [TestCategory("full")]
    public Task Linux_slowed_heartbeats_are_detected_by_alive_supervision() => HilSession.RunAsync(nameof(Linux_slowed_heartbeats_are_detected_by_alive_supervision), TestContext);
}
