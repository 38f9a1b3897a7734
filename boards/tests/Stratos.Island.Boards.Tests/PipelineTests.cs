using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Boards.Tests;

[TestClass]
public sealed class PipelineTests
{
    [TestMethod]
    public void Arithmetic_holds() => Assert.AreEqual(4, int.Parse("4", System.Globalization.CultureInfo.InvariantCulture));
}
