using System;
using System.Diagnostics;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.Link.Tests;

[TestClass]
public sealed class SchedulingPriorityTests
{
    // The raise applies to every thread of the test host (harmless: its tests only run faster under load).
    [TestMethod]
    public void A_raised_process_runs_every_thread_at_the_link_endpoint_nice_value_and_children_inherit_it()
    {
        // What the agent and island-sim do at start, seen from outside: a process whose threads are
        // at nice -10 forks children at -10 (the reason QEMU is exec'ed through nice(1): GuestScheduling).
        string? refused = null;
        int threadNice = int.MinValue;
        var thread = new Thread(() =>
        {
            refused = SchedulingPriority.RaiseProcess();
            threadNice = SchedulingPriority.CurrentThreadNice();
        });
        thread.Start();
        thread.Join();
        if (Environment.UserName != "root")
        {
            StringAssert.Contains(refused, "CAP_SYS_NICE");
            return;
        }

        Assert.IsNull(refused);
        Assert.AreEqual(SchedulingPriority.LinkEndpointNice, threadNice);
        Assert.AreEqual(SchedulingPriority.LinkEndpointNice, SchedulingPriority.CurrentThreadNice(), "every thread, not only the caller");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("nice; nice -n 10 nice");
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        Assert.AreEqual("-10\n0\n", output);
    }
}
