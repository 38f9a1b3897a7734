// island-sim's hardware watchdog counts the main loop's silence, not the time the host left the
// whole process unscheduled (WatchdogSilence): the arithmetic, wake-up by wake-up.
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Sim.Tests;

[TestClass]
public sealed class WatchdogSilenceTests
{
    [TestMethod]
    public void A_stuck_main_loop_with_the_watchdog_waking_on_time_counts_all_its_silence()
    {
        var silence = new WatchdogSilence();
        long counted = 0;
        for (long t = 10; t <= 500; t += 10)
        {
            counted = silence.Observe(1234, t, oversleepMs: 2);
        }

        Assert.AreEqual(500L, counted);
        Assert.AreEqual(0L, silence.StarvedMs);
    }

    [TestMethod]
    public void Time_the_whole_process_was_not_scheduled_does_not_count()
    {
        var silence = new WatchdogSilence();
        Assert.AreEqual(10L, silence.Observe(1234, 10, 0));
        // Every thread stopped for 700 ms (an overloaded host): the watchdog thread wakes 700 ms late.
        Assert.AreEqual(10L, silence.Observe(1234, 710, 700));
        Assert.AreEqual(700L, silence.StarvedMs);
        // The main loop is still silent after the stall: from here its silence counts again.
        Assert.AreEqual(20L, silence.Observe(1234, 720, 0));
        Assert.AreEqual(510L, silence.Observe(1234, 1210, 0), "a main loop stuck after the stall still reaches a 500 ms timeout");
    }

    [TestMethod]
    public void Ordinary_lateness_counts_as_silence()
    {
        var silence = new WatchdogSilence();
        Assert.AreEqual(30L, silence.Observe(1, 30, WatchdogSilence.StarvationSlackMs));
        Assert.AreEqual(0L, silence.StarvedMs);
        Assert.AreEqual(60L - (WatchdogSilence.StarvationSlackMs + 1), silence.Observe(1, 60, WatchdogSilence.StarvationSlackMs + 1));
    }

    [TestMethod]
    public void A_kick_starts_the_count_afresh_and_no_stall_is_credited_beyond_the_silence()
    {
        var silence = new WatchdogSilence();
        silence.Observe(1, 300, 250);
        Assert.AreEqual(250L, silence.StarvedMs);
        // The next kick: its silence is measured from it; the stall before it is not credited.
        Assert.AreEqual(10L, silence.Observe(2, 10, 0));
        Assert.AreEqual(0L, silence.StarvedMs);
        // A 900 ms stall that began before the kick 40 ms ago: at most those 40 ms are credited.
        Assert.AreEqual(0L, silence.Observe(3, 40, 900));
        Assert.AreEqual(40L, silence.StarvedMs);
        Assert.AreEqual(10L, silence.Observe(3, 50, 0));
    }
}
