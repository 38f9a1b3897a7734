using System.Collections.Generic;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Firmware.Scenario;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.EventLog;

namespace Stratos.Island.Firmware.Tests;

[TestClass]
public sealed class EventLogTests
{
    private static PersistentEventLog Boot(ScenarioFlash flash)
    {
        var log = new PersistentEventLog(flash);
        log.Recover();
        return log;
    }

    private static uint Append(PersistentEventLog log, int n, string detail = "detail")
    {
        return log.Append(n * 1000L, 3, EventType.VmState, (uint)n, n * 7, detail + n);
    }

    // Every stored record, checked against what Append(n) wrote.
    private static List<uint> ReadAll(PersistentEventLog log)
    {
        var seen = new List<uint>();
        var record = new EventRecord();
        for (uint s = log.FirstAvailableSequence; s < log.NextSequence; s++)
        {
            Assert.IsTrue(log.TryRead(s, record), $"sequence {s} between first {log.FirstAvailableSequence} and next {log.NextSequence} is readable");
            Assert.AreEqual(s, record.Sequence);
            seen.Add(s);
        }

        return seen;
    }

    [TestMethod]
    public void Crc32_matches_the_standard_check_value()
    {
        byte[] data = Encoding.ASCII.GetBytes("123456789");
        Assert.AreEqual(0xCBF43926u, Crc32.Compute(data, 0, data.Length));
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void Records_round_trip_with_every_field()
    {
        var flash = new ScenarioFlash(256, 4);
        PersistentEventLog log = Boot(flash);
        uint seq = log.Append(0x1_0000_0002L, 42, EventType.Escalation, 7, -5, "VM 'web': supervision expired");
        Assert.AreEqual(1u, seq);

        PersistentEventLog again = Boot(flash);
        var r = new EventRecord();
        Assert.IsTrue(again.TryRead(1, r));
        Assert.AreEqual(0x1_0000_0002L, r.TimestampUs);
        Assert.AreEqual(42u, r.BootCount);
        Assert.AreEqual(EventType.Escalation, r.Type);
        Assert.AreEqual(7u, r.SubjectId);
        Assert.AreEqual(-5, r.Value);
        Assert.AreEqual("VM 'web': supervision expired", r.GetDetail());
        Assert.AreEqual(42u, again.LastBootCount);
        Assert.AreEqual(2u, again.NextSequence);
    }

    [TestMethod]
    public void Details_are_truncated_to_64_bytes_at_a_character_boundary()
    {
        var flash = new ScenarioFlash(256, 4);
        PersistentEventLog log = Boot(flash);
        string text = new string('a', 63) + "é" + "tail";
        log.Append(0, 1, EventType.Config, 0, 0, text);
        var r = new EventRecord();
        Assert.IsTrue(log.TryRead(1, r));
        Assert.AreEqual(new string('a', 63), r.GetDetail(), "the 2-byte 'é' does not fit in byte 64");
        log.Append(0, 1, EventType.Config, 0, 0, "ü€😀");
        Assert.IsTrue(log.TryRead(2, r));
        Assert.AreEqual("ü€😀", r.GetDetail());
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void An_empty_flash_recovers_to_an_empty_log()
    {
        PersistentEventLog log = Boot(new ScenarioFlash(256, 4));
        Assert.AreEqual(1u, log.NextSequence);
        Assert.AreEqual(1u, log.FirstAvailableSequence);
        Assert.IsFalse(log.TryRead(1, new EventRecord()));
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void The_ring_reclaims_the_oldest_page_and_levels_wear()
    {
        var flash = new ScenarioFlash(256, 4);
        PersistentEventLog log = Boot(flash);
        for (int n = 1; n <= 200; n++)
        {
            Assert.AreEqual((uint)n, Append(log, n));
        }

        Assert.IsTrue(log.FirstAvailableSequence > 1, "old pages were reclaimed");
        List<uint> live = ReadAll(log);
        Assert.AreEqual(200u, live[^1]);

        PersistentEventLog again = Boot(flash);
        Assert.AreEqual(log.FirstAvailableSequence, again.FirstAvailableSequence);
        Assert.AreEqual(201u, again.NextSequence);
        CollectionAssert.AreEqual(live, ReadAll(again));
        int min = int.MaxValue, max = 0;
        foreach (int c in flash.EraseCounts)
        {
            min = System.Math.Min(min, c);
            max = System.Math.Max(max, c);
        }

        Assert.IsTrue(max - min <= 1, $"erases are spread over all pages (min {min}, max {max})");
    }

    [TestMethod]
    [Verifies("IslDsgn~log-read~1")]
    public void Reading_out_of_range_sequences_fails_cleanly()
    {
        PersistentEventLog log = Boot(new ScenarioFlash(256, 4));
        Append(log, 1);
        var r = new EventRecord();
        Assert.IsFalse(log.TryRead(0, r));
        Assert.IsFalse(log.TryRead(2, r));
        Assert.IsTrue(log.TryRead(1, r));
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void A_corrupted_committed_record_ends_recovery_of_its_page()
    {
        var flash = new ScenarioFlash(256, 4);
        PersistentEventLog log = Boot(flash);
        Append(log, 1);
        Append(log, 2);
        flash[16 + 40] ^= 0x01; // a detail byte of record 1: CRC mismatch
        PersistentEventLog again = Boot(flash);
        Assert.AreEqual(0, ReadAll(again).Count);
        Assert.AreEqual(1u, again.NextSequence);
        Assert.AreEqual(1u, Append(again, 9), "appends continue on a fresh page");
        Assert.AreEqual(1, ReadAll(Boot(flash)).Count);
    }

    // The heart of the argument: cut power at every byte of a record write, reboot, and check that
    // exactly the committed records come back, nothing torn, and the log keeps working.
    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void A_power_cut_at_any_byte_of_a_record_loses_only_that_record()
    {
        var baseFlash = new ScenarioFlash(256, 4);
        PersistentEventLog baseLog = Boot(baseFlash);
        for (int n = 1; n <= 3; n++)
        {
            Append(baseLog, n);
        }

        ScenarioFlash probe = baseFlash.Clone();
        probe.ResetCounters();
        PersistentEventLog probeLog = Boot(probe);
        Append(probeLog, 4);
        long recordBytes = probe.BytesTouched;
        Assert.AreEqual(EventRecordFormat.RecordLength(7), (int)recordBytes, "one append programs exactly one record");

        for (long cut = 0; cut <= recordBytes; cut++)
        {
            ScenarioFlash flash = baseFlash.Clone();
            PersistentEventLog log = Boot(flash);
            flash.CutAfterBytes(cut);
            Append(log, 4);
            flash.PowerOn();

            PersistentEventLog recovered = Boot(flash);
            List<uint> records = ReadAll(recovered);
            uint expectedLast = cut == recordBytes ? 4u : 3u;
            Assert.AreEqual(1u, records[0], $"cut {cut}: no committed record lost");
            Assert.AreEqual(expectedLast, records[^1], $"cut {cut}: the record counts only once its commit marker is complete");
            Assert.AreEqual(expectedLast + 1, recovered.NextSequence, $"cut {cut}");
            CheckRecord(recovered, 3);

            // The log goes on, and a second boot agrees.
            Assert.AreEqual(expectedLast + 1, Append(recovered, 5), $"cut {cut}: append after recovery");
            PersistentEventLog second = Boot(flash);
            Assert.AreEqual(expectedLast + 2, second.NextSequence, $"cut {cut}: second recovery");
            CheckRecord(second, expectedLast + 1);
        }
    }

    // Cut at every byte while the log moves to a new page: retiring the oldest page, erasing it,
    // writing its header and the first record in it.
    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void A_power_cut_at_any_byte_across_a_page_erase_never_loses_unreclaimed_records()
    {
        var baseFlash = new ScenarioFlash(256, 3);
        PersistentEventLog baseLog = Boot(baseFlash);
        int n = 0;
        // Fill until the next append must reclaim the oldest page.
        while (true)
        {
            ScenarioFlash trial = baseFlash.Clone();
            PersistentEventLog trialLog = Boot(trial);
            trial.ResetCounters();
            Append(trialLog, n + 1);
            if (trialLog.FirstAvailableSequence > baseLog.FirstAvailableSequence)
            {
                break;
            }

            n++;
            Append(baseLog, n);
        }

        uint firstBefore = baseLog.FirstAvailableSequence;
        uint lastBefore = baseLog.NextSequence - 1;
        ScenarioFlash probe = baseFlash.Clone();
        PersistentEventLog probeLog = Boot(probe);
        probe.ResetCounters();
        Append(probeLog, n + 1);
        long total = probe.BytesTouched;
        uint firstAfter = probeLog.FirstAvailableSequence;
        Assert.IsTrue(total > 256, "the append erases a page");
        Assert.IsTrue(firstAfter > firstBefore, "the reclaimed page held the oldest records");

        for (long cut = 0; cut <= total; cut++)
        {
            ScenarioFlash flash = baseFlash.Clone();
            PersistentEventLog log = Boot(flash);
            flash.CutAfterBytes(cut);
            Append(log, n + 1);
            flash.PowerOn();

            PersistentEventLog recovered = Boot(flash);
            List<uint> records = ReadAll(recovered);
            uint expectedLast = cut == total ? lastBefore + 1 : lastBefore;
            Assert.AreEqual(expectedLast, records[^1], $"cut {cut} of {total}");
            Assert.IsTrue(records[0] == firstBefore || records[0] == firstAfter, $"cut {cut}: first {records[0]} is the old or the new oldest");
            CheckRecord(recovered, lastBefore);

            Assert.AreEqual(expectedLast + 1, Append(recovered, n + 2), $"cut {cut}: append after recovery");
            List<uint> afterSecondBoot = ReadAll(Boot(flash));
            Assert.AreEqual(expectedLast + 1, afterSecondBoot[^1], $"cut {cut}: second recovery");
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void A_torn_page_header_makes_the_page_count_as_unused()
    {
        var flash = new ScenarioFlash(256, 4);
        PersistentEventLog log = Boot(flash);
        Append(log, 1);
        // Tear the page magic of page 0 (bits can only be cleared).
        flash[12] = 0x00;
        PersistentEventLog again = Boot(flash);
        Assert.AreEqual(0, ReadAll(again).Count);
        Assert.AreEqual(1u, Append(again, 1));
        Assert.AreEqual(1, ReadAll(Boot(flash)).Count);
    }

    private static void CheckRecord(PersistentEventLog log, uint sequence)
    {
        var r = new EventRecord();
        Assert.IsTrue(log.TryRead(sequence, r), $"record {sequence} readable");
        Assert.AreEqual(EventType.VmState, r.Type);
        Assert.IsTrue(r.GetDetail().StartsWith("detail"), $"record {sequence} detail intact: {r.GetDetail()}");
        Assert.AreEqual(r.SubjectId * 7, (uint)r.Value);
    }

    [TestMethod]
    [Verifies("IslDsgn~event-log-durability~1")]
    public void A_record_is_committed_only_with_its_length_magic_detail_length_crc_and_marker_intact()
    {
        byte[] detail = Encoding.ASCII.GetBytes("vm web");
        byte[] good = new byte[EventRecordFormat.MaxRecordBytes + 8];
        int length = EventRecordFormat.Encode(good, 7, 123456789L, 3, EventType.VmState, 2, 3, detail, detail.Length);
        Assert.IsTrue(EventRecordFormat.IsCommitted(good, length));

        byte[] Damaged(System.Action<byte[]> damage)
        {
            byte[] copy = (byte[])good.Clone();
            damage(copy);
            return copy;
        }

        Assert.IsFalse(EventRecordFormat.IsCommitted(good, EventRecordFormat.MinRecordBytes - 1), "shorter than any record");
        Assert.IsFalse(EventRecordFormat.IsCommitted(good, EventRecordFormat.MaxRecordBytes + 4), "longer than any record");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => b[0] ^= 0xFF), length), "record magic");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => EventRecordFormat.WriteU16(b, 2, (ushort)(length + 4))), length), "length field");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => b[22] = 200), length), "detail length beyond the limit");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => b[22] = 20), length), "detail length that does not give the record length");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => b[length - 1] ^= 0x01), length), "commit marker (a torn write)");
        Assert.IsFalse(EventRecordFormat.IsCommitted(Damaged(b => b[30] ^= 0x01), length), "CRC over the fixed part");
    }
}
