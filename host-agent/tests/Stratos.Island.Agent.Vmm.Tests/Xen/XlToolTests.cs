using System;
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

    [TestMethod]
    public async Task A_successful_command_returns_its_output()
    {
        var tool = new XlTool(xenstoreRead: "/bin/echo");
        Assert.AreEqual("/local/domain/1/console/tty", await tool.ReadAsync("/local/domain/1/console/tty"));
    }
}
