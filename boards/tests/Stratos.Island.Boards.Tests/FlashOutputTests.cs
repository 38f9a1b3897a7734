using System.IO;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Boards.Flashing;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class FlashOutputTests
{
    [TestMethod]
    public void Long_copy_on_a_terminal_draws_a_bar_that_ends_with_a_newline()
    {
        var text = new StringWriter();
        var output = new TextFlashOutput(text, terminal: true);
        output.Progress(1 << 20, 2 << 20);
        output.Progress(1 << 20, 2 << 20);
        output.Progress(2 << 20, 2 << 20);
        string drawn = text.ToString();
        StringAssert.StartsWith(drawn, "\r[###############               ] 50% 1024/2048 KiB\r[");
        Assert.AreEqual(2, drawn.Split('\r').Length - 1, "an unchanged percentage is not redrawn");
        StringAssert.EndsWith(drawn.TrimEnd('\r', '\n') + "\n", "100% 2048/2048 KiB\n");
    }

    [TestMethod]
    public void Short_copies_and_piped_output_get_no_bar()
    {
        var piped = new StringWriter();
        new TextFlashOutput(piped, terminal: false).Progress(5 << 20, 10 << 20);
        var small = new StringWriter();
        new TextFlashOutput(small, terminal: true).Progress(1000, 2000);
        Assert.AreEqual("", piped.ToString());
        Assert.AreEqual("", small.ToString());
    }
}
