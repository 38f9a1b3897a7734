// The firmware scenario (README.md, docs/firmware.md "Scenario program"): a fixed, deterministic island run that any runtime can execute,
// printing a canonical trace. Written for nanoCLR's semantics as much as CoreCLR's: no generics, no
// Enum.ToString (ScenarioNames), no string interpolation or string.Format, no s[i] across surrogate
// pairs (Codec.Utf8), everything allocated at boot, no exception expected.
//
// Steps: boot with 8 VMs in boot order with dependencies; heartbeats and checkpoints; a deadline
// miss; a logical-order violation; an alive expiry escalated to a restart; a VM crash reported by the
// agent and restarted; a refused stop (a running dependent) and a refused power-domain change; a
// malformed envelope; a system reboot sequence; a power cut in the middle of an event-log write and the island's recovery; a link drop
// under a live agent (VM supervision held, resumed by the agent's reports); agent loss (A-cluster
// reset) and resync over the in-memory link: the agent reconnects with a new boot id, the island
// resends its state and runs boot orchestration again. Characters beyond U+FFFF cross the link both
// ways (request reasons; a crash detail that comes back as the VM's last failure).
// Then counters, the trace digest (SHA-256), the completion marker, and one JSON line of timings and
// heap (not part of the golden trace: they depend on the machine).
using System;
using Stratos.Island.Codec;
using Stratos.Island.Codec.Link;
using Stratos.Island.Crypto;
using Stratos.Island.Firmware.EventLog;
using Stratos.Island.Firmware.Lifecycle;

namespace Stratos.Island.Firmware.Scenario
{
    public static class IslandScenario
    {
        public const string CompletionMarker = "SCENARIO COMPLETE";

        // Runs the scenario; probe may be null (the heap then reads -1).
        public static void Run(ITraceSink sink, IHeapProbe probe)
        {
            ScenarioTrace trace = new ScenarioTrace(sink);
            trace.Line("scenario: stratos island firmware, 8 VMs, period 10 ms");
            ScenarioIsland island = new ScenarioIsland(trace, ScenarioVms(), 8, 16);

            trace.Line("== boot");
            island.Boot(ResetReason.PowerOn, 0x1517);
            trace.Line(string.Concat("island boot count ", island.Core.BootCount.ToString()));
            island.ConnectAgent(0xA6E7);
            island.Run(800);

            trace.Line("== heartbeats and checkpoints");
            island.Run(300);
            TraceVms(trace, island);

            trace.Line("== deadline miss (vm 3: end checkpoint held 80 ms after the start, max 50 ms)");
            island.HoldDeadlineEndCycles = 8;
            island.Run(400);

            trace.Line("== logical violation (vm 4: checkpoint 2 with no 1 before it)");
            island.SendCheckpoint(ScenarioIsland.LogicalVm, 2);
            island.SendCheckpoint(ScenarioIsland.LogicalVm, 2);
            island.Pump();
            island.Run(400);

            trace.Line("== alive expiry (vm 5 silent) escalated to a restart");
            island.Silence(5, true);
            island.Run(500);
            island.Silence(5, false);
            island.Run(500);
            TraceVms(trace, island);

            trace.Line("== vm crash reported by the agent (vm 6, detail beyond U+FFFF) and restarted");
            island.ReportVm(6, ObservedVmState.Crashed, "guest panic \U0001F4A5 \U0001D11E");
            island.Run(500);
            TraceVms(trace, island);

            trace.Line("== refused stop (vm 1 has running dependents)");
            island.RequestVm(101, 1, VmAction.Stop, "operator stop \U00010348");
            island.Run(50);

            trace.Line("== refused power-domain change (vm-safety has running VMs)");
            island.RequestPowerDomain(102, 1, PowerState.Off, "save power \U0001F50B");
            island.Run(50);

            trace.Line("== malformed envelope");
            island.SendRaw(new byte[] { 0x0A, 0x7F });
            island.Run(50);

            trace.Line("== system reboot");
            island.RequestSystemPower(103, SystemPowerAction.Reboot, "maintenance");
            island.Run(1500);
            TraceVms(trace, island);

            trace.Line("== power cut during an event-log write");
            uint before = island.Core.Log.NextSequence;
            island.Flash.CutAfterBytes(20);
            island.RequestVm(104, 8, VmAction.Stop, "batch done \U0001F4E6");
            island.Run(30);
            trace.Line(string.Concat("flash powered off: ", island.Flash.PoweredOff ? "yes" : "no", ", log next sequence was ", before.ToString()));
            island.Flash.PowerOn();
            island.Boot(ResetReason.Watchdog, 0x1518);
            PersistentEventLog log = island.Core.Log;
            trace.Line(string.Concat("recovered log: first ", log.FirstAvailableSequence.ToString(), ", next ", log.NextSequence.ToString(),
                ", boot count ", island.Core.BootCount.ToString()));
            TraceLog(trace, log, log.NextSequence - 6);
            island.Run(800);
            TraceVms(trace, island);

            trace.Line("== link drop under a live agent: VM supervision held until the agent reports its VMs");
            uint dropFrom = island.Core.Log.NextSequence;
            island.DropLink("ring reset");
            island.Run(30);
            island.ConnectAgent(0xA6E7);
            for (uint id = 1; id <= 8; id++)
            {
                island.ReportVm(id, ObservedVmState.Running, "re-sync");
            }

            island.Run(300);
            TraceLog(trace, island.Core.Log, dropFrom);
            TraceVms(trace, island);

            trace.Line("== agent loss (A-cluster reset) and resync");
            uint lossFrom = island.Core.Log.NextSequence;
            island.LoseAgent();
            island.Run(2000);
            trace.Line("what the island logged while the agent was gone:");
            TraceLog(trace, island.Core.Log, lossFrom);
            trace.Line(string.Concat("a-cluster resets so far: ", island.Reset.Resets.ToString(), ", safe state ",
                island.Core.Mode.SafeStateActive ? "yes" : "no"));
            TraceVms(trace, island);
            island.Heartbeats = true;
            island.ConnectAgent(0xA6E8);
            island.Run(1000);
            TraceVms(trace, island);

            trace.Line("== counters");
            trace.Line(string.Concat("agent messages received ", island.Agent.Received.ToString(), ", endpoint sent ", island.Endpoint.Counters.Sent.ToString(),
                ", queued ", island.Endpoint.Counters.Queued.ToString(), ", stale directives dropped ", island.Endpoint.Counters.StaleDirectivesDropped.ToString(),
                ", sessions up ", island.Endpoint.Counters.SessionsUp.ToString()));
            trace.Line(string.Concat("supervision cycles ", island.Core.Supervision.Cycles.ToString(), ", late steps ", island.Core.LateSteps.ToString(),
                ", watchdog kicks ", island.Core.WatchdogKicks.ToString()));
            trace.Line(string.Concat("log next sequence ", island.Core.Log.NextSequence.ToString(), ", append failures ", island.Core.Log.AppendFailures.ToString()));
            string digest = trace.Digest();
            int lines = trace.Lines;
            trace.Line(string.Concat("trace: ", lines.ToString(), " lines, sha256 ", digest));
            trace.Line(CompletionMarker);

            Measurements(trace, sink, probe);
        }

        private static void TraceVms(ScenarioTrace trace, ScenarioIsland island)
        {
            VmRuntime[] vms = island.Core.Lifecycle.BootOrder;
            for (int i = 0; i < vms.Length; i++)
            {
                trace.Line(string.Concat("vm ", vms[i].Id.ToString(), " ", ScenarioNames.Of(vms[i].State)));
            }
        }

        // The event log from sequence first on (as far as it still holds it).
        private static void TraceLog(ScenarioTrace trace, PersistentEventLog log, uint first)
        {
            EventRecord record = new EventRecord();
            if (first < log.FirstAvailableSequence)
            {
                first = log.FirstAvailableSequence;
            }

            for (uint seq = first; seq < log.NextSequence; seq++)
            {
                if (log.TryRead(seq, record))
                {
                    trace.Line(string.Concat("log ", record.Sequence.ToString(), " boot ", record.BootCount.ToString(), " ", ScenarioNames.Of(record.Type),
                        " subject ", record.SubjectId.ToString(), " value ", ScenarioNames.ValueOf(record.Type, record.Value), " '", record.GetDetail(), "'"));
                }
            }
        }

        // The scenario's 8 VMs (boards/virtual/vms.yaml shape): boot orders 1..6, dependencies on
        // base and storage, alive supervision for all, a deadline on vm 3, a logical order on vm 4.
        public static VmDefinition[] ScenarioVms()
        {
            VmDefinition[] vms = new VmDefinition[8];
            vms[0] = Vm(1, "base", Criticality.AsilB, 1, 1, 0);
            vms[1] = Vm(2, "storage", Criticality.AsilB, 2, 1, 1);
            vms[2] = Vm(3, "deadline-rt", Criticality.AsilB, 3, 1, 1);
            vms[3] = Vm(4, "logic-ctl", Criticality.AsilB, 3, 1, 1);
            vms[4] = Vm(5, "web", Criticality.Qm, 4, 2, 2);
            vms[5] = Vm(6, "media", Criticality.Qm, 4, 2, 2);
            vms[6] = Vm(7, "gateway", Criticality.Qm, 5, 2, 5);
            vms[7] = Vm(8, "batch", Criticality.Qm, 6, 2, 0);
            DeadlineSupervision deadline = vms[2].Supervision.Deadlines[0];
            deadline.StartCheckpoint = 1;
            deadline.EndCheckpoint = 2;
            deadline.MinMs = 0;
            deadline.MaxMs = 50;
            vms[2].Supervision.DeadlinesCount = 1;
            LogicalSupervision logical = vms[3].Supervision.Logical;
            logical.InitialCheckpoints[0] = 1;
            logical.InitialCheckpointsCount = 1;
            logical.FinalCheckpoints[0] = 2;
            logical.FinalCheckpointsCount = 1;
            logical.Transitions[0].FromCheckpoint = 1;
            logical.Transitions[0].ToCheckpoint = 2;
            logical.TransitionsCount = 1;
            vms[3].Supervision.HasLogical = true;
            return vms;
        }

        // A VM of the timing islands: alive supervision, no dependencies, QM.
        public static VmDefinition[] LoadVms(int count)
        {
            VmDefinition[] vms = new VmDefinition[count];
            for (int i = 0; i < count; i++)
            {
                vms[i] = Vm((uint)(i + 1), string.Concat("vm-", (i + 1).ToString()), Criticality.Qm, (uint)(i + 1), 2, 0);
            }

            return vms;
        }

        public static VmDefinition Vm(uint id, string name, Criticality criticality, uint bootOrder, uint domain, uint dependsOn)
        {
            VmDefinition vm = new VmDefinition();
            vm.VmId = id;
            vm.Name = name;
            vm.Criticality = criticality;
            vm.BootOrder = bootOrder;
            vm.SafeAction = SafeAction.RestartVm;
            vm.Autostart = true;
            vm.StartTimeoutMs = 5000;
            vm.StopTimeoutMs = 3000;
            vm.HasRestart = true;
            vm.Restart.MaxRestarts = 3;
            vm.Restart.WindowMs = 60000;
            vm.Restart.BackoffInitialMs = 100;
            vm.Restart.BackoffMaxMs = 800;
            vm.HasSupervision = true;
            vm.Supervision.HasAlive = true;
            vm.Supervision.Alive.ExpectedIndications = 4;
            vm.Supervision.Alive.MinMargin = 1;
            vm.Supervision.Alive.MaxMargin = 1;
            vm.Supervision.Alive.ReferenceCycles = 4;
            vm.Supervision.FailedRefCycleTolerance = 1;
            vm.PowerDomains[0] = domain;
            vm.PowerDomainsCount = 1;
            if (dependsOn != 0)
            {
                vm.DependsOn[0] = dependsOn;
                vm.DependsOnCount = 1;
            }

            vm.HasVmm = true;
            vm.Vmm.Machine = "microvm";
            vm.Vmm.MemoryMib = 64;
            vm.Vmm.Vcpus = 1;
            vm.Vmm.Kernel = "guest.elf";
            vm.Vmm.Cmdline = "console=ttyS0";
            return vm;
        }

        // Timings with mscorlib's own clock (DateTime.UtcNow) and heap at boot through the probe.
        private static void Measurements(ScenarioTrace trace, ITraceSink sink, IHeapProbe probe)
        {
            ScenarioTrace muted = new ScenarioTrace(null);
            ScenarioIsland island16 = BootLoaded(muted, 16, probe);
            ScenarioIsland island64 = BootLoaded(muted, 64, probe);
            long heap16 = FirmwareBytes(island16);
            long heap64 = FirmwareBytes(island64);
            long perVm = heap16 < 0 ? -1 : (heap64 - heap16) / 48;

            long cycle16 = CycleNs(island16, 16, 200);
            long cycle64 = CycleNs(island64, 64, 100);

            Envelope envelope = new Envelope();
            envelope.SetBody(EnvelopeBody.VmStatus);
            envelope.VmStatus.VmId = 7;
            envelope.VmStatus.Name = "gateway";
            envelope.VmStatus.State = VmState.Running;
            envelope.VmStatus.LastFailure = "alive supervision expired";
            byte[] buffer = new byte[512];
            int written = 0;
            const int codecRounds = 2000;
            long start = DateTime.UtcNow.Ticks;
            for (int i = 0; i < codecRounds; i++)
            {
                envelope.Encode(buffer, 0, buffer.Length, out written);
            }

            long encodeNs = (DateTime.UtcNow.Ticks - start) * 100 / codecRounds;
            Envelope decoded = new Envelope();
            start = DateTime.UtcNow.Ticks;
            for (int i = 0; i < codecRounds; i++)
            {
                decoded.Decode(buffer, 0, written);
            }

            long decodeNs = (DateTime.UtcNow.Ticks - start) * 100 / codecRounds;

            byte[] block = new byte[4096];
            byte[] digest = new byte[Sha256.DigestBytes];
            Sha256 sha = new Sha256();
            const int shaRounds = 50;
            start = DateTime.UtcNow.Ticks;
            for (int i = 0; i < shaRounds; i++)
            {
                sha.Reset();
                sha.Update(block, 0, block.Length);
                sha.Final(digest, 0);
            }

            long shaNs = (DateTime.UtcNow.Ticks - start) * 100 / shaRounds;

            PersistentEventLog log = island16.Core.Log;
            const int appendRounds = 200;
            start = DateTime.UtcNow.Ticks;
            for (int i = 0; i < appendRounds; i++)
            {
                log.Append(island16.Clock.MonotonicUs, 1, EventType.VmState, 3, i, "timing");
            }

            long appendNs = (DateTime.UtcNow.Ticks - start) * 100 / appendRounds;

            string json = string.Concat(
                string.Concat("{\"cycle_16_vms_ns\":", cycle16.ToString(), ",\"cycle_64_vms_ns\":", cycle64.ToString()),
                string.Concat(",\"envelope_encode_ns\":", encodeNs.ToString(), ",\"envelope_decode_ns\":", decodeNs.ToString()),
                string.Concat(",\"sha256_4kib_ns\":", shaNs.ToString(), ",\"event_log_append_ns\":", appendNs.ToString()),
                string.Concat(",\"heap_boot_16_vms_bytes\":", heap16.ToString(), ",\"heap_boot_64_vms_bytes\":", heap64.ToString(), ",\"heap_per_added_vm_bytes\":", perVm.ToString()),
                string.Concat(",\"heap_16_vms_config_bytes\":", island16.ConfigBytes.ToString(), ",\"heap_16_vms_core_bytes\":", island16.CoreBytes.ToString(),
                    ",\"heap_16_vms_link_bytes\":", island16.LinkBytes.ToString(), "}"));
            if (sink != null)
            {
                sink.WriteLine(json);
            }
        }

        // What the firmware allocated at boot (configuration, core, link), -1 without a probe.
        private static long FirmwareBytes(ScenarioIsland island)
        {
            return island.CoreBytes < 0 ? -1 : island.ConfigBytes + island.CoreBytes + island.LinkBytes;
        }

        private static ScenarioIsland BootLoaded(ScenarioTrace muted, int vmCount, IHeapProbe probe)
        {
            ScenarioIsland island = new ScenarioIsland(muted, LoadVms(vmCount), vmCount, vmCount, probe);
            island.Boot(ResetReason.PowerOn, 0x2000 + (ulong)vmCount);
            return island;
        }

        // One loaded, healthy supervision cycle driven straight into the core (an alive indication per
        // VM and the agent, then Step), as the main loop runs it; nanoseconds per cycle.
        private static long CycleNs(ScenarioIsland island, int vmCount, int cycles)
        {
            IslandCore core = island.Core;
            long start = DateTime.UtcNow.Ticks;
            for (int c = 0; c < cycles; c++)
            {
                core.HandleAliveIndication(0, 1);
                for (uint id = 1; id <= vmCount; id++)
                {
                    core.HandleAliveIndication(id, 1);
                }

                island.Clock.AdvanceMs(ScenarioIsland.PeriodMs);
                core.Step();
            }

            return (DateTime.UtcNow.Ticks - start) * 100 / cycles;
        }
    }
}
