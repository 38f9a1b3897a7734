using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Codec;
using Stratos.Island.VirtualBoard;
using Body = Stratos.Island.Protocol.Link.V1.Envelope.BodyOneofCase;
using LinkPb = Stratos.Island.Protocol.Link.V1;
using PbCommon = Stratos.Island.Protocol.Common.V1;

namespace Stratos.Island.Sim.Tests;

// The real island-sim process (supervisor + child) driven by a real agent-side link and session.
[TestClass]
public sealed class IslandSimTests
{
    private const int StartTimeoutMs = 20_000;

    public TestContext TestContext { get; set; } = null!;

    private static BoardProcess StartIsland(SimWorld world, int occurrence = 0)
    {
        BoardProcess sim = world.Start("--log-level", "debug");
        sim.WaitForLine(IslandHost.ReadyMessage, StartTimeoutMs, occurrence);
        return sim;
    }

    private static AgentDriver Connect(SimWorld world, ulong bootId)
    {
        var driver = new AgentDriver(world.ShmPath, world.KickSocket, bootId);
        Assert.IsTrue(driver.PumpUntil(() => driver.IsUp, 5000), "the agent session did not come up");
        return driver;
    }

    private static double Ms(long fromTicks, long toTicks) => (toTicks - fromTicks) * 1000.0 / Stopwatch.Frequency;

    private static List<LinkPb.Envelope> Answer(AgentDriver driver, uint correlation, Action<Codec.Link.Envelope> fill)
    {
        int before = driver.Received.Count;
        Assert.AreEqual(Link.LinkSendStatus.Ok, driver.Send(fill, correlation));
        bool done(LinkPb.Envelope e) => e.CorrelationId == correlation
            && (e.BodyCase == Body.RequestResult || (e.BodyCase == Body.LogChunk && e.LogChunk.End));
        Assert.IsTrue(driver.PumpUntil(() => driver.Received.Skip(before).Any(done), 3000), "no answer to request " + correlation + "; agent session "
            + driver.Session.State + ", received since: " + string.Join(", ", driver.Received.Skip(before).Select(e => e.BodyCase + "/" + e.CorrelationId))
            + "; agent counters sent " + driver.Session.Counters.Sent + " failures " + driver.Session.Counters.SendFailures + " established " + driver.Session.Counters.Established);
        return driver.Received.Skip(before).Where(e => e.CorrelationId == correlation).ToList();
    }

    private static List<LinkPb.Event> ReadLog(AgentDriver driver, uint correlation) =>
        Answer(driver, correlation, e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.LogRead);
            e.LogRead.FromSequence = 1;
        }).Where(e => e.BodyCase == Body.LogChunk).SelectMany(e => e.LogChunk.Records).ToList();

    private static JsonElement Status(SimWorld world) => JsonDocument.Parse(world.Control("status")).RootElement;

    private static void WaitGone(int pid)
    {
        long deadline = Environment.TickCount64 + 5000;
        while (Directory.Exists("/proc/" + pid) && Environment.TickCount64 < deadline)
        {
            System.Threading.Thread.Sleep(5);
        }

        Assert.IsFalse(Directory.Exists("/proc/" + pid), "process " + pid + " still exists");
    }

    [TestMethod]
    public void Agent_handshake_status_start_and_running_report_over_the_real_link()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xA1);

        LinkPb.HelloAck ack = driver.HelloAcks.Last();
        Assert.AreEqual("virtual", ack.BoardId);
        Assert.AreEqual(10u, ack.SupervisionCycleMs);
        Assert.AreEqual(3u, ack.VmCount);   // base, web, linux (boards/virtual/vms.yaml)
        Assert.AreEqual(PbCommon.ResetReason.ProcessStart, ack.ResetReason);
        Assert.AreEqual(0xA1UL, ack.PeerBootId);

        List<LinkPb.Envelope> status = Answer(driver, 5, e => e.SetBody(Codec.Link.EnvelopeBody.StatusRequest));
        CollectionAssert.AreEqual(new[] { "base", "web", "linux" }, status.Where(e => e.BodyCase == Body.VmStatus).Select(e => e.VmStatus.Name).ToList());
        Assert.IsTrue(status[^1].RequestResult.Accepted);

        List<LinkPb.Envelope> start = Answer(driver, 6, e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.VmRequest);
            e.VmRequest.VmId = 1;
            e.VmRequest.Action = VmAction.Start;
        });
        Assert.IsTrue(start.Single(e => e.BodyCase == Body.RequestResult).RequestResult.Accepted);
        Assert.IsTrue(driver.PumpUntil(() => driver.Received.Any(e => e.BodyCase == Body.VmDirective), 2000));
        LinkPb.VmDirective directive = driver.Received.First(e => e.BodyCase == Body.VmDirective).VmDirective;
        Assert.AreEqual(LinkPb.DirectiveAction.Start, directive.Action);
        Assert.AreEqual(1u, directive.VmId);

        driver.Send(e =>
        {
            e.SetBody(Codec.Link.EnvelopeBody.VmStateReport);
            e.VmStateReport.VmId = 1;
            e.VmStateReport.State = ObservedVmState.Running;
            e.VmStateReport.DirectiveId = directive.DirectiveId;
        }, 0);
        driver.AliveVms.Add(1);
        Assert.IsTrue(driver.PumpUntil(() => driver.Received.Any(e => e.BodyCase == Body.VmStatus && e.VmStatus.VmId == 1
            && e.VmStatus.State == PbCommon.VmState.Running), 2000), "no VmStatus RUNNING for base");

        JsonElement json = Status(world);
        Assert.AreEqual("up", json.GetProperty("session").GetString());
        Assert.IsGreaterThan(0L, json.GetProperty("cycles").GetInt64());
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void Island_restart_is_seen_by_the_agent_within_100_ms_and_the_event_log_survives()
    {
        using var world = new SimWorld();
        using AgentDriver driver = WithIsland(world, out List<LinkPb.Event> before, out int firstChild, kill: true);

        using BoardProcess second = world.Start();
        Assert.IsTrue(driver.PumpUntil(() => driver.Ups.Count >= 2, StartTimeoutMs), "the agent session did not come back:\n" + second.Output);
        second.WaitForLine(IslandHost.ReadyMessage, 1000);
        Assert.IsTrue(driver.Ups[1].Restarted, "peerRestarted must be true for a new island boot");
        // The island stamps its log lines (UTC, ms); the driver notes UtcNow at OnSessionUp.
        string readyLine = second.Output.Split('\n').First(l => l.Contains(IslandHost.ReadyMessage, StringComparison.Ordinal));
        DateTime readyUtc = DateTime.UtcNow.Date + TimeSpan.ParseExact(readyLine[..12], @"hh\:mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture);
        double recoveryMs = (driver.UpsUtc[1] - readyUtc).TotalMilliseconds;
        TestContext.WriteLine("island restart: agent session up " + recoveryMs.ToString("F1") + " ms after the island printed ready");
        Assert.IsLessThanOrEqualTo(100.0, recoveryMs);

        List<LinkPb.Event> after = ReadLog(driver, 31);
        Assert.IsTrue(before.All(b => after.Any(a => a.Sequence == b.Sequence && a.Type == b.Type && a.BootCount == b.BootCount)),
            "records of the first boot are missing after the restart");
        uint firstBoot = before.Single(e => e.Type == PbCommon.EventType.IslandBoot).BootCount;
        Assert.IsTrue(after.Any(e => e.Type == PbCommon.EventType.IslandBoot && e.BootCount == firstBoot + 1));
        Assert.AreNotEqual(firstChild, Status(world).GetProperty("pid").GetInt32());
    }

    // Starts an island, connects, reads the log; with kill: kill -9 the supervisor (its child dies with it).
    private static AgentDriver WithIsland(SimWorld world, out List<LinkPb.Event> log, out int childPid, bool kill)
    {
        BoardProcess first = StartIsland(world);
        AgentDriver driver = Connect(world, 0xB1);
        try
        {
            log = ReadLog(driver, 30);
            Assert.IsNotEmpty(log);
            childPid = Status(world).GetProperty("pid").GetInt32();
            if (kill)
            {
                first.Signal(9);
                Assert.IsTrue(first.WaitForExit(5000));
                WaitGone(childPid);
            }
        }
        catch
        {
            driver.Dispose();
            throw;
        }
        finally
        {
            if (kill)
            {
                first.Dispose();
            }
        }

        return driver;
    }

    [TestMethod]
    [Verifies("IslDsgn~resync-boot-ids~1")]
    public void A_restarted_agent_is_accepted_within_100_ms()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        Connect(world, 0xC1).Dispose();

        long begin = Stopwatch.GetTimestamp();
        using var second = new AgentDriver(world.ShmPath, world.KickSocket, 0xC2);
        Assert.IsTrue(second.PumpUntil(() => second.IsUp, 2000));
        double ms = Ms(begin, second.Ups[0].Ticks);
        TestContext.WriteLine(string.Join("\n", second.Trace.Select(t => Ms(begin, t.Ticks).ToString("F1") + " ms " + t.What)));
        TestContext.WriteLine("agent restart: new session up " + ms.ToString("F1") + " ms after the new driver opened the link");
        Assert.IsLessThanOrEqualTo(100.0, ms);
        Assert.AreEqual(0xC2UL, second.HelloAcks.Last().PeerBootId);
    }

    [TestMethod]
    [Verifies("IslDsgn~one-inode~1")]
    public void Sigterm_removes_the_sockets_and_keeps_the_shm_file_with_its_table_withdrawn()
    {
        using var world = new SimWorld();
        BoardProcess sim = StartIsland(world);
        ulong inode;
        using (sim)
        {
            using (AgentDriver driver = Connect(world, 0xD1))
            {
                inode = driver.Port.Memory.Inode;
            }

            sim.Signal(15);
            Assert.IsTrue(sim.WaitForExit(5000));
            Assert.AreEqual(0, sim.ExitCode);
        }

        Assert.IsFalse(File.Exists(world.KickSocket), "kick socket left behind");
        Assert.IsFalse(File.Exists(world.ControlSocket), "control socket left behind");
        Assert.IsTrue(File.Exists(world.ShmPath), "the shm file is kept for map-once peers");
        byte[] table = new byte[0x58];
        using (FileStream file = File.OpenRead(world.ShmPath))
        {
            file.ReadExactly(table);
        }

        Assert.AreEqual(0, BitConverter.ToInt32(table, 0), "resource table withdrawn (ver 0): a driver sees the island gone");

        using BoardProcess again = StartIsland(world);
        using AgentDriver second = Connect(world, 0xD2);
        Assert.AreEqual(inode, second.Port.Memory.Inode, "the next boot re-initialised the same file in place");
        Assert.IsNotEmpty(ReadLog(second, 3));
    }

    [TestMethod]
    [Verifies("IslDsgn~one-inode~1")]
    public void A_deleted_shm_file_is_created_again_at_the_next_boot()
    {
        using var world = new SimWorld();
        using (BoardProcess sim = StartIsland(world))
        {
            sim.Signal(15);
            Assert.IsTrue(sim.WaitForExit(5000));
        }

        File.Delete(world.ShmPath);
        using BoardProcess again = StartIsland(world);
        Assert.IsTrue(File.Exists(world.ShmPath));
        using AgentDriver driver = Connect(world, 0xD3);
        Assert.IsNotEmpty(ReadLog(driver, 3));
    }

    // A crashed MCU is reset by its hardware and boots again: kill -9 of the island process makes
    // the supervisor start a new one with reset reason FAULT over the same file, and the agent's one
    // mapping resynchronises (no remap) with every committed record still in the log.
    [TestMethod]
    [Verifies("IslDsgn~island-fault-restart~1")]
    public void Killed_island_process_is_restarted_with_reset_reason_FAULT_and_the_agent_resynchronises()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xF1);
        List<LinkPb.Event> before = ReadLog(driver, 40);
        int child = Status(world).GetProperty("pid").GetInt32();
        ulong inode = driver.Port.Memory.Inode;

        long killed = Stopwatch.GetTimestamp();
        PosixProcess.Send(child, PosixProcess.SIGKILL);
        Assert.IsTrue(driver.PumpUntil(() => driver.HelloAcks.Any(a => a.ResetReason == PbCommon.ResetReason.Fault) && driver.IsUp, StartTimeoutMs),
            "no HelloAck with reset reason FAULT:\n" + sim.Output);
        double recoveryMs = Ms(killed, driver.Ups[^1].Ticks);
        TestContext.WriteLine("island killed: agent session up again " + recoveryMs.ToString("F0") + " ms after the kill");
        Assert.IsFalse(sim.HasExited, "the supervisor restarts the island instead of exiting");
        StringAssert.Contains(sim.Output, "restarting it (reset reason fault)");
        Assert.AreEqual("fault", Status(world).GetProperty("reset_reason").GetString());
        Assert.AreEqual(inode, driver.Port.Memory.Inode);
        Assert.AreEqual(0, driver.Port.Memory.Remaps, "the agent followed the restart through its one mapping");

        List<LinkPb.Event> after = ReadLog(driver, 41);
        AssertNothingCommittedLost(before, after);
        Assert.IsTrue(after.Any(e => e.Type == PbCommon.EventType.IslandBoot && e.Value == (int)PbCommon.ResetReason.Fault),
            "ISLAND_BOOT with reset reason FAULT in the log");
    }

    // Corrupt rings are reset through the status byte (DEVICE_NEEDS_RESET) and the session is back
    // within 100 ms of the island's request; the reset is counted and logged as a LINK_ERROR event.
    [TestMethod]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    [Verifies("IslDsgn~status-byte-handshake~1")]
    public void Corrupt_ring_index_is_healed_by_a_ring_reset_within_100_ms_and_logged()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xF2);
        List<LinkPb.Event> before = ReadLog(driver, 50);
        int ups = driver.Ups.Count;

        driver.Port.Memory.WriteUInt16(0x9002, (ushort)(driver.Port.Memory.ReadUInt16(0x9002) + 300)); // vring1 avail idx jumps past num
        long scribbled = Stopwatch.GetTimestamp();
        Assert.IsTrue(driver.PumpUntil(() => driver.Ups.Count > ups, 5_000), "the session did not come back after the ring reset:\n" + sim.Output);
        double healMs = Ms(scribbled, driver.Ups[^1].Ticks);
        TestContext.WriteLine(string.Join("\n", driver.Trace.Where(t => t.Ticks >= scribbled).Select(t => Ms(scribbled, t.Ticks).ToString("F1") + " ms " + t.What)));
        TestContext.WriteLine("ring reset: session up again " + healMs.ToString("F1") + " ms after the corruption");
        Assert.IsLessThanOrEqualTo(100.0, healMs);
        Assert.AreEqual(1, driver.Port.Link.Counters.RingResetsByPeer, "the agent honoured one DEVICE_NEEDS_RESET");

        JsonElement link = Status(world).GetProperty("link");
        Assert.AreEqual(1, link.GetProperty("ring_resets_requested").GetInt32());
        List<LinkPb.Event> after = ReadLog(driver, 51);
        AssertNothingCommittedLost(before, after);
        Assert.IsTrue(after.Any(e => e.Type == PbCommon.EventType.LinkError && e.Detail.Contains("ring reset", StringComparison.Ordinal)),
            "a LINK_ERROR event names the ring reset: " + string.Join(" | ", after.Select(e => e.Type + " " + e.Detail)));
    }

    // The issue's experiment: 64 x 8 random bytes written over the vring area of a running link.
    // Whatever they hit, the link heals and the log keeps every committed record.
    [TestMethod]
    [Verifies("IslDsgn~ring-corruption-reset~1")]
    public void Random_scribbles_over_the_vrings_are_healed_and_nothing_committed_is_lost()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xF3);
        List<LinkPb.Event> before = ReadLog(driver, 60);
        var random = new Random(1414);
        byte[] bytes = new byte[8];
        for (int i = 0; i < 64; i++)
        {
            random.NextBytes(bytes);
            driver.Port.Memory.WriteBytes(0x4000 + random.Next(0xB000 - 0x4000 - 8), bytes, 0, 8);
            driver.Pump(2);
        }

        // Traffic until every descriptor of both rings has been used at least twice (a scribbled
        // descriptor is only read when its turn comes), then one clean answer.
        Link.LinkCounters counters = driver.Port.Link.Counters;
        int txStart = counters.TxMessages;
        int rxStart = counters.RxMessages;
        List<LinkPb.Event>? after = null;
        long deadline = Environment.TickCount64 + 60_000;
        for (uint attempt = 0; Environment.TickCount64 < deadline; attempt++)
        {
            Assert.IsTrue(driver.PumpUntil(() => driver.IsUp, 5_000), "session not back:\n" + sim.Output);
            try
            {
                after = ReadLog(driver, 100 + attempt);
            }
            catch (AssertFailedException)
            {
                after = null; // a reset in the middle of the answer: ask again
                continue;
            }

            for (int i = 0; i < 40; i++)
            {
                Send(driver, 2000 + (uint)i + attempt * 40);
            }

            if (counters.TxMessages - txStart >= 512 && counters.RxMessages - rxStart >= 512)
            {
                break;
            }
        }

        Assert.IsNotNull(after, "the island never answered a log read after the scribbles:\n" + sim.Output);
        AssertNothingCommittedLost(before, after);
        JsonElement link = Status(world).GetProperty("link");
        int resets = link.GetProperty("ring_resets_requested").GetInt32() + driver.Port.Link.Counters.RingResetsRequested;
        TestContext.WriteLine("ring resets: island " + link.GetProperty("ring_resets_requested").GetInt32() + ", agent "
            + driver.Port.Link.Counters.RingResetsRequested + "; island link errors " + link.GetProperty("errors").GetInt32());
        Assert.IsGreaterThanOrEqualTo(1, resets, "64 scribbles over the rings went unnoticed");
    }

    // One StatusRequest, not waited for (traffic for the scribble test).
    private static void Send(AgentDriver driver, uint correlation) =>
        driver.Send(e => e.SetBody(Codec.Link.EnvelopeBody.StatusRequest), correlation);

    private static void AssertNothingCommittedLost(List<LinkPb.Event> before, List<LinkPb.Event> after)
    {
        foreach (LinkPb.Event b in before)
        {
            Assert.IsTrue(after.Any(a => a.Sequence == b.Sequence && a.Type == b.Type && a.BootCount == b.BootCount && a.Value == b.Value),
                "record " + b.Sequence + " (" + b.Type + ") is missing after the recovery");
        }

        for (int i = 1; i < after.Count; i++)
        {
            Assert.AreEqual(after[i - 1].Sequence + 1, after[i].Sequence, "the log has a hole after record " + after[i - 1].Sequence);
        }
    }

    // A control command that restarts the island: it is accepted and the next HelloAck carries reason.
    private static void AssertRestartedBy(SimWorld world, BoardProcess sim, AgentDriver driver, string command, PbCommon.ResetReason reason)
    {
        Assert.AreEqual("ok " + command, world.Control(command));
        Assert.IsTrue(driver.PumpUntil(() => driver.HelloAcks.Any(a => a.ResetReason == reason), StartTimeoutMs),
            "no HelloAck with reset reason " + reason + ":\n" + sim.Output);
    }

    [TestMethod]
    [Verifies("IslDsgn~watchdog-kick~1")]
    public void Hang_fires_the_hardware_watchdog_and_the_next_HelloAck_says_WATCHDOG()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xE1);

        AssertRestartedBy(world, sim, driver, "hang", PbCommon.ResetReason.Watchdog);
        StringAssert.Contains(sim.Output, "hardware watchdog expired");
        Assert.AreEqual("watchdog", Status(world).GetProperty("reset_reason").GetString());
        Assert.IsFalse(sim.HasExited, "the supervisor must restart the island, not exit");
    }

    // An overloaded host can leave the whole island process unscheduled (here: SIGSTOP for three
    // watchdog timeouts). That is not a stuck firmware main loop: no reset (WatchdogSilence), and the
    // log says what happened. The hang above, with the watchdog thread on time, still resets.
    [TestMethod]
    public void A_process_the_host_did_not_schedule_is_not_reset_by_its_watchdog()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        int child = Status(world).GetProperty("pid").GetInt32();

        PosixProcess.Send(child, PosixProcess.SIGSTOP);
        System.Threading.Thread.Sleep(1500);
        PosixProcess.Send(child, PosixProcess.SIGCONT);
        System.Threading.Thread.Sleep(1000);

        JsonElement status = Status(world);
        Assert.AreEqual(child, status.GetProperty("pid").GetInt32(), "the island was restarted:\n" + sim.Output);
        Assert.AreEqual("process-start", status.GetProperty("reset_reason").GetString());
        Assert.DoesNotContain("hardware watchdog expired", sim.Output);
        StringAssert.Contains(sim.Output, "island-sim was not scheduled for");
    }

    [TestMethod]
    public void Reset_command_restarts_the_island_with_reset_reason_SOFTWARE()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);
        using AgentDriver driver = Connect(world, 0xE2);

        AssertRestartedBy(world, sim, driver, "reset", PbCommon.ResetReason.Software);
        StringAssert.StartsWith(world.Control("bogus"), "error unknown command 'bogus'");
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void Power_cut_in_the_middle_of_a_log_write_loses_only_that_record_and_the_sequence_continues()
    {
        using var world = new SimWorld();
        BoardProcess first = StartIsland(world);
        List<LinkPb.Event> before;
        long writesBefore;
        using (AgentDriver driver = Connect(world, 0xC1))
        {
            before = ReadLog(driver, 40);
            writesBefore = Status(world).GetProperty("flash_writes").GetInt64();
            Assert.AreEqual("ok powercut 1 mid", world.Control("powercut 1 mid"));
            // A silent agent makes the island log its supervision FAILED: that write is cut half done.
            driver.SendAgentAlive = false;
            Assert.IsTrue(driver.PumpUntil(() => first.HasExited, 10_000), "the island did not cut its power at the next flash write:\n" + first.Output);
        }

        first.WaitForLine("power cut at flash write " + (writesBefore + 1), 2000);
        StringAssert.Contains(first.Output, "bytes written before the cut");
        first.Dispose();

        using BoardProcess second = StartIsland(world);
        using AgentDriver again = Connect(world, 0xC2);
        List<LinkPb.Event> after = ReadLog(again, 41);
        Assert.IsTrue(before.All(b => after.Any(a => a.Sequence == b.Sequence && a.Type == b.Type)), "records committed before the cut are missing");
        List<uint> sequences = after.Select(e => e.Sequence).ToList();
        CollectionAssert.AreEqual(Enumerable.Range((int)sequences[0], sequences.Count).Select(i => (uint)i).ToList(), sequences, "the log is not contiguous: " + string.Join(",", sequences));
        LinkPb.Event boot = after.Last(e => e.Type == PbCommon.EventType.IslandBoot);
        Assert.AreEqual(before.Max(e => e.BootCount) + 1, boot.BootCount);
        // The torn record (the FAILED status) was never committed: the boot record follows the last record before the cut.
        Assert.AreEqual(before.Max(e => e.Sequence) + 1, boot.Sequence);
    }

    [TestMethod]
    public void Bad_powercut_commands_are_refused_naming_the_expected_form()
    {
        using var world = new SimWorld();
        using BoardProcess sim = StartIsland(world);

        StringAssert.Contains(world.Control("powercut"), "expected powercut N [mid]");
        StringAssert.Contains(world.Control("powercut 0"), "N in 1..1000000");
        StringAssert.Contains(world.Control("powercut 3 halfway"), "expected powercut N [mid]");
        Assert.IsFalse(sim.HasExited);
    }

    [TestMethod]
    [Verifies("IslDsgn~agent-supervision~1")]
    public void A_silent_agent_gets_the_A_cluster_reset_hook_run()
    {
        using var world = new SimWorld();
        string marker = Path.Combine(world.Root, "a-cluster-was-reset");
        using BoardProcess sim = world.Start("--a-cluster-reset-hook", "touch '" + marker + "'");
        sim.WaitForLine(IslandHost.ReadyMessage, StartTimeoutMs);
        using AgentDriver driver = Connect(world, 0xF1);
        driver.SendAgentAlive = false;

        // Agent supervision: >= 1 indication per 1 s reference cycle, 2 failed cycles tolerated.
        Assert.IsTrue(driver.PumpUntil(() => File.Exists(marker), 10_000), "the reset hook did not run:\n" + sim.Output);
        // The log line is read from the child's pipe asynchronously: wait for it rather than race it.
        sim.WaitForLine("A-cluster reset: running hook", 5_000);
    }

    [TestMethod]
    public void Bad_board_file_exits_2_naming_the_file_and_the_field()
    {
        using var world = new SimWorld();
        string board = Path.Combine(world.Root, "board.yaml");
        File.WriteAllText(board, File.ReadAllText(Path.Combine(SimWorld.RepoBoardsDir, "virtual", "board.yaml"))
            .Replace("supervision_cycle_ms: 10", "supervision_cycle_ms: fast", StringComparison.Ordinal));

        using BoardProcess sim = world.StartWith("--board", board, "--config", world.ConfigPath, "--state-dir", world.StateDir);
        Assert.IsTrue(sim.WaitForExit(20_000));

        Assert.AreEqual(2, sim.ExitCode);
        StringAssert.Contains(sim.Output, board);
        StringAssert.Contains(sim.Output, "supervision_cycle_ms");
    }

    [TestMethod]
    public void The_heartbeat_trace_has_a_line_per_alive_indication_in_the_order_the_island_received_them()
    {
        using var world = new SimWorld();
        string trace = Path.Combine(world.Root, "island-heartbeats.trace");
        using BoardProcess sim = world.Start("--trace-heartbeats", trace);
        sim.WaitForLine(IslandHost.ReadyMessage, StartTimeoutMs);
        long before = Link.Linux.MonotonicTraceFile.NowNanoseconds();
        using (AgentDriver driver = Connect(world, 0xB7))
        {
            driver.AliveVms.Add(2);
            driver.Pump(600);
        }

        // The island may still be receiving what the driver sent last (seen 60-80 us after the driver
        // stopped, under a loaded suite): the upper bound is taken after the trace's flush interval.
        System.Threading.Thread.Sleep(2 * Link.Linux.MonotonicTraceFile.FlushIntervalMs);
        long after = Link.Linux.MonotonicTraceFile.NowNanoseconds();
        string[] lines = File.ReadAllLines(trace);
        StringAssert.StartsWith(lines[0], "# island-sim heartbeat trace");
        var rows = lines.Skip(1).Select(l => l.Split(' ')).Select(f => (Entity: uint.Parse(f[0]), Ns: long.Parse(f[1]))).ToList();
        Assert.IsGreaterThanOrEqualTo(3, rows.Count(r => r.Entity == 0), "the agent's own alive indications");
        Assert.IsGreaterThanOrEqualTo(3, rows.Count(r => r.Entity == 2), "VM 2's alive indications");
        Assert.IsTrue(rows.All(r => r.Ns >= before && r.Ns <= after), "every receive time is within the session, on the test's own clock");
        CollectionAssert.AreEqual(rows.Select(r => r.Ns).OrderBy(n => n).ToList(), rows.Select(r => r.Ns).ToList(), "lines in receive order");
    }

    [TestMethod]
    public void Unusable_shm_path_exits_2_naming_the_option()
    {
        using var world = new SimWorld();
        string[] args = [.. world.Launcher.SimArguments()];
        args[Array.IndexOf(args, "--shm-path") + 1] = "/nonexistent-island-dir/shm";

        using BoardProcess sim = world.StartWith(args);
        Assert.IsTrue(sim.WaitForExit(20_000));

        Assert.AreEqual(2, sim.ExitCode);
        StringAssert.Contains(sim.Output, "--shm-path");
        StringAssert.Contains(sim.Output, "/nonexistent-island-dir");
    }

    /// <summary>
    /// The island's serial link on a line nobody drains (the Xen machine's COM2 while dom0 does not
    /// read it, issue 18): the island's sends never wait; they queue, then are refused with
    /// NoTxBuffer and counted (tx_no_buffer in island-sim's status), and the main loop's poll keeps
    /// its time-out, so the island keeps its cycle and its watchdog is kicked.
    /// </summary>
    [TestMethod]
    [Timeout(60_000)]
    public void Serial_sends_to_a_line_nobody_drains_never_wait_and_are_refused_with_no_tx_buffer()
    {
        string dir = Path.Combine(Path.GetTempPath(), "simserq-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "com2.sock");
        var clock = Stopwatch.StartNew();
        try
        {
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using var log = new SimLog(SimLogLevel.Error, "test");
            using var link = new SerialSessionLink(SimLinkKind.SerialSocket, path, 115200, () => clock.ElapsedMilliseconds, log);
            link.Start();
            using var machine = listener.Accept();

            byte[] message = new byte[400];
            long slowestMs = 0, refused = 0;
            for (int i = 0; i < 5000 && refused < 10; i++)
            {
                long began = clock.ElapsedMilliseconds;
                Stratos.Island.Link.LinkSendStatus status = link.TrySend(message, 0, message.Length);
                slowestMs = Math.Max(slowestMs, clock.ElapsedMilliseconds - began);
                if (status == Stratos.Island.Link.LinkSendStatus.NoTxBuffer)
                {
                    refused++;
                }
                else
                {
                    Assert.AreEqual(Stratos.Island.Link.LinkSendStatus.Ok, status);
                }
            }

            Assert.AreEqual(10, refused, "the line never filled");
            Assert.IsTrue(slowestMs < 200, $"a send took {slowestMs} ms");
            long before = clock.ElapsedMilliseconds;
            link.WaitAndPoll(20);
            Assert.IsTrue(clock.ElapsedMilliseconds - before < 1000, "the main loop's poll keeps its time-out");

            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                link.WriteStatus(json);
                json.WriteEndObject();
            }

            JsonElement status2 = JsonDocument.Parse(buffer.ToArray()).RootElement;
            Assert.AreEqual(10, status2.GetProperty("tx_no_buffer").GetInt64());
            Assert.IsTrue(status2.GetProperty("tx_queued_bytes").GetInt32() > 0);
            Assert.AreEqual("Open", status2.GetProperty("state").GetString(), "a full line is not a lost line");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void The_link_option_takes_shared_memory_a_tty_with_a_baud_rate_or_a_serial_socket()
    {
        Assert.AreEqual(SimLinkKind.SharedMemory, SimOptions.Parse(["--link", "shared-memory"]).Link);
        SimOptions tty = SimOptions.Parse(["--link", "serial:/dev/ttyS1@921600"]);
        Assert.AreEqual(SimLinkKind.Serial, tty.Link);
        Assert.AreEqual("/dev/ttyS1", tty.LinkPath);
        Assert.AreEqual(921600, tty.LinkBaud);
        Assert.AreEqual(115200, SimOptions.Parse(["--link", "serial:/dev/pts/4"]).LinkBaud);
        SimOptions socket = SimOptions.Parse(["--link", "serial-socket:/tmp/x/link.sock"]);
        Assert.AreEqual(SimLinkKind.SerialSocket, socket.Link);
        Assert.AreEqual("/tmp/x/link.sock", socket.LinkPath);
        CollectionAssert.AreEqual(new[] { "--link", "serial-socket:/tmp/x/link.sock" }, socket.UserArguments.ToArray(), "the child gets the option too");
        Assert.IsNull(SimOptions.Parse([]).Link, "default: the board's link.transport");

        StringAssert.Contains(Assert.ThrowsExactly<SimConfigurationException>(() => SimOptions.Parse(["--link", "serial:/dev/ttyS1@fast"])).Message, "'fast' in 'serial:/dev/ttyS1@fast' is not a baud rate");
        StringAssert.Contains(Assert.ThrowsExactly<SimConfigurationException>(() => SimOptions.Parse(["--link", "uart:/dev/ttyS1"])).Message, "--link: 'uart:/dev/ttyS1' is not shared-memory, serial:DEVICE[@BAUD] or serial-socket:PATH");
        StringAssert.Contains(Assert.ThrowsExactly<SimConfigurationException>(() => SimOptions.Parse(["--link", "serial:"])).Message, "is not shared-memory");
    }
}
