using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Stratos.Island.Grpc;
using Stratos.Island.Hil.Events;
using Stratos.Island.Hil.Measurement;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Hil.Scenarios;

/// <summary>
/// The HIL scenarios, written against <see cref="Benches.IBench"/> and the virtual board's two VMs
/// (boards/virtual/vms.yaml: 'base' ASIL-B restart-vm with alive + deadline + logical supervision,
/// 'web' QM stop-vm depending on 'base'), and the Linux VM 'linux' (docs/guests.md). Each asserts both sides: the island's events in order within
/// a time, and what the operator API shows afterwards. Groups: lifecycle, supervision, escalation,
/// power, recovery, persistence. The CI subset (quick) is chosen by the MSTest categories of HilScenarioTests.
/// </summary>
public static class HilSuites
{
    /// <summary>Events about entity 0 (the agent) and the island itself carry subject "island".</summary>
    public const string IslandSubject = "island";

    /// <summary>
    /// The agent (entity 0) armed by a link connection: the island logs no LinkUp record, but every
    /// HandleAgentConnected arms the agent's supervision, logged as SupervisionStatus OK on subject 0.
    /// </summary>
    /// <summary>The agent's supervision (entity 0) FAILED or EXPIRED, whatever name the agent gives subject 0.</summary>
    public static readonly EventMatch AgentSupervisionFault = new("supervision of the agent (entity 0) FAILED or EXPIRED",
        e => e.Type == EventType.SupervisionStatus && e.Event.SubjectId == 0 && e.Value is (int)LocalStatus.Failed or (int)LocalStatus.Expired);

    /// <summary>RESET_A_CLUSTER taken for the agent (entity 0).</summary>
    public static readonly EventMatch AgentResetACluster = new("escalation ResetACluster for the agent (entity 0)",
        e => e.Type == EventType.Escalation && e.Event.SubjectId == 0 && e.Value == (int)SafeAction.ResetACluster);

    public static readonly EventMatch AgentConnected = new("agent connected (supervision of entity 0 OK)",
        e => e.Type == EventType.SupervisionStatus && e.Event.SubjectId == 0 && e.Value == (int)LocalStatus.Ok);


    /// <summary>A killed island process: the supervisor starts a new one (two .NET start-ups are not
    /// needed, only the child's: about 0.5 s measured) and the agent's session comes back.</summary>
    public static readonly TimeSpan IslandCrashRecovery = TimeSpan.FromSeconds(5);

    /// <summary>Ring reset to resynchronised session, on the island's own clock (issue 14).</summary>
    public const long RingResetRecoveryMs = 100;

    public static IReadOnlyList<Scenario> All(HilTarget target) => new[]
    {
        new Scenario("Autostart_vms_boot_in_dependency_order", "lifecycle", Array.Empty<FaultKind>(), c => BootOrderAsync(c)) { Xen = XenSuite.Quick },
        new Scenario("Power_off_of_a_domain_in_use_is_refused", "power", Array.Empty<FaultKind>(), c => PowerRefusalAsync(c)),
        new Scenario("Stop_of_a_vm_with_a_running_dependent_is_refused", "power", Array.Empty<FaultKind>(), c => StopRefusalAsync(c)) { Xen = XenSuite.Full },
        new Scenario("System_reboot_stops_vms_in_reverse_boot_order_and_boots_them_again", "power", Array.Empty<FaultKind>(), c => SystemRebootAsync(c)),
        new Scenario("Hung_asil_vm_is_detected_by_alive_supervision_and_restarted", "supervision", new[] { FaultKind.GuestHang },
            c => HangAsync(c, target.SupervisionProbe("base", FaultKind.GuestHang, SupervisionKind.Alive, heartbeatsStop: true), SafeAction.RestartVm, VmState.Running)) { Xen = XenSuite.Quick },
        new Scenario("Hung_qm_vm_gets_its_configured_safe_action", "escalation", new[] { FaultKind.GuestHang },
            c => HangAsync(c, target.SupervisionProbe("web", FaultKind.GuestHang, SupervisionKind.Alive, heartbeatsStop: true),
                target.Vm("web").SafeAction, target.Vm("web").SafeAction == SafeAction.StopVm ? VmState.Failed : VmState.Running)),
        new Scenario("Withheld_end_checkpoint_is_detected_by_deadline_supervision", "supervision", new[] { FaultKind.GuestLateCheckpoint },
            c => CheckpointFaultAsync(c, target.SupervisionProbe("base", FaultKind.GuestLateCheckpoint, SupervisionKind.Deadline, heartbeatsStop: false))),
        new Scenario("Reordered_checkpoints_are_detected_by_logical_supervision", "supervision", new[] { FaultKind.GuestReorderCheckpoints },
            c => CheckpointFaultAsync(c, target.SupervisionProbe("base", FaultKind.GuestReorderCheckpoints, SupervisionKind.Logical, heartbeatsStop: false))),
        new Scenario("Slowed_heartbeats_below_the_margin_are_detected_by_alive_supervision", "supervision", new[] { FaultKind.GuestSlowHeartbeats },
            c => CheckpointFaultAsync(c, target.SupervisionProbe("base", FaultKind.GuestSlowHeartbeats, SupervisionKind.Alive, heartbeatsStop: false))),
        new Scenario("Stopped_heartbeats_are_detected_by_alive_supervision", "supervision", new[] { FaultKind.GuestStallHeartbeats },
            c => CheckpointFaultAsync(c, target.SupervisionProbe("base", FaultKind.GuestStallHeartbeats, SupervisionKind.Alive, heartbeatsStop: true))),
        new Scenario("Guest_exit_is_detected_and_the_vm_restarted", "escalation", new[] { FaultKind.GuestExit }, c => CrashAsync(c, target, FaultKind.GuestExit)),
        new Scenario("Crashed_vm_is_restarted_by_its_restart_policy", "escalation", new[] { FaultKind.GuestCrash }, c => CrashAsync(c, target, FaultKind.GuestCrash)) { Xen = XenSuite.Full },
        new Scenario("Vm_crashing_past_its_restart_budget_is_quarantined", "lifecycle", new[] { FaultKind.GuestCrash }, c => QuarantineAsync(c, target, (int)target.Vm("base").Restart.MaxRestarts)),
        new Scenario("Frozen_agent_expires_and_the_a_cluster_is_reset", "escalation", new[] { FaultKind.AgentFreeze }, c => FrozenAgentAsync(c)),
        new Scenario("Killed_agent_restarts_and_the_link_comes_back", "recovery", new[] { FaultKind.AgentKill }, c => AgentKillAsync(c, target)) { Xen = XenSuite.Full },
        new Scenario("Island_reset_reboots_the_island_and_the_vms_keep_running", "recovery", new[] { FaultKind.IslandReset },
            c => IslandRestartAsync(c, FaultKind.IslandReset, ResetReason.Software)),
        new Scenario("Hung_island_is_reset_by_its_watchdog", "recovery", new[] { FaultKind.IslandHang },
            c => IslandRestartAsync(c, FaultKind.IslandHang, ResetReason.Watchdog)),
        new Scenario("Killed_island_process_comes_back_as_a_reset_mcu", "recovery", new[] { FaultKind.IslandKill }, c => IslandKillAsync(c)),
        new Scenario("Scribbled_rings_are_reset_and_the_session_resynchronises", "link", new[] { FaultKind.LinkRingScribble }, c => RingScribbleAsync(c)),
        new Scenario("A_cluster_reset_boots_the_vms_again", "recovery", new[] { FaultKind.AClusterReset }, c => AClusterResetAsync(c)),
        new Scenario("Island_and_agent_restarting_together_resynchronise", "recovery", new[] { FaultKind.IslandReset, FaultKind.AgentKill }, c => BothRestartAsync(c)),
        new Scenario("Dropped_link_messages_are_recovered", "link", new[] { FaultKind.LinkDrop }, c => LinkGlitchAsync(c, FaultKind.LinkDrop)),
        new Scenario("Duplicated_link_messages_are_dropped_by_the_session", "link", new[] { FaultKind.LinkDuplicate }, c => LinkGlitchAsync(c, FaultKind.LinkDuplicate)),
        new Scenario("Delayed_link_messages_are_tolerated", "link", new[] { FaultKind.LinkDelay }, c => LinkGlitchAsync(c, FaultKind.LinkDelay)),
        new Scenario("Corrupted_link_messages_are_counted_and_dropped", "link", new[] { FaultKind.LinkCorrupt }, c => LinkGlitchAsync(c, FaultKind.LinkCorrupt)),
        new Scenario("Forged_and_replayed_link_messages_are_rejected_and_logged_and_supervision_is_unaffected", "link",
            new[] { FaultKind.LinkForge, FaultKind.LinkDuplicate }, c => ForgedAndReplayedAsync(c)),
        new Scenario("Dropped_alive_indications_fail_the_agents_supervision", "link", new[] { FaultKind.LinkDrop }, c => AgentSilencedAsync(c, FaultKind.LinkDrop, "out 150")),
        new Scenario("Slow_agent_is_detected_by_its_alive_supervision", "supervision", new[] { FaultKind.AgentSlow }, c => AgentSilencedAsync(c, FaultKind.AgentSlow, "1500 4000")),
        new Scenario("Full_tx_ring_is_reported_not_waited_on", "link", new[] { FaultKind.LinkTxRingFull }, c => TxRingFullAsync(c)),
        new Scenario("Power_cut_keeps_the_event_log_contiguous", "persistence", new[] { FaultKind.PowerCutDuringLogWrite }, c => PowerCutAsync(c)),
        new Scenario("Linux_kernel_panic_is_a_crash_and_the_vm_restarted", "linux", new[] { FaultKind.GuestKernelPanic },
            c => LinuxDownAsync(c, FaultKind.GuestKernelPanic, "pvpanic")),
        new Scenario("Linux_reboot_from_inside_is_an_exit_and_the_vm_restarted", "linux", new[] { FaultKind.GuestReboot },
            c => LinuxDownAsync(c, FaultKind.GuestReboot, "rebooted")),
        new Scenario("Linux_hang_trips_the_watchdog_and_is_escalated", "linux", new[] { FaultKind.GuestWatchdogHang }, c => LinuxWatchdogAsync(c)),
        new Scenario("Linux_helper_killed_expires_alive_supervision", "linux", new[] { FaultKind.GuestHelperKill },
            c => LinuxAliveFaultAsync(c, target.SupervisionProbe(LinuxVm, FaultKind.GuestHelperKill, SupervisionKind.Alive, heartbeatsStop: true))),
        new Scenario("Linux_slowed_heartbeats_are_detected_by_alive_supervision", "linux", new[] { FaultKind.GuestSlowHeartbeats },
            c => LinuxAliveFaultAsync(c, target.SupervisionProbe(LinuxVm, FaultKind.GuestSlowHeartbeats, SupervisionKind.Alive, heartbeatsStop: false))),
    };

    // ---- the Linux guest (boards/virtual/vms.yaml 'linux', docs/guests.md) ---------------------

    private const string LinuxVm = "linux";

    /// <summary>The Linux VM Running (its first heartbeat reached the island) and its supervision settled.</summary>
    private static async Task WaitLinuxAsync(ScenarioContext c)
    {
        await ExpectVmStatesAsync(c, c.Bench.BootTime, (LinuxVm, VmState.Running)).ConfigureAwait(false);
        await SettleAsync(c, LinuxVm).ConfigureAwait(false);
    }

    /// <summary>
    /// The guest goes down on its own (kernel panic through pvpanic, or a reboot it announces): the
    /// island gets the agent's report, marks it Failed with the report's detail as its last failure
    /// (which must say what really happened: the API shows it) and the restart policy brings it back.
    /// </summary>
    private static async Task LinuxDownAsync(ScenarioContext c, FaultKind fault, string detailSays)
    {
        await WaitLinuxAsync(c).ConfigureAwait(false);
        var failed = EventMatch.VmState(LinuxVm, VmState.Failed);
        double at = await c.InjectAsync(new FaultProbe
        {
            Vm = LinuxVm,
            Fault = fault,
            Supervision = SupervisionKind.None,
            Detection = failed,
            Action = EventMatch.VmState(LinuxVm, VmState.Starting),
            BoundMs = 3000,
            BoundRationale = "guest -> QEMU (pvpanic / reset) -> exit -> agent report -> island; TCG guest on a loaded host: 3 s",
        }, LinuxVm).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(failed)
            .Then(EventMatch.VmState(LinuxVm, VmState.Starting))
            .Then(EventMatch.VmState(LinuxVm, VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        var vm = (await c.Bench.ListVmsAsync(c.CancellationToken).ConfigureAwait(false)).Single(v => v.Name == LinuxVm);
        if (vm.RestartsInWindow < 1)
            throw new ScenarioFailure($"operator API: '{LinuxVm}' shows {vm.RestartsInWindow} restarts in its window after {fault}");
        if (!vm.LastFailure.Contains(detailSays, StringComparison.Ordinal))
            throw new ScenarioFailure($"operator API: '{LinuxVm}' last failure is '{vm.LastFailure}', expected it to name '{detailSays}'");
    }

    /// <summary>
    /// User space frozen with the i6300esb armed (2 s, split over its two stages by the Linux
    /// driver: it fires one timeout after the last ping): QEMU's WATCHDOG (action none) -> agent HUNG -> the island's escalation, before the alive
    /// supervision's tolerance runs out.
    /// </summary>
    private static async Task LinuxWatchdogAsync(ScenarioContext c)
    {
        await WaitLinuxAsync(c).ConfigureAwait(false);
        var watchdog = new EventMatch($"escalation for '{LinuxVm}': guest watchdog expired",
            e => e.Type == EventType.Escalation && e.Subject == LinuxVm && e.Event.Detail == "guest watchdog expired");
        double at = await c.InjectAsync(new FaultProbe
        {
            Vm = LinuxVm,
            Fault = FaultKind.GuestWatchdogHang,
            Supervision = SupervisionKind.None,
            Detection = watchdog,
            Action = EventMatch.VmState(LinuxVm, VmState.Stopping),
            BoundMs = 6000,
            BoundRationale = "i6300esb: 2 s after the last ping (pinged every 1 s) + QMP, agent, link; x2 for a loaded TCG host",
        }, LinuxVm).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(watchdog)
            .Then(EventMatch.VmState(LinuxVm, VmState.Starting))
            .Then(EventMatch.VmState(LinuxVm, VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
    }

    /// <summary>Heartbeats stopped (the helper killed) or slowed: alive supervision within its bound, then restart.</summary>
    private static async Task LinuxAliveFaultAsync(ScenarioContext c, FaultProbe probe)
    {
        await WaitLinuxAsync(c).ConfigureAwait(false);
        double at = await c.InjectAsync(probe with { Action = EventMatch.Escalation(LinuxVm, SafeAction.RestartVm) }, LinuxVm).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.SupervisionFault(LinuxVm))
            .Then(EventMatch.Escalation(LinuxVm, SafeAction.RestartVm))
            .Then(EventMatch.VmState(LinuxVm, VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
    }

    // ---- helpers ---------------------------------------------------------------------------

    /// <summary>Polls the operator API until every named VM shows the wanted state, or fails with what it showed.</summary>
    public static async Task ExpectVmStatesAsync(ScenarioContext c, TimeSpan within, params (string Vm, VmState State)[] wanted)
    {
        var deadline = DateTime.UtcNow + within;
        string seen = "";
        while (true)
        {
            try
            {
                var vms = await c.Bench.ListVmsAsync(c.CancellationToken).ConfigureAwait(false);
                seen = string.Join(", ", vms.Select(v => $"{v.Name}={v.State}/{v.Supervision}"));
                if (wanted.All(w => vms.Any(v => v.Name == w.Vm && v.State == w.State)))
                {
                    c.Log("API shows " + seen);
                    return;
                }
            }
            catch (GrpcException e)
            {
                seen = "API error: " + e.Message;
            }
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailure($"operator API: expected {string.Join(", ", wanted.Select(w => $"{w.Vm}={w.State}"))} within {within.TotalSeconds:0} s; it shows {seen}");
            await Task.Delay(200, c.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Brings the virtual board's two VMs up: boot orchestration starts 'base'; 'web' lives on the
    /// power domain 'vm-web', which starts Off, so its autostart is refused until the operator switches
    /// the domain on and starts it (what an operator does: island power on vm-web; island vm start web).
    /// </summary>
    private static async Task WaitBootedAsync(ScenarioContext c)
    {
        await ExpectVmStatesAsync(c, c.Bench.BootTime, ("base", VmState.Running)).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + c.Bench.BootTime;
        DateTime lastStart = DateTime.MinValue;
        while (true)
        {
            IReadOnlyList<Vm> vms;
            try
            {
                vms = await c.Bench.ListVmsAsync(c.CancellationToken).ConfigureAwait(false);
            }
            catch (GrpcException)
            {
                vms = Array.Empty<Vm>();
            }
            var web = vms.SingleOrDefault(v => v.Name == "web");
            var baseVm = vms.SingleOrDefault(v => v.Name == "base");
            if (web?.State == VmState.Running && baseVm?.State == VmState.Running)
            {
                c.Log("API shows base=Running, web=Running");
                return;
            }
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailure($"operator API: expected base=Running, web=Running within {c.Bench.BootTime.TotalSeconds:0} s; it shows {string.Join(", ", vms.Select(v => $"{v.Name}={v.State}/{v.Supervision}"))}");
            // An island or A-cluster reboot puts web back to Defined with its domain Off: bring it up
            // again the operator's way (at most every 3 s, the time a start takes here).
            if (baseVm?.State == VmState.Running && web is not null
                && web.State is VmState.Defined or VmState.Stopped or VmState.Failed
                && DateTime.UtcNow - lastStart > TimeSpan.FromSeconds(3))
            {
                lastStart = DateTime.UtcNow;
                try
                {
                    await c.Bench.Api.SetPowerDomainAsync(new SetPowerDomainRequest { Name = "vm-web", State = PowerState.On, Reason = "hil" }, c.CancellationToken).ConfigureAwait(false);
                    await c.Bench.Api.StartVmAsync("web", c.CancellationToken).ConfigureAwait(false);
                    c.Log("powered vm-web on and started web");
                }
                catch (GrpcException e)
                {
                    c.Log("bringing web up: " + e.Message);
                }
            }
            await Task.Delay(200, c.CancellationToken).ConfigureAwait(false);
        }
    }

    // ---- scenarios -------------------------------------------------------------------------

    private static async Task BootOrderAsync(ScenarioContext c)
    {
        // web depends on base: it starts only once base runs. (When its power domain starts Off, its
        // autostart is refused and the bench powers the domain and starts it, as an operator would.)
        await WaitBootedAsync(c).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.OfType(EventType.IslandBoot))
            .Then(AgentConnected)
            .Then(EventMatch.VmState("base", VmState.Starting))
            .Then(EventMatch.VmState("base", VmState.Running))
            .Then(EventMatch.VmState("web", VmState.Starting))
            .Then(EventMatch.VmState("web", VmState.Running)), 0, c.Bench.BootTime).ConfigureAwait(false);
        var status = await c.Bench.GetSupervisionStatusAsync(c.CancellationToken).ConfigureAwait(false);
        if (status.Global != GlobalStatus.Ok)
            throw new ScenarioFailure($"operator API: global supervision is {status.Global}, expected Ok");
    }

    private static async Task PowerRefusalAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double from = c.Bench.Clock.NowMs;
        try
        {
            await c.Bench.Api.SetPowerDomainAsync(new SetPowerDomainRequest { Name = "vm-base", State = PowerState.Off, Reason = "hil" }, c.CancellationToken).ConfigureAwait(false);
            throw new ScenarioFailure("power domain 'vm-base' was switched off while 'base' runs on it");
        }
        catch (GrpcException e)
        {
            if (e.Status != GrpcStatusCode.PermissionDenied || !e.Message.Contains("base", StringComparison.Ordinal))
                throw new ScenarioFailure($"expected PERMISSION_DENIED naming VM 'base', got {e.Status}: {e.Message}");
            c.Log("refused: " + e.Message);
        }
        await c.ExpectAsync(EventSequence.Expect(EventMatch.OfType(EventType.RequestRefused)), from, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await ExpectVmStatesAsync(c, TimeSpan.FromSeconds(5), ("base", VmState.Running)).ConfigureAwait(false);
    }

    /// <summary>
    /// 'web' depends on 'base': while web runs, a stop of base is refused (FAILED_PRECONDITION naming
    /// web, a RequestRefused event) and base runs on.
    /// </summary>
    private static async Task StopRefusalAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double from = c.Bench.Clock.NowMs;
        try
        {
            await c.Bench.Api.StopVmAsync("base", c.CancellationToken).ConfigureAwait(false);
            throw new ScenarioFailure("'base' was stopped while 'web', which depends on it, runs");
        }
        catch (GrpcException e)
        {
            if (e.Status != GrpcStatusCode.FailedPrecondition || !e.Message.Contains("'web'", StringComparison.Ordinal))
                throw new ScenarioFailure($"expected FAILED_PRECONDITION naming the dependent 'web', got {e.Status}: {e.Message}");
            c.Log("refused: " + e.Message);
        }
        await c.ExpectAsync(EventSequence.Expect(new EventMatch("RequestRefused for 'base'",
            e => e.Type == EventType.RequestRefused && e.Subject == "base")), from, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await ExpectVmStatesAsync(c, TimeSpan.FromSeconds(5), ("base", VmState.Running), ("web", VmState.Running)).ConfigureAwait(false);
    }

    private static async Task SystemRebootAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double from = c.Bench.Clock.NowMs;
        await c.Bench.Api.SetSystemPowerAsync(new SetSystemPowerRequest { Action = SystemPowerAction.Reboot, Reason = "hil" }, c.CancellationToken).ConfigureAwait(false);
        // Reverse boot order: web down before base. A guest without a graceful shutdown path ends its
        // stop by the stop timeout (Failed) instead of Stopped; both count as down.
        var down = new Func<string, EventMatch>(vm => new EventMatch($"VM '{vm}' down (Stopped or Failed)",
            e => e.Type == EventType.VmState && e.Subject == vm && e.Value is (int)VmState.Stopped or (int)VmState.Failed));
        await c.ExpectAsync(EventSequence.Expect(EventMatch.VmState("web", VmState.Stopping))
            .Then(down("web"))
            .Then(EventMatch.VmState("base", VmState.Stopping))
            .Then(down("base"))
            .Then(new EventMatch("system power sequence complete", e => e.Type == EventType.SystemPower && e.Event.Detail == "complete"))
            .Then(AgentConnected)
            .Then(EventMatch.VmState("base", VmState.Running)), from, c.Bench.RecoveryTime).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
    }

    private static async Task HangAsync(ScenarioContext c, FaultProbe probe, SafeAction action, VmState after)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = await c.InjectAsync(probe with { Action = EventMatch.Escalation(probe.Vm, action) }, probe.Vm).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.SupervisionFault(probe.Vm))
            .Then(EventMatch.Escalation(probe.Vm, action))
            .Then(EventMatch.VmState(probe.Vm, after)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await ExpectVmStatesAsync(c, c.Bench.RecoveryTime, (probe.Vm, after)).ConfigureAwait(false);
    }

    /// <summary>
    /// A fault the guest commits on command (console tap): the guest first emits the configured
    /// checkpoint graph (cps 1,2,3 after each heartbeat) for 1.5 s, which must pass supervision, then
    /// gets the fault; the island must detect it within bound and its safe action bring the VM back.
    /// </summary>
    private static async Task CheckpointFaultAsync(ScenarioContext c, FaultProbe probe)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        if (c.Bench is not Benches.IGuestConsoles consoles)
            throw new ScenarioFailure($"bench {c.Bench.Name} can inject {probe.Fault} but cannot write to the guest console");
        // Checkpoints first, then let supervision settle: the first alive window after Running can
        // fail on this bench (the guest's first heartbeats come after the island armed it), and a
        // command on the console has delayed the relayed heartbeats by up to 0.5 s (an alive window
        // with 5 of 10): neither may be taken for the fault's detection.
        await consoles.SendGuestCommandAsync(probe.Vm, "cps 1,2,3", c.CancellationToken).ConfigureAwait(false);
        await SettleAsync(c, probe.Vm).ConfigureAwait(false);
        double armed = c.Bench.Clock.NowMs;
        await Task.Delay(500, c.CancellationToken).ConfigureAwait(false);
        var early = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= armed && EventMatch.SupervisionFault(probe.Vm).Matches(e));
        if (early is not null)
            throw new ScenarioFailure($"'{probe.Vm}' failed supervision with correct checkpoints 1,2,3 after settling (before the fault): {early}");
        double at = await c.InjectAsync(probe with { Action = EventMatch.Escalation(probe.Vm, SafeAction.RestartVm) }, probe.Vm).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.SupervisionFault(probe.Vm))
            .Then(EventMatch.Escalation(probe.Vm, SafeAction.RestartVm))
            .Then(EventMatch.VmState(probe.Vm, VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await ExpectVmStatesAsync(c, c.Bench.RecoveryTime, (probe.Vm, VmState.Running)).ConfigureAwait(false);
    }

    /// <summary>Waits until the VM's supervision has shown no FAILED/EXPIRED for 1.5 s (at most 10 s).</summary>
    private static async Task SettleAsync(ScenarioContext c, string vm)
    {
        var fault = EventMatch.SupervisionFault(vm);
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(10); )
        {
            double now = c.Bench.Clock.NowMs;
            var last = c.Bench.Events.Snapshot().LastOrDefault(e => fault.Matches(e));
            var ok = c.Bench.Events.Snapshot().LastOrDefault(e => e.Type == EventType.SupervisionStatus && e.Subject == vm && e.Value == (int)LocalStatus.Ok);
            if ((last is null || (ok is not null && ok.TimeMs > last.TimeMs)) && now - (last?.TimeMs ?? 0) > 1500 && now - (ok?.TimeMs ?? 0) > 1500)
                return;
            await Task.Delay(100, c.CancellationToken).ConfigureAwait(false);
        }
        c.Log($"'{vm}' supervision did not settle within 10 s");
    }

    private static FaultProbe CrashProbe(HilTarget target, string vm, FaultKind fault = FaultKind.GuestCrash) => new()
    {
        Vm = vm,
        Fault = fault,
        Supervision = SupervisionKind.None,
        Detection = EventMatch.VmState(vm, VmState.Failed),
        Action = EventMatch.VmState(vm, VmState.Starting),
        BoundMs = target.VmEndBoundMs,
        BoundRationale = target.VmEndBoundRationale,
    };

    private static async Task CrashAsync(ScenarioContext c, HilTarget target, FaultKind fault)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = await c.InjectAsync(CrashProbe(target, "base", fault), "base").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.VmState("base", VmState.Failed))
            .Then(EventMatch.VmState("base", VmState.Starting))
            .Then(EventMatch.VmState("base", VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        var vms = await c.Bench.ListVmsAsync(c.CancellationToken).ConfigureAwait(false);
        var vm = vms.Single(v => v.Name == "base");
        if (vm.RestartsInWindow < 1)
            throw new ScenarioFailure($"operator API: 'base' shows {vm.RestartsInWindow} restarts in its window after a crash");
    }

    private static async Task QuarantineAsync(ScenarioContext c, HilTarget target, int maxRestarts)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        // web depends on base: stop it so base may come and go.
        await c.Bench.Api.StopVmAsync("web", c.CancellationToken).ConfigureAwait(false);
        await ExpectVmStatesAsync(c, c.Bench.RecoveryTime, ("web", VmState.Stopped)).ConfigureAwait(false);
        // Failures before the scenario (a failed first start) may already use part of the budget:
        // crash until quarantined, never more than the whole budget + 1.
        for (int crash = 1; ; crash++)
        {
            await ExpectVmStatesAsync(c, c.Bench.RecoveryTime, ("base", VmState.Running)).ConfigureAwait(false);
            double at = await c.InjectAsync(CrashProbe(target, "base") with { Action = null, BoundMs = null }, "base").ConfigureAwait(false);
            var outcome = await c.Bench.Events.WaitForAsync(EventSequence.Expect(EventMatch.VmState("base", VmState.Failed))
                .Then(new EventMatch("base Running again or quarantined", e => e.Type == EventType.VmState && e.Subject == "base"
                    && e.Value is (int)VmState.Running or (int)VmState.Quarantined)), at, c.Bench.RecoveryTime, c.CancellationToken).ConfigureAwait(false);
            if (!outcome.Success)
                throw new ScenarioFailure($"crash {crash}: {outcome.Failure}");
            if (outcome.Matched[1].Value == (int)VmState.Quarantined)
            {
                c.Log($"quarantined after crash {crash} (budget {maxRestarts} restarts)");
                await c.ExpectAsync(EventSequence.Expect(EventMatch.OfType(EventType.Quarantine)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
                break;
            }
            if (crash > maxRestarts)
                throw new ScenarioFailure($"'base' was restarted after crash {crash}, beyond its budget of {maxRestarts} restarts");
        }
        await ExpectVmStatesAsync(c, TimeSpan.FromSeconds(5), ("base", VmState.Quarantined)).ConfigureAwait(false);
    }

    private static async Task FrozenAgentAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = await c.InjectAsync(new FaultProbe
        {
            Vm = IslandSubject,
            Fault = FaultKind.AgentFreeze,
            Supervision = SupervisionKind.None,
            Detection = AgentSupervisionFault,
            Action = AgentResetACluster,
            Recovery = AgentConnected,
        }, "agent").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(AgentSupervisionFault)
            .Then(AgentResetACluster)
            .Then(AgentConnected)
            .Then(EventMatch.VmState("base", VmState.Running)), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
    }

    /// <summary>
    /// An A-side loss (agent killed, A-cluster reset) has no single island event: a reconnecting agent
    /// keeps its supervision status, and whether the VMs fail depends on how fast it comes back. What
    /// must hold: the API comes back with both VMs Running, the island never went to the safe state,
    /// and global supervision is OK again.
    /// </summary>
    private static async Task ASideLossAsync(ScenarioContext c, FaultKind fault, string target, FaultProbe? noticed = null)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = await c.Bench.InjectAsync(fault, target, c.CancellationToken).ConfigureAwait(false);
        c.Log($"injected {fault}");
        if (noticed is not null)
            await ExpectNoticedAsync(c, noticed, at).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
        c.Log($"both VMs Running again {c.Bench.Clock.NowMs - at:0} ms after the fault");
        var safe = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= at && e.Type == EventType.SafeState);
        if (safe is not null)
            throw new ScenarioFailure($"the island entered the safe state after {fault}: {safe}");
        var deadline = DateTime.UtcNow + c.Bench.RecoveryTime;
        while (true)
        {
            var status = await c.Bench.GetSupervisionStatusAsync(c.CancellationToken).ConfigureAwait(false);
            if (status.Global == GlobalStatus.Ok)
                break;
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailure($"operator API: global supervision is {status.Global} {c.Bench.RecoveryTime.TotalSeconds:0} s after {fault}, expected Ok");
            await Task.Delay(200, c.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The agent killed, started again by the bench, re-adopting its running VMs. The island notices
    /// when it is away longer than its alive supervision allows (a restart in a TCG dom0 takes tens
    /// of seconds; a restart on the host usually less than a window): then its supervision FAILED is
    /// measured against W (1 + 9/10) + c + slack (expected 10 per window, min margin 9).
    /// </summary>
    private static Task AgentKillAsync(ScenarioContext c, HilTarget target) => ASideLossAsync(c, FaultKind.AgentKill, "agent", new FaultProbe
    {
        Vm = IslandSubject,
        Fault = FaultKind.AgentKill,
        Supervision = SupervisionKind.Alive,
        Detection = AgentSupervisionFault,
        Action = AgentConnected,
        Recovery = AgentConnected,
        BoundMs = 1000 * (1 + 9.0 / 10) + target.Board.Island.SupervisionCycleMs + target.SlackMs,
        BoundRationale = $"agent alive: W (1 + min_margin / expected) + c + s = 1000 (1 + 9/10) + {target.Board.Island.SupervisionCycleMs} + {target.SlackMs:0} ms (indications stop)",
    });

    /// <summary>
    /// After an agent loss: when the agent came back (its API answers with the island link up) later
    /// than the island's bound for noticing, the island must have noticed (its supervision of the
    /// agent FAILED), and that detection is measured; a quicker return may go unnoticed (a
    /// reconnecting agent that never failed logs nothing).
    /// </summary>
    private static async Task ExpectNoticedAsync(ScenarioContext c, FaultProbe noticed, double at)
    {
        double bound = noticed.BoundMs ?? 0;
        // The agent came back after the last poll that found it away began, and before the first
        // that found it back answered: only the former proves it was away longer than the bound.
        double backMs = double.PositiveInfinity, awayMs = at;
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < c.Bench.RecoveryTime; )
        {
            double asked = c.Bench.Clock.NowMs;
            try
            {
                var info = await c.Bench.Api.GetIslandInfoAsync(c.CancellationToken).ConfigureAwait(false);
                if (info.LinkState == "up" && !info.Stale)
                {
                    backMs = c.Bench.Clock.NowMs;
                    break;
                }
            }
            catch (GrpcException)
            {
                // The agent is not back yet.
            }
            awayMs = asked;
            await Task.Delay(500, c.CancellationToken).ConfigureAwait(false);
        }
        if (double.IsFinite(backMs))
            await CatchUpWithIslandLogAsync(c).ConfigureAwait(false);
        var fault = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= at && AgentSupervisionFault.Matches(e));
        if (fault is not null)
        {
            c.Track(noticed, at);
            c.Log($"the island noticed the agent's loss {fault.TimeMs - at:0} ms after it; the agent's link was up again {backMs - at:0} ms after it");
        }
        else if (awayMs - at > bound)
            throw new ScenarioFailure($"the agent was still away {awayMs - at:0} ms after the fault{(double.IsFinite(backMs) ? $" (back by {backMs - at:0} ms)" : " and did not come back")}, longer than the {bound:0} ms the island may take to notice, and its supervision never FAILED");
        else
            c.Log($"the agent's link was up again {backMs - at:0} ms after the fault, within the island's {bound:0} ms to notice");
    }

    /// <summary>
    /// Waits until the bench's event recording holds every record the island's log held when asked:
    /// after an agent restart the bench's event stream re-opens some time after the API's first
    /// answer (seconds in a TCG dom0, where the Xen run of 20:02 UTC judged the agent's loss
    /// unnoticed before the stream had brought the island's FAILED record).
    /// </summary>
    private static async Task CatchUpWithIslandLogAsync(ScenarioContext c)
    {
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < c.Bench.RecoveryTime; )
        {
            uint recorded = c.Bench.Events.Snapshot().Select(e => e.Sequence).DefaultIfEmpty(0u).Max();
            try
            {
                var log = await c.Bench.Api.ReadLogAsync(recorded + 1, c.CancellationToken).ConfigureAwait(false);
                if (log.NextSequence <= recorded + 1)
                    return;
            }
            catch (GrpcException)
            {
                // The link dropped again: ask again.
            }
            await Task.Delay(500, c.CancellationToken).ConfigureAwait(false);
        }
        throw new ScenarioFailure($"the bench's event stream did not catch up with the island's log within {c.Bench.RecoveryTime.TotalSeconds:0} s of the agent's return");
    }

    private static Task IslandRestartAsync(ScenarioContext c, FaultKind fault, ResetReason reason) => IslandRestartAsync(c, fault, reason, c.Bench.RecoveryTime);

    /// <summary>The island boots again with <paramref name="reason"/> and the agent connects within
    /// <paramref name="within"/> of the fault; returns when the VMs run again, with the agent's
    /// connection event.</summary>
    private static async Task<IslandEvent> IslandRestartAsync(ScenarioContext c, FaultKind fault, ResetReason reason, TimeSpan within)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = await c.InjectAsync(new FaultProbe
        {
            Vm = IslandSubject,
            Fault = fault,
            Supervision = SupervisionKind.None,
            Detection = EventMatch.IslandBoot(reason),
            Action = AgentConnected,
            Recovery = AgentConnected,
        }, "island").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.IslandBoot(reason)).Then(AgentConnected), at, within).ConfigureAwait(false);
        var connected = c.Bench.Events.Snapshot().First(e => e.TimeMs >= at && AgentConnected.Matches(e));
        c.Log($"{fault}: agent connected to the new island {connected.TimeMs - at:0} ms later (bound {within.TotalMilliseconds:0} ms)");
        await WaitBootedAsync(c).ConfigureAwait(false);
        return connected;
    }

    private static Task AClusterResetAsync(ScenarioContext c) => ASideLossAsync(c, FaultKind.AClusterReset, "a-cluster");

    private static async Task BothRestartAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        double at = c.Bench.Clock.NowMs;
        await c.Bench.InjectAsync(FaultKind.IslandReset, "island", c.CancellationToken).ConfigureAwait(false);
        await c.Bench.InjectAsync(FaultKind.AgentKill, "agent", c.CancellationToken).ConfigureAwait(false);
        c.Log("island reset and agent killed together");
        await c.ExpectAsync(EventSequence.Expect(EventMatch.IslandBoot(ResetReason.Software)).Then(AgentConnected), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
    }

    /// <summary>Polls the operator API until global supervision is OK, or fails with what it showed.</summary>
    private static async Task ExpectGlobalOkAsync(ScenarioContext c, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var status = await c.Bench.GetSupervisionStatusAsync(c.CancellationToken).ConfigureAwait(false);
            if (status.Global == GlobalStatus.Ok)
                return;
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailure($"operator API: global supervision is {status.Global} {within.TotalSeconds:0} s after the fault, expected Ok");
            await Task.Delay(200, c.CancellationToken).ConfigureAwait(false);
        }
    }

    private static long Counter(System.Text.Json.JsonElement status, string group, string name) => status.GetProperty(group).GetProperty(name).GetInt64();

    /// <summary>
    /// A short link glitch both sessions must absorb: a few dropped, duplicated, delayed (100 ms) or
    /// corrupted messages in each direction. (A 300 ms delay is not absorbed: the relayed heartbeats
    /// held behind it arrive in the next alive window, 13 of expected 10 + max margin 2, and the
    /// island rightly reports FAILED.) What must hold: the agent's fault hook applied them, the island
    /// counted what it can see (duplicates dropped, envelopes rejected by its decoder, the agent's
    /// error reports for the ones it rejected), no supervision failed (the alive margins absorb a
    /// few lost indications), the link stays usable and both VMs keep running.
    /// </summary>
    private static async Task LinkGlitchAsync(ScenarioContext c, FaultKind fault)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        // The first alive window after Running fails on this bench (see SettleAsync): wait it out,
        // or the glitch would be blamed for it.
        await SettleAsync(c, "base").ConfigureAwait(false);
        await SettleAsync(c, "web").ConfigureAwait(false);
        var virtualBench = c.Bench as Benches.VirtualBench;
        var before = virtualBench is null ? default : await virtualBench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        // Nothing should be detected, so no fault probe (it would count "never detected" as a miss).
        string outgoing = fault == FaultKind.LinkDelay ? "out 3 100" : "out 3";
        double at = await c.Bench.InjectAsync(fault, outgoing, c.CancellationToken).ConfigureAwait(false);
        c.Log($"injected {fault} into 'link' ({outgoing})");
        string incoming = fault == FaultKind.LinkDelay ? "in 3 100" : "in 3";
        await c.Bench.InjectAsync(fault, incoming, c.CancellationToken).ConfigureAwait(false);
        c.Log($"injected {fault} into 'link' ({incoming})");
        await Task.Delay(3000, c.CancellationToken).ConfigureAwait(false);
        var failed = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= at && AnySupervisionFault.Matches(e));
        if (failed is not null)
            throw new ScenarioFailure($"a link glitch ({fault}, 3 messages each way) failed supervision: {failed}");
        if (virtualBench is not null)
        {
            string applied = await virtualBench.SendFaultAsync("status", c.CancellationToken).ConfigureAwait(false);
            c.Log("agent fault hook: " + applied);
            string word = fault switch
            {
                FaultKind.LinkDrop => "dropped",
                FaultKind.LinkDuplicate => "duplicated",
                FaultKind.LinkDelay => "delayed",
                _ => "corrupted",
            };
            if (!applied.Contains($"{word}_out=3 ", StringComparison.Ordinal) || !applied.Contains($"{word}_in=3 ", StringComparison.Ordinal))
                throw new ScenarioFailure($"the agent's fault hook did not apply 3 {word} messages each way: {applied}");
            var after = await virtualBench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
            long decode = Counter(after, "session_counters", "decode_errors") - Counter(before, "session_counters", "decode_errors");
            long duplicates = Counter(after, "session_counters", "duplicates") - Counter(before, "session_counters", "duplicates");
            long peerErrors = Counter(after, "endpoint", "peer_errors") - Counter(before, "endpoint", "peer_errors");
            long gaps = Counter(after, "session_counters", "gaps") - Counter(before, "session_counters", "gaps");
            // An authenticated session (the bench's default, like `island up`) rejects a repeat as replayed.
            duplicates += Counter(after, "session_counters", "auth_replayed") - Counter(before, "session_counters", "auth_replayed");
            c.Log($"island: decode errors +{decode}, duplicates +{duplicates}, gaps +{gaps}, agent error reports +{peerErrors}");
            // Every message takes a sequence number (keepalives too), so the island sees exactly what was lost.
            if (fault == FaultKind.LinkDrop && gaps != 3)
                throw new ScenarioFailure($"island after 3 dropped messages from the agent: gaps +{gaps}, expected 3");
            // Each envelope the agent's decoder rejects is answered with Error MALFORMED; seen: 2 or 3 of 3 reach the island's count.
            if (fault == FaultKind.LinkCorrupt && (decode != 3 || peerErrors < 1))
                throw new ScenarioFailure($"island after 3 corrupted messages each way: decode errors +{decode} (expected 3), error reports from the agent +{peerErrors} (expected >= 1)");
            if (fault == FaultKind.LinkDuplicate && duplicates != 3)
                throw new ScenarioFailure($"island after 3 duplicated messages from the agent: duplicates +{duplicates}, expected 3");
            if (fault != FaultKind.LinkCorrupt && decode != 0)
                throw new ScenarioFailure($"island rejected {decode} envelopes after {fault}, which does not alter bytes");
        }
        await ExpectVmStatesAsync(c, TimeSpan.FromSeconds(10), ("base", VmState.Running), ("web", VmState.Running)).ConfigureAwait(false);
        await ExpectGlobalOkAsync(c, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        // The link still answers requests.
        var log = await c.Bench.Api.ReadLogAsync(1, c.CancellationToken).ConfigureAwait(false);
        c.Log($"ReadLog after the glitch: {log.Events.Count} records");
    }

    /// <summary>A LINK_ERROR event (value INTEGRITY) of the authenticated link naming the rejection kind.</summary>
    private static EventMatch LinkRejected(string kind) => new($"LINK_ERROR INTEGRITY 'link message rejected ({kind}'",
        e => e.Type == EventType.LinkError && e.Value == (int)ErrorCode.Integrity && e.Event.Detail.Contains("(" + kind + ", sequence ", StringComparison.Ordinal));

    /// <summary>Next agent message (alive indication every 100 ms) + island cycle + slack, ms.</summary>
    private const double LinkRejectionBoundMs = 100 + 10 + 150;

    /// <summary>
    /// Issue 15 on the real shared-memory link of the bench, authenticated with the board key both
    /// ends were given: a forged message (a copy of a real one with a wrong auth_tag, what a writer
    /// of the shared memory without the key can produce) and a replayed one (a real message sent a
    /// second time, tag and all) go to the island. Each must be rejected and counted (auth_forged,
    /// auth_replayed), logged as a LINK_ERROR event (value INTEGRITY) whose detail names why within
    /// the bound, readable through the operator API's ReadLog; no supervision may fail, the VMs stay
    /// Running, global supervision OK, and the link keeps serving requests. The two injections are
    /// 1.5 s apart because the island logs at most one rejection a second (the rest are counted).
    /// </summary>
    private static async Task ForgedAndReplayedAsync(ScenarioContext c)
    {
        if (c.Bench is not Benches.VirtualBench bench)
            throw new ScenarioFailure("forged and replayed messages need the virtual bench's fault-injecting link");
        await WaitBootedAsync(c).ConfigureAwait(false);
        await SettleAsync(c, "base").ConfigureAwait(false);
        await SettleAsync(c, "web").ConfigureAwait(false);
        var before = await bench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        if (!before.GetProperty("session_counters").GetProperty("authenticated").GetBoolean())
            throw new ScenarioFailure("the island's session with the agent is not authenticated (both were given " + bench.LinkKeyPath + ")");

        var forged = LinkRejected("forged");
        var replayed = LinkRejected("replayed");
        double forgedAt = await c.InjectAsync(new FaultProbe
        {
            Vm = IslandSubject,
            Fault = FaultKind.LinkForge,
            Supervision = SupervisionKind.None,
            Detection = forged,
            BoundMs = LinkRejectionBoundMs,
            BoundRationale = "next agent message (alive every 100 ms) + island cycle 10 ms + slack 150 ms",
        }, "out 1").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(forged), forgedAt, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await Task.Delay(1500, c.CancellationToken).ConfigureAwait(false);
        double replayedAt = await c.InjectAsync(new FaultProbe
        {
            Vm = IslandSubject,
            Fault = FaultKind.LinkDuplicate,
            Supervision = SupervisionKind.None,
            Detection = replayed,
            BoundMs = LinkRejectionBoundMs,
            BoundRationale = "next agent message (alive every 100 ms) + island cycle 10 ms + slack 150 ms",
        }, "out 1").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(replayed), replayedAt, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await Task.Delay(2000, c.CancellationToken).ConfigureAwait(false);

        var after = await bench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        long forgedCount = Counter(after, "session_counters", "auth_forged") - Counter(before, "session_counters", "auth_forged");
        long replayedCount = Counter(after, "session_counters", "auth_replayed") - Counter(before, "session_counters", "auth_replayed");
        long established = Counter(after, "session_counters", "established") - Counter(before, "session_counters", "established");
        c.Log($"island: auth_forged +{forgedCount}, auth_replayed +{replayedCount}, sessions established +{established}; agent fault hook: "
            + await bench.SendFaultAsync("status", c.CancellationToken).ConfigureAwait(false));
        if (forgedCount != 1 || replayedCount != 1)
            throw new ScenarioFailure($"island after one forged and one replayed message: auth_forged +{forgedCount}, auth_replayed +{replayedCount}, expected +1 each");
        if (established != 0 || after.GetProperty("session").GetString() != "up")
            throw new ScenarioFailure($"the rejections disturbed the session: {established} new sessions, session {after.GetProperty("session").GetString()}");
        var fault = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= forgedAt && AnySupervisionFault.Matches(e));
        if (fault is not null)
            throw new ScenarioFailure($"a forged or replayed message affected supervision: {fault}");

        // What the operator sees: both records in the island's log through the API, naming why.
        var first = c.Bench.Events.Snapshot().First(e => e.TimeMs >= forgedAt && forged.Matches(e));
        var log = await c.Bench.Api.ReadLogAsync(first.Sequence, c.CancellationToken).ConfigureAwait(false);
        foreach (var kind in new[] { "forged", "replayed" })
        {
            var record = log.Events.FirstOrDefault(e => e.Type == EventType.LinkError && e.Detail.Contains("(" + kind + ", sequence ", StringComparison.Ordinal));
            if (record is null)
                throw new ScenarioFailure($"ReadLog from #{first.Sequence} holds no LINK_ERROR record of the {kind} message");
            c.Log($"ReadLog #{record.Sequence}: {record.Detail}");
        }
        await ExpectVmStatesAsync(c, TimeSpan.FromSeconds(10), ("base", VmState.Running), ("web", VmState.Running)).ConfigureAwait(false);
        await ExpectGlobalOkAsync(c, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>Any supervision FAILED or EXPIRED (a VM or the agent).</summary>
    private static readonly EventMatch AnySupervisionFault = new("any supervision FAILED or EXPIRED",
        e => e.Type == EventType.SupervisionStatus && e.Value is (int)LocalStatus.Failed or (int)LocalStatus.Expired);

    /// <summary>
    /// The island stops hearing the agent's alive indications (entity 0): every outgoing message
    /// dropped for a while, or the agent's loop slowed to one turn per 1.5 s. The island's alive
    /// supervision of entity 0 (>= 1 indication per 1 s window: expected 10, min margin 9) must fail
    /// within bound; then the agent's session resynchronises and both VMs end Running with global
    /// supervision OK (the island may have reset the A cluster if the fault outlived its tolerance).
    /// </summary>
    private static async Task AgentSilencedAsync(ScenarioContext c, FaultKind fault, string arguments)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        const double window = 1000, cycle = 10, slack = 150;
        bool stop = fault == FaultKind.LinkDrop;
        double bound = stop ? window * (1 + 9.0 / 10) + cycle + slack : 2 * window + cycle + slack;
        var probe = new FaultProbe
        {
            Vm = IslandSubject,
            Fault = fault,
            Supervision = SupervisionKind.Alive,
            Detection = AgentSupervisionFault,
            Recovery = AgentConnected,
            BoundMs = bound,
            BoundRationale = stop
                ? "agent alive: W (1 + min_margin / expected) + c + s = 1000 (1 + 9/10) + 10 + 150 ms (indications stop)"
                : "agent alive: 2 W + c + s = 2000 + 10 + 150 ms (indications slowed)",
        };
        double at = await c.InjectAsync(probe, arguments).ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(AgentSupervisionFault), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
        await ExpectGlobalOkAsync(c, c.Bench.RecoveryTime).ConfigureAwait(false);
        if (c.Bench is Benches.VirtualBench v)
            c.Log("agent fault hook: " + await v.SendFaultAsync("status", c.CancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The agent stops draining the island's messages while an operator's tool keeps reading the
    /// event log: the island's TX ring (256 buffers) fills, its sends fail with NoTxBuffer and are
    /// counted, and it never waits on the ring (its main loop keeps its cycle, so no watchdog reset);
    /// after the stall the session resynchronises and all VMs end Running.
    /// The reads are the burst: a stalled agent alone gives the island too little to send (its
    /// session times out after 1 s, and its Hellos, backed off to four a second, make the island
    /// push about nine status messages each: some 180 messages before the island resets the A-cluster
    /// for the silent agent, 4.5 s into the stall). Each ReadLog the agent forwards before its session
    /// times out is answered with the whole log, four records a page, into the stalled ring.
    /// On the virtual bench the stall lasts until island-sim reports the ring full (read over its
    /// control socket, outside the link) plus 500 ms, at most <see cref="TxStallLimitMs"/>; a board
    /// bench, which cannot see the island's counters, stalls for 3 s.
    /// </summary>
    private static async Task TxRingFullAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        var virtualBench = c.Bench as Benches.VirtualBench;
        var before = virtualBench is null ? default : await virtualBench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        int stallMs = virtualBench is null ? 3000 : TxStallLimitMs;
        double at = await c.Bench.InjectAsync(FaultKind.LinkTxRingFull, stallMs.ToString(System.Globalization.CultureInfo.InvariantCulture), c.CancellationToken).ConfigureAwait(false);
        c.Log($"injected LinkTxRingFull into 'link' ({stallMs} ms)");
        // One ReadLog every 10 ms for 900 ms (the agent's session lives 1 s without the island's
        // messages); none can be answered during the stall, so each fails (deadline or link down).
        var reads = new List<Task>();
        for (int i = 0; i < 90; i++)
        {
            reads.Add(c.Bench.Api.ReadLogAsync(1, c.CancellationToken));
            await Task.Delay(10, c.CancellationToken).ConfigureAwait(false);
        }

        if (virtualBench is null)
        {
            await Task.Delay(3500 - 900, c.CancellationToken).ConfigureAwait(false);
            await AwaitStalledReadsAsync(c, reads).ConfigureAwait(false);
            ExpectNoRebootSince(c, at);
            return;
        }

        var afterReads = await virtualBench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        c.Log($"{c.Bench.Clock.NowMs - at:F0} ms into the stall, after the reads: island sent +{Counter(afterReads, "link", "tx_messages") - Counter(before, "link", "tx_messages")} messages, tx_no_buffer +{Counter(afterReads, "link", "tx_no_buffer") - Counter(before, "link", "tx_no_buffer")}");
        long noBuffer = 0, ringFull = 0;
        double fullAt = 0;
        var after = before;
        while (c.Bench.Clock.NowMs - at < TxStallLimitMs)
        {
            after = await virtualBench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
            noBuffer = Counter(after, "link", "tx_no_buffer") - Counter(before, "link", "tx_no_buffer");
            ringFull = Counter(after, "endpoint", "ring_full") - Counter(before, "endpoint", "ring_full");
            if (fullAt == 0 && noBuffer > 0 && ringFull > 0)
            {
                fullAt = c.Bench.Clock.NowMs;
                c.Log($"island's TX ring full {fullAt - at:F0} ms into the stall");
            }

            if (fullAt > 0 && c.Bench.Clock.NowMs - fullAt >= 500)
                break;
            await Task.Delay(100, c.CancellationToken).ConfigureAwait(false);
        }

        double stalledMs = c.Bench.Clock.NowMs - at;
        c.Log("agent fault hook: " + await virtualBench.SendFaultAsync("clear", c.CancellationToken).ConfigureAwait(false));
        await AwaitStalledReadsAsync(c, reads).ConfigureAwait(false);
        long cycles = after.GetProperty("cycles").GetInt64() - before.GetProperty("cycles").GetInt64();
        c.Log($"island: tx_no_buffer +{noBuffer}, ring_full +{ringFull}, {cycles} supervision cycles in {stalledMs:F0} ms of stall");
        if (fullAt == 0)
            throw new ScenarioFailure($"island's TX ring never filled during a {stalledMs:F0} ms stall: tx_no_buffer +{noBuffer}, ring_full +{ringFull}");
        if (after.GetProperty("boot_id").GetString() != before.GetProperty("boot_id").GetString())
            throw new ScenarioFailure("the island restarted during the TX stall (it waited on the ring?)");
        // A 10 ms cycle gives one cycle per 10 ms of stall; a loop blocked on the ring would show far fewer.
        long expected = (long)(stalledMs / 10);
        if (cycles < expected * 7 / 10)
            throw new ScenarioFailure($"island ran only {cycles} supervision cycles in {stalledMs:F0} ms with a full TX ring (expected ~{expected}): it waits on the ring");
        ExpectNoRebootSince(c, at);
        await WaitBootedAsync(c).ConfigureAwait(false);
        await ExpectGlobalOkAsync(c, c.Bench.RecoveryTime).ConfigureAwait(false);
    }

    /// <summary>Longest TX stall of <see cref="TxRingFullAsync"/>: the fault's own end, and the polling's (the island resets the A cluster 4.5 s into a stall).</summary>
    private const int TxStallLimitMs = 4000;

    /// <summary>The log reads sent into a stalled link end in errors; any that succeeded came after the stall.</summary>
    private static async Task AwaitStalledReadsAsync(ScenarioContext c, List<Task> reads)
    {
        int failed = 0;
        foreach (var read in reads)
        {
            try
            {
                await read.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !c.CancellationToken.IsCancellationRequested)
            {
                failed++;
            }
        }

        c.Log($"{reads.Count} log reads sent into the stall: {failed} failed, {reads.Count - failed} answered");
    }

    private static void ExpectNoRebootSince(ScenarioContext c, double at)
    {
        var boot = c.Bench.Events.Snapshot().FirstOrDefault(e => e.TimeMs >= at && e.Type == EventType.IslandBoot);
        if (boot is not null)
            throw new ScenarioFailure($"the island rebooted during the TX stall: {boot}");
    }

    private static async Task PowerCutAsync(ScenarioContext c)
    {
        await WaitBootedAsync(c).ConfigureAwait(false);
        uint bootBefore = c.Bench.Events.Snapshot().Select(e => e.Event.BootCount).DefaultIfEmpty(0u).Max();
        // Cut while the island is writing: the bench cuts the power in the middle of the next flash
        // write (virtual bench: island-sim's powercut; board: the power hook) after crashing 'base',
        // which makes the island log its Failed state right then.
        double at = await c.InjectAsync(new FaultProbe
        {
            Vm = IslandSubject,
            Fault = FaultKind.PowerCutDuringLogWrite,
            Supervision = SupervisionKind.None,
            Detection = EventMatch.OfType(EventType.IslandBoot),
            Action = AgentConnected,
            Recovery = AgentConnected,
        }, "base").ConfigureAwait(false);
        await c.ExpectAsync(EventSequence.Expect(EventMatch.OfType(EventType.IslandBoot)).Then(AgentConnected), at, c.Bench.RecoveryTime).ConfigureAwait(false);
        await WaitBootedAsync(c).ConfigureAwait(false);
        if (c.Bench is Benches.VirtualBench v && !v.ProcessLog.Contains("power cut at flash write", StringComparison.Ordinal))
            throw new ScenarioFailure("island-sim did not log its power cut at a flash write");
        var log = await c.Bench.Api.ReadLogAsync(1, c.CancellationToken).ConfigureAwait(false);
        var boot = log.Events.LastOrDefault(e => e.Type == EventType.IslandBoot);
        if (boot is null || boot.BootCount <= bootBefore)
            throw new ScenarioFailure($"no IslandBoot record of a boot after {bootBefore} in the log after the power cut");
        var previous = log.Events.LastOrDefault(e => e.Sequence < boot.Sequence);
        if (previous is not null && boot.Sequence != previous.Sequence + 1)
            throw new ScenarioFailure($"the sequence does not continue across the power cut: the last record before the boot is {previous.Sequence}, the boot record {boot.Sequence}");
        c.Log($"boot {boot.BootCount} record #{boot.Sequence} follows #{previous?.Sequence} of boot {previous?.BootCount} ({previous?.Type} {previous?.Subject})");
        AssertNothingCommittedLost(c, log, "the power cut", streamContiguous: false);
    }

    /// <summary>
    /// Nothing committed was lost: the log is contiguous from its first available record, every
    /// record the operator's event stream showed is still in it, and (streamContiguous) the stream
    /// itself has no hole, i.e. the agent re-read what the recovery made it miss.
    /// </summary>
    private static void AssertNothingCommittedLost(ScenarioContext c, ReadLogResponse log, string what, bool streamContiguous)
    {
        var sequences = log.Events.Select(e => e.Sequence).ToList();
        var gaps = EventRecorder.FindGaps(sequences.Distinct().OrderBy(s => s).ToList());
        if (gaps.Count > 0 || sequences.Count == 0 || sequences[0] != log.FirstAvailable)
            throw new ScenarioFailure($"event log after {what}: {sequences.Count} records from {log.FirstAvailable}, gaps: {string.Join(", ", gaps.Select(g => $"{g.After}->{g.Next}"))}");
        var streamed = c.Bench.Events.Snapshot().Select(e => e.Sequence).ToHashSet();
        var lost = streamed.Where(s => s < log.NextSequence && s >= log.FirstAvailable && !sequences.Contains(s)).ToList();
        if (lost.Count > 0)
            throw new ScenarioFailure($"records streamed before {what} are missing from the log: {string.Join(", ", lost)}");
        if (streamContiguous)
        {
            var streamGaps = EventRecorder.FindGaps(streamed.OrderBy(s => s).ToList());
            if (streamGaps.Count > 0)
                throw new ScenarioFailure($"the operator's event stream missed records across {what}: {string.Join(", ", streamGaps.Select(g => $"{g.After}->{g.Next}"))}");
        }
        c.Log($"event log contiguous: {sequences.Count} records, {log.FirstAvailable}..{log.NextSequence - 1}; {streamed.Count} streamed{(streamContiguous ? ", no hole" : "")}");
    }

    /// <summary>Reads the log once the operator's event stream has caught up with it (the agent fills a
    /// hole with LogRead after a reconnect), so the two can be compared.</summary>
    private static async Task<ReadLogResponse> ReadLogCaughtUpAsync(ScenarioContext c)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var log = await c.Bench.Api.ReadLogAsync(1, c.CancellationToken).ConfigureAwait(false);
            uint streamedMax = c.Bench.Events.Snapshot().Select(e => e.Sequence).DefaultIfEmpty(0u).Max();
            if (streamedMax + 1 >= log.NextSequence || DateTime.UtcNow > deadline)
                return log;
            await Task.Delay(100, c.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// kill -9 of the island process: island-sim's supervisor plays the MCU's reset circuit and boots
    /// a new island (reset reason FAULT in its IslandBoot record), over the same shared file; the
    /// agent resynchronises within IslandCrashRecovery, the VMs run on, nothing committed is lost.
    /// </summary>
    private static async Task IslandKillAsync(ScenarioContext c)
    {
        await IslandRestartAsync(c, FaultKind.IslandKill, ResetReason.Fault, IslandCrashRecovery).ConfigureAwait(false);
        var info = await c.Bench.Api.GetIslandInfoAsync(c.CancellationToken).ConfigureAwait(false);
        if (info.IslandResetReason != ResetReason.Fault || info.Stale)
            throw new ScenarioFailure($"operator API after the island's fault reset: reset reason {info.IslandResetReason} (expected Fault), stale {info.Stale}");
        AssertNothingCommittedLost(c, await ReadLogCaughtUpAsync(c).ConfigureAwait(false), "the island's crash", streamContiguous: true);
    }

    /// <summary>
    /// The issue's experiment: 64 x 8 random bytes over the vrings of a running board. Whatever they
    /// hit is found by one side as a corrupt descriptor, index or buffer; the rings are reset through
    /// the status byte and the session resynchronised within RingResetRecoveryMs (island clock:
    /// link down to session up); the resets are counted on both sides and shown by the API, the
    /// island's are LINK_ERROR events; the VMs end Running and nothing committed is lost.
    /// </summary>
    private static async Task RingScribbleAsync(ScenarioContext c)
    {
        if (c.Bench is not Benches.VirtualBench bench)
            throw new ScenarioFailure("ring scribbles need the virtual bench");
        await WaitBootedAsync(c).ConfigureAwait(false);
        await SettleAsync(c, "base").ConfigureAwait(false);
        await SettleAsync(c, "web").ConfigureAwait(false);
        var before = await bench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
        var infoBefore = await c.Bench.Api.GetIslandInfoAsync(c.CancellationToken).ConfigureAwait(false);
        long ResetsOf(System.Text.Json.JsonElement status, GetIslandInfoResponse info) =>
            Counter(status, "link", "ring_resets_requested") + info.RingResetsByAgent;
        long resetsBefore = ResetsOf(before, infoBefore);
        double at = await c.Bench.InjectAsync(FaultKind.LinkRingScribble, "64 1414", c.CancellationToken).ConfigureAwait(false);
        c.Log("wrote 64 x 8 random bytes over the vrings (seed 1414)");

        // Traffic reaches a scribbled descriptor only when its turn comes: wait for the first reset,
        // then until no new one for 2 s.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        long seen = resetsBefore;
        DateTime lastChange = DateTime.UtcNow;
        System.Text.Json.JsonElement status;
        GetIslandInfoResponse info;
        while (true)
        {
            await Task.Delay(100, c.CancellationToken).ConfigureAwait(false);
            status = await bench.IslandStatusAsync(c.CancellationToken).ConfigureAwait(false);
            try
            {
                info = await c.Bench.Api.GetIslandInfoAsync(c.CancellationToken).ConfigureAwait(false);
            }
            catch (GrpcException)
            {
                continue;
            }
            long resets = ResetsOf(status, info);
            if (resets != seen)
            {
                seen = resets;
                lastChange = DateTime.UtcNow;
            }
            if (seen > resetsBefore && DateTime.UtcNow - lastChange > TimeSpan.FromSeconds(2) && status.GetProperty("session").GetString() == "up")
                break;
            if (DateTime.UtcNow > deadline)
                throw new ScenarioFailure($"60 s after the scribbles: ring resets {seen - resetsBefore} (expected >= 1), island session {status.GetProperty("session").GetString()}, island link errors {Counter(status, "link", "errors")}");
        }

        long down = Counter(status, "link", "last_down_ms");
        long up = status.GetProperty("session_up_ms").GetInt64();
        long islandAsked = Counter(status, "link", "ring_resets_requested") - Counter(before, "link", "ring_resets_requested");
        long agentAsked = info.RingResetsByAgent - infoBefore.RingResetsByAgent;
        c.Log($"ring resets: island asked {islandAsked}, agent asked {agentAsked}, agent honoured {info.RingResetsByIsland - infoBefore.RingResetsByIsland}; island link errors +{Counter(status, "link", "errors") - Counter(before, "link", "errors")}");
        c.Log($"last reset: link down at {down} ms ({status.GetProperty("link").GetProperty("last_down_reason").GetString()}), session up at {up} ms (island clock): {up - down} ms");
        if (up < down || up - down > RingResetRecoveryMs)
            throw new ScenarioFailure($"session resynchronised {up - down} ms after the last ring reset (island clock), bound {RingResetRecoveryMs} ms");
        if (info.LinkState != "up" || info.Stale)
            throw new ScenarioFailure($"operator API after the ring resets: link {info.LinkState}, stale {info.Stale}");
        if (info.RingResetsByIsland - infoBefore.RingResetsByIsland != islandAsked)
            throw new ScenarioFailure($"the island asked for {islandAsked} ring resets, the API shows {info.RingResetsByIsland - infoBefore.RingResetsByIsland} honoured");
        if (islandAsked > 0)
        {
            var events = c.Bench.Events;
            var eventDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!events.Snapshot().Any(e => e.TimeMs >= at && e.Type == EventType.LinkError && e.Event.Detail.Contains("ring reset", StringComparison.Ordinal)))
            {
                if (DateTime.UtcNow > eventDeadline)
                    throw new ScenarioFailure("the island reset the rings but no LINK_ERROR 'ring reset' event reached the operator's event stream");
                await Task.Delay(100, c.CancellationToken).ConfigureAwait(false);
            }
        }
        await ExpectVmStatesAsync(c, c.Bench.RecoveryTime, ("base", VmState.Running), ("web", VmState.Running)).ConfigureAwait(false);
        AssertNothingCommittedLost(c, await ReadLogCaughtUpAsync(c).ConfigureAwait(false), "the ring resets", streamContiguous: true);
    }
}
