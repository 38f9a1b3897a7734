using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.Agent.Link;
using CodecHello = Stratos.Island.Codec.Link.Hello;

namespace Stratos.Island.Agent.Tests;

[TestClass]
public sealed class WireTextTests
{
    [TestMethod]
    public void Text_is_cut_to_the_codec_limit_in_utf8_bytes_never_inside_a_character()
    {
        string board = new string('b', 31) + "é";   // 33 bytes: the é does not fit whole
        Assert.AreEqual(new string('b', 31), WireText.Fit(board, CodecHello.BoardIdMaxLength));
        Assert.AreEqual("short", WireText.Fit("short", CodecHello.BoardIdMaxLength));

        string emoji = new string('x', 30) + "\U0001F600";   // a surrogate pair of 4 bytes at 30..33
        string cut = WireText.Fit(emoji, CodecHello.BoardIdMaxLength);
        Assert.AreEqual(new string('x', 30), cut, "the pair is dropped whole");
        Assert.IsLessThanOrEqualTo(CodecHello.BoardIdMaxLength, Encoding.UTF8.GetByteCount(cut));
    }

    [TestMethod]
    public void Fits_counts_bytes_not_characters()
    {
        Assert.IsTrue(WireText.Fits(new string('a', 64), 64));
        Assert.IsFalse(WireText.Fits(new string('a', 63) + "é", 64));
    }
}
