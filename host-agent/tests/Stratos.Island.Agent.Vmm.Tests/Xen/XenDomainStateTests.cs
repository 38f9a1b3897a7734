using System;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Vmm.Xen;
using Stratos.Island.Codec;

namespace Stratos.Island.Agent.Vmm.Tests.Xen;

[TestClass]
public sealed class XenDomainStateTests
{
    // Captured from `xl list` in dom0 of the virtual board's Xen machine (Xen 4.17).
    private const string Listing =
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n" +
        "Domain-0                                     0  1024     2     r-----      17.3\n" +
        "g1                                           1   128     1     -b----       0.9\n" +
        "g2                                           2   128     1     --p---       0.1\n" +
        "g3                                           3   128     1     ---sc-       1.2\n" +
        "g4                                           4   128     1     ---s--       0.4\n" +
        "g5                                           5   128     1     -----d       0.0\n";

    [TestMethod]
    public void Each_row_of_xl_list_is_read_with_its_state()
    {
        var rows = XlList.Parse(Listing);
        Assert.AreEqual(6, rows.Count);
        Assert.AreEqual(new XenDomainRow("Domain-0", 0, 1024, 2, XenStateFlags.Running, 17.3), rows[0]);
        Assert.AreEqual(ObservedVmState.Running, rows[1].Observed);   // blocked is alive
        Assert.AreEqual(ObservedVmState.Paused, rows[2].Observed);
        Assert.AreEqual(XenStateFlags.Shutdown | XenStateFlags.Crashed, rows[3].Flags);
        Assert.AreEqual(ObservedVmState.Crashed, rows[3].Observed);   // crash wins over shutdown
        Assert.AreEqual(ObservedVmState.Exited, rows[4].Observed);
        Assert.AreEqual(ObservedVmState.Exited, rows[5].Observed);
    }

    [TestMethod]
    [DataRow("g1 x 128 1 r----- 0.1", "domain id")]
    [DataRow("g1 1 128 1 r-x--- 0.1", "state")]
    [DataRow("g1 1 128 1 r---- 0.1", "state")]
    [DataRow("g1 1 128 r----- 0.1", "columns")]
    public void A_row_xl_would_not_print_is_an_error_naming_the_line(string row, string what)
    {
        var e = Assert.ThrowsExactly<FormatException>(() => XlList.Parse(row));
        StringAssert.Contains(e.Message, "line 1");
        StringAssert.Contains(e.Message, what);
    }

    [TestMethod]
    public void Flags_are_positional()
    {
        Assert.IsTrue(XlList.TryParseFlags("rbpscd", out var all));
        Assert.AreEqual(XenStateFlags.Running | XenStateFlags.Blocked | XenStateFlags.Paused | XenStateFlags.Shutdown | XenStateFlags.Crashed | XenStateFlags.Dying, all);
        Assert.IsFalse(XlList.TryParseFlags("br----", out _));
    }

    [TestMethod]
    public void Watch_lines_are_classified()
    {
        Assert.AreEqual(XenWatchKind.DomainReleased, XenWatchEvent.Parse("@releaseDomain")!.Value.Kind);
        Assert.AreEqual(XenWatchKind.DomainIntroduced, XenWatchEvent.Parse("@introduceDomain token\n")!.Value.Kind);
        var path = XenWatchEvent.Parse("/local/domain/7/control/shutdown")!.Value;
        Assert.AreEqual(XenWatchKind.DomainPath, path.Kind);
        Assert.AreEqual(7, path.DomainId);
        Assert.AreEqual("control/shutdown", path.SubPath);
        Assert.AreEqual(XenWatchKind.Other, XenWatchEvent.Parse("/local/domain/x/y")!.Value.Kind);
        Assert.IsNull(XenWatchEvent.Parse("  "));
    }
}
