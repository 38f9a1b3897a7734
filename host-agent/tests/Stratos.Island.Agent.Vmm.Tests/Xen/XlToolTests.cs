using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm.Xen;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

// XlTool's error paths with real processes. xl itself needs a Xen dom0 (the Xen machine tests);
// here /bin/sh stands in for the command to fail in each way xl can.
[TestClass]
public sealed class XlToolTests
{
    [TestMethod]
    public async Task A_missing_tool_is_named_with_a_hint()
    {
        var tool = new XlTool(xl: "/nonexistent/xl");
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => tool.ListAsync());
        Assert.AreEqual(VmmErrorKind.XenToolFailed, e.Kind);
        StringAssert.Contains(e.Message, "/nonexistent/xl");
        StringAssert.Contains(e.Message, "dom0");
    }

    [TestMethod]
    public async Task A_failing_command_reports_its_exit_status_and_stderr()
    {
        var tool = new XlTool();
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() =>
            tool.RunAsync("/bin/sh", ["-c", "echo 'libxl: error: domain g1 already exists' >&2; exit 3"]));
        StringAssert.Contains(e.Message, "exit status 3");
        StringAssert.Contains(e.Message, "already exists");
    }

    [TestMethod]
    public async Task A_command_past_its_time_out_is_killed_and_reported()
    {
        var tool = new XlTool(timeout: TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => tool.RunAsync("/bin/sh", ["-c", "sleep 30"]));
        StringAssert.Contains(e.Message, "did not finish");
        Assert.IsTrue(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task Output_that_is_not_a_domain_list_is_an_error()
    {
        var tool = new XlTool(xl: "/bin/echo");
        var e = await Assert.ThrowsExactlyAsync<VmmException>(() => tool.ListAsync());
        StringAssert.Contains(e.Message, "not a domain list");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc")]
    private static extern int gettid();

    // The agent runs its threads at nice -10 (above guests). Its toolstack commands build guests
    // (`xl create` loads a kernel and an initramfs) and must not compete with its link thread: they
    // run at nice 0. Here a thread of the test raised as the agent's are stands in for the agent.
    private static (string Output, Exception? Error) RunRaised(XlTool tool, string program, string[] arguments)
    {
        string output = "";
        Exception? error = null;
        bool raised = false;
        var thread = new Thread(() =>
        {
            raised = setpriority(0, gettid(), -10) == 0;
            if (!raised)
                return;
            try
            {
                output = tool.RunAsync(program, arguments).GetAwaiter().GetResult().Trim();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        Assert.IsTrue(thread.Join(TimeSpan.FromSeconds(30)), "the command did not return");
        if (!raised)
            Assert.Inconclusive("raising a thread to nice -10 needs root or CAP_SYS_NICE (the agent's own raise does too)");
        return (output, error);
    }

    [TestMethod]
    public void Commands_run_at_guest_priority_when_the_agent_runs_raised()
    {
        // Field 19 of /proc/PID/stat is the nice value; the command line has no spaces in its name.
        var (output, error) = RunRaised(new XlTool(), "/bin/sh", ["-c", "cut -d ' ' -f 19 /proc/self/stat"]);
        Assert.IsNull(error, error?.Message);
        Assert.AreEqual("0", output);
    }

    [TestMethod]
    public void A_missing_tool_at_raised_priority_is_named_with_the_hint_too()
    {
        var (_, error) = RunRaised(new XlTool(xl: "/nonexistent/xl"), "/nonexistent/xl", ["list"]);
        var e = error as VmmException;
        Assert.IsNotNull(e, error?.ToString() ?? "no error");
        StringAssert.Contains(e.Message, "'/nonexistent/xl' cannot be run");
        StringAssert.Contains(e.Message, "dom0");
    }

    [TestMethod]
    public async Task A_successful_command_returns_its_output()
    {
        var tool = new XlTool(xenstoreRead: "/bin/echo");
        Assert.AreEqual("/local/domain/1/console/tty", await tool.ReadAsync("/local/domain/1/console/tty"));
    }
}
