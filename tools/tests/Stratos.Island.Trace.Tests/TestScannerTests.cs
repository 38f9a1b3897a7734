using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Trace.Tests;

/// <summary>A stand-in for [Verifies], so that this assembly names no real requirement.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SampleTagAttribute : Attribute
{
    public SampleTagAttribute(params string[] tags) => Tags = tags;

    public string[] Tags { get; }
}

/// <summary>
/// Stands in for MSTest's [TestMethod]: the scanner takes any attribute named *TestMethodAttribute
/// (MSTest's and derived ones), and these sample methods must never run.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SampleTestMethodAttribute : Attribute
{
}

/// <summary>Methods the scanner reads from this assembly's metadata.</summary>
public sealed class SampleTests
{
    [SampleTestMethod]
    [SampleTag("IslDsgn~one~1")]
    public void One_tag() { }

    [SampleTestMethod]
    [SampleTag("IslDsgn~two~1", "IslProd~three~2")]
    [SampleTag("IslDsgn~four~1")]
    public System.Threading.Tasks.Task Several_tags_on_an_async_method() => System.Threading.Tasks.Task.CompletedTask;

    [SampleTag("IslDsgn~one~1")]
    public void Not_a_test() { }

    [SampleTestMethod]
    public void No_tag() { }
}

[TestClass]
public sealed class TestScannerTests
{
    private static readonly string SampleAttribute = typeof(SampleTagAttribute).FullName!;

    [TestMethod]
    public void Tags_are_read_from_compiled_metadata_without_loading_the_assembly()
    {
        var errors = new List<string>();
        var tests = TestScanner.Scan(typeof(SampleTests).Assembly.Location, errors, SampleAttribute);

        var byName = tests.ToDictionary(t => t.MethodName);
        Assert.AreEqual(2, tests.Count, string.Join(", ", tests.Select(t => t.MethodName)));
        CollectionAssert.AreEqual(new[] { "IslDsgn~one~1" }, byName["One_tag"].Tags.ToArray());
        CollectionAssert.AreEquivalent(new[] { "IslDsgn~two~1", "IslProd~three~2", "IslDsgn~four~1" },
            byName["Several_tags_on_an_async_method"].Tags.ToArray());
        Assert.AreEqual("Stratos.Island.Trace.Tests.SampleTests.One_tag", byName["One_tag"].FullName);
        Assert.AreEqual("Stratos.Island.Trace.Tests", byName["One_tag"].Project);
        Assert.AreEqual("Stratos.Island.Trace.Tests: Stratos.Island.Trace.Tests.SampleTests.Not_a_test has [Verifies] but is not a [TestMethod]",
            errors.Single());
    }

    [TestMethod]
    public void Trx_outcomes_are_combined_per_method_failed_first()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
            XElement Unit(string id, string cls, string name) =>
                new(ns + "UnitTest", new XAttribute("id", id), new XElement(ns + "TestMethod", new XAttribute("className", cls), new XAttribute("name", name)));
            XElement Result(string id, string outcome) => new(ns + "UnitTestResult", new XAttribute("testId", id), new XAttribute("outcome", outcome));
            var doc = new XDocument(new XElement(ns + "TestRun",
                new XElement(ns + "Results", Result("a1", "Passed"), Result("a2", "Failed"), Result("b", "Passed"), Result("c", "NotExecuted")),
                new XElement(ns + "TestDefinitions", Unit("a1", "N.C", "Rows"), Unit("a2", "N.C", "Rows (2)"), Unit("b", "N.C", "Plain"), Unit("c", "N.C", "Skipped"))));
            string path = Path.Combine(dir, "run.trx");
            doc.Save(path);

            var outcomes = TrxResults.Read(new[] { path });

            Assert.AreEqual("Failed", outcomes["N.C.Rows"]);
            Assert.AreEqual("Passed", outcomes["N.C.Plain"]);
            Assert.AreEqual("NotExecuted", outcomes["N.C.Skipped"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Cobertura_reports_of_one_assembly_are_merged_line_by_line()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cov-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The two reports name the same file relative to different source roots.
            XElement Report(string root, string file, params XElement[] lines) => new("coverage",
                new XElement("sources", new XElement("source", root)),
                new XElement("packages", new XElement("package", new XAttribute("name", "Core"),
                    new XElement("classes", new XElement("class", new XAttribute("filename", file), new XElement("lines", lines))))));
            XElement Line(int n, int hits, string? condition = null)
            {
                var e = new XElement("line", new XAttribute("number", n), new XAttribute("hits", hits));
                if (condition != null)
                    e.Add(new XAttribute("condition-coverage", condition));
                return e;
            }
            Report("/repo/", "src/core/a.cs", Line(1, 1, "50% (1/2)"), Line(2, 0)).Save(Path.Combine(dir, "a.xml"));
            Report("/repo/src/", "core/a.cs", Line(1, 1, "100% (2/2)"), Line(2, 3), Line(3, 0, "0% (0/4)")).Save(Path.Combine(dir, "b.xml"));

            var figure = CoberturaReader.Read(new[] { Path.Combine(dir, "a.xml"), Path.Combine(dir, "b.xml") },
                new HashSet<string> { "Core" }).Single();

            Assert.AreEqual(("Core", 2, 6, 2, 3), (figure.Module, figure.BranchesCovered, figure.BranchesValid, figure.LinesCovered, figure.LinesValid));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
