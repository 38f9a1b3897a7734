using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Agent.Vmm.Tests;

[TestClass]
public sealed class GuestProtocolTests
{
    [TestMethod]
    [Verifies("IslDsgn~guest-line-protocol~1")]
    public void Heartbeat_and_checkpoint_lines_carry_their_numbers()
    {
        Assert.IsTrue(GuestProtocol.TryParse("HB 42", out var hb));
        Assert.AreEqual(GuestMessageKind.Heartbeat, hb.Kind);
        Assert.AreEqual(42u, hb.Sequence);
        Assert.IsTrue(GuestProtocol.TryParse("CP 7 4294967295", out var cp));
        Assert.AreEqual(GuestMessageKind.Checkpoint, cp.Kind);
        Assert.AreEqual(7u, cp.CheckpointId);
        Assert.AreEqual(uint.MaxValue, cp.Sequence);
    }

    [TestMethod]
    public void Text_lines_keep_their_text()
    {
        Assert.IsTrue(GuestProtocol.TryParse("READY rate=100 cps=1,2 emitting=1", out var ready));
        Assert.AreEqual(GuestMessageKind.Ready, ready.Kind);
        Assert.AreEqual("1,2", GuestProtocol.ReadyValue(ready.Text, "cps"));
        Assert.IsNull(GuestProtocol.ReadyValue(ready.Text, "missing"));
        Assert.IsTrue(GuestProtocol.TryParse("ACK rate 50", out var ack));
        Assert.AreEqual(new GuestMessage(GuestMessageKind.Ack, 0, 0, "rate 50"), ack);
        Assert.IsTrue(GuestProtocol.TryParse("ERR unknown command: x", out var err));
        Assert.AreEqual(GuestMessageKind.Error, err.Kind);
        Assert.IsTrue(GuestProtocol.TryParse("PANIC crash command", out var panic));
        Assert.AreEqual("crash command", panic.Text);
    }

    [TestMethod]
    [DataRow("reboot")]
    [DataRow("poweroff")]
    [DataRow("stop")]
    public void A_shutdown_announcement_names_what_comes(string what)
    {
        Assert.IsTrue(GuestProtocol.TryParse("SHUTDOWN " + what, out var message));
        Assert.AreEqual(GuestMessageKind.Shutdown, message.Kind);
        Assert.AreEqual(what, message.Text);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("HB")]
    [DataRow("HB ")]
    [DataRow("HB  1")]
    [DataRow("HB -1")]
    [DataRow("HB +1")]
    [DataRow("HB 1 2")]
    [DataRow("HB 4294967296")]
    [DataRow("hb 1")]
    [DataRow("CP 1")]
    [DataRow("CP 1 x")]
    [DataRow("CP 1  2")]
    [DataRow("READY rate")]
    [DataRow("ACK")]
    [DataRow("PANIC")]
    [DataRow("HB 1\u0001")]
    [DataRow("hello world")]
    [DataRow("SHUTDOWN")]
    [DataRow("SHUTDOWN halt")]
    [DataRow("SHUTDOWN reboot now")]
    [Verifies("IslDsgn~guest-line-protocol~1")]
    public void Malformed_lines_are_rejected(string line)
    {
        Assert.IsFalse(GuestProtocol.TryParse(line, out _), $"'{line}' should be malformed");
    }

    [TestMethod]
    public void Commands_with_line_breaks_or_over_the_limit_are_refused()
    {
        var withBreak = Assert.ThrowsExactly<ArgumentException>(() => GuestProtocol.ValidateCommand("rate 1\nhang"));
        Assert.Contains("offset 6", withBreak.Message);
        Assert.ThrowsExactly<ArgumentException>(() => GuestProtocol.ValidateCommand(""));
        var tooLong = Assert.ThrowsExactly<ArgumentException>(() => GuestProtocol.ValidateCommand(new string('a', GuestProtocol.MaxLineChars + 1)));
        Assert.Contains("121 characters", tooLong.Message);
        GuestProtocol.ValidateCommand("cps 1,2,3");
    }
}
