using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Trace.Tests;

/// <summary>
/// The trace rules on small requirement sets written to a temporary repository: each broken rule is
/// reported with a sentence naming the requirement or the test, and a complete trace has no error.
/// </summary>
[TestClass]
public sealed class TraceCheckerTests
{
    private string _repo = null!;

    [TestInitialize]
    public void CreateRepo()
    {
        _repo = Path.Combine(Path.GetTempPath(), "trace-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_repo, "src"));
        File.WriteAllText(Path.Combine(_repo, "src", "Supervision.cs"),
            "namespace X { public sealed class SupervisedEntity { public void EvaluateCycle(long t) { } } }");
    }

    [TestCleanup]
    public void DeleteRepo() => Directory.Delete(_repo, recursive: true);

    private const string Complete = """
        .. req:: IslMkt~detect~1
           :title: Faults are detected

           The system shall detect faults.

        .. req:: IslProd~alive~2
           :title: Alive supervision
           :covers: IslMkt~detect~1

           The island shall supervise.

        .. req:: IslDsgn~alive-count~1
           :title: Counting
           :covers: IslProd~alive~2
           :code: src/Supervision.cs::SupervisedEntity.EvaluateCycle
           :rationale: A rationale that
              continues on a second line.

           The island shall count.
        """;

    private static TracedTest Test(string name, params string[] tags) => new("Sample.Tests", "Sample.Tests.SupervisionTests", name, tags);

    private (List<TraceEntry> Entries, List<string> Errors) Run(string rst, List<TracedTest> tests, Dictionary<string, string> outcomes)
    {
        var readErrors = new List<string>();
        var requirements = RequirementReader.ReadFile(Path.Combine(_repo, "reqs.rst"), rst.Split('\n'), readErrors);
        var checker = new TraceChecker(_repo);
        checker.Errors.AddRange(readErrors);
        var entries = checker.Check(requirements, tests, outcomes);
        return (entries, checker.Errors);
    }

    private static Dictionary<string, string> Passed(params string[] names) =>
        names.ToDictionary(n => "Sample.Tests.SupervisionTests." + n, _ => "Passed");

    [TestMethod]
    public void A_complete_trace_has_no_error_and_every_tier_is_verified()
    {
        var (entries, errors) = Run(Complete, new() { Test("Counts", "IslDsgn~alive-count~1") }, Passed("Counts"));

        CollectionAssert.AreEqual(Array.Empty<string>(), errors);
        Assert.IsTrue(entries.All(e => e.Status == "verified"), string.Join(", ", entries.Select(e => e.Requirement.Tag + "=" + e.Status)));
        var design = entries.Single(e => e.Requirement.Tier == Tier.Design);
        Assert.AreEqual("IslProd~alive~2", design.Requirement.Covers.Single());
        Assert.AreEqual("Passed", design.Tests.Single().Outcome);
        CollectionAssert.AreEqual(new[] { "IslDsgn~alive-count~1" }, entries.Single(e => e.Requirement.Tier == Tier.Product).CoveredBy);
    }

    [TestMethod]
    public void A_test_naming_an_unknown_requirement_is_an_error()
    {
        var (_, errors) = Run(Complete, new() { Test("Counts", "IslDsgn~alive-count~1"), Test("Other", "IslDsgn~no-such-thing~1") },
            Passed("Counts", "Other"));

        Assert.AreEqual("Sample.Tests: Sample.Tests.SupervisionTests.Other verifies IslDsgn~no-such-thing~1, an unknown requirement", errors.Single());
    }

    [TestMethod]
    public void A_test_written_for_another_revision_is_a_revision_mismatch()
    {
        var (_, errors) = Run(Complete, new() { Test("Counts", "IslDsgn~alive-count~1"), Test("Old", "IslDsgn~alive-count~0") },
            Passed("Counts", "Old"));

        StringAssert.Contains(errors.Single(), "Old verifies IslDsgn~alive-count~0: revision mismatch, the requirement is at IslDsgn~alive-count~1");
    }

    [TestMethod]
    public void Covering_an_older_revision_is_a_revision_mismatch()
    {
        var (_, errors) = Run(Complete.Replace(":covers: IslProd~alive~2", ":covers: IslProd~alive~1"),
            new() { Test("Counts", "IslDsgn~alive-count~1") }, Passed("Counts"));

        StringAssert.Contains(errors.Single(), "revision mismatch: covers IslProd~alive~1 but the requirement is at IslProd~alive~2");
    }

    [TestMethod]
    public void A_design_requirement_without_a_verifying_test_is_an_error()
    {
        var (entries, errors) = Run(Complete, new(), new());

        StringAssert.Contains(errors.Single(), "IslDsgn~alive-count~1 (reqs.rst:");
        StringAssert.EndsWith(errors.Single(), "): no test verifies it");
        Assert.IsTrue(entries.All(e => e.Status == "not verified"));
    }

    [TestMethod]
    public void A_verifying_test_that_did_not_pass_leaves_the_requirement_unverified()
    {
        var tests = new List<TracedTest> { Test("Counts", "IslDsgn~alive-count~1") };

        var (_, notRun) = Run(Complete, tests, new());
        var (_, failed) = Run(Complete, tests, new() { ["Sample.Tests.SupervisionTests.Counts"] = "Failed" });

        StringAssert.EndsWith(notRun.Single(), "none of its 1 verifying tests passed in this run");
        CollectionAssert.Contains(failed, "IslDsgn~alive-count~1: verifying test Sample.Tests.SupervisionTests.Counts (Sample.Tests) failed");
    }

    [TestMethod]
    public void Uncovered_market_and_product_requirements_are_errors()
    {
        string rst = Complete + """

            .. req:: IslMkt~lonely~1
               :title: Nobody covers me

               The system shall be lonely.

            .. req:: IslProd~orphan~1
               :title: No design
               :covers: IslMkt~lonely~1

               The island shall be designed.
            """;
        var (_, errors) = Run(rst, new() { Test("Counts", "IslDsgn~alive-count~1") }, Passed("Counts"));

        Assert.AreEqual(1, errors.Count, string.Join("\n", errors));
        StringAssert.EndsWith(errors[0], "): no design requirement covers it");
        StringAssert.StartsWith(errors[0], "IslProd~orphan~1");
    }

    [TestMethod]
    public void Code_that_does_not_exist_is_named()
    {
        string rst = Complete.Replace("src/Supervision.cs::SupervisedEntity.EvaluateCycle",
            "src/Supervision.cs::SupervisedEntity.Evaluate src/Gone.cs src/Supervision.cs::Missing");
        var (_, errors) = Run(rst, new() { Test("Counts", "IslDsgn~alive-count~1") }, Passed("Counts"));

        Assert.AreEqual(3, errors.Count, string.Join("\n", errors));
        StringAssert.EndsWith(errors[0], "src/Supervision.cs declares no member Evaluate of SupervisedEntity");
        StringAssert.EndsWith(errors[1], "implementing code src/Gone.cs does not exist");
        StringAssert.EndsWith(errors[2], "src/Supervision.cs declares no type Missing");
    }

    [TestMethod]
    public void Malformed_and_duplicate_tags_are_errors()
    {
        string rst = Complete + """

            .. req:: IslDsgn~Alive_Count~1
               :title: Bad tag

               x

            .. req:: IslDsgn~alive-count~1
               :title: Twice

               y
            """;
        var (_, errors) = Run(rst, new() { Test("Counts", "IslDsgn~alive-count~1") }, Passed("Counts"));

        StringAssert.Contains(errors[0], "'IslDsgn~Alive_Count~1' is not a requirement tag");
        Assert.IsTrue(errors.Any(e => e.StartsWith("IslDsgn~alive-count is defined twice", StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [TestMethod]
    public void Options_continue_on_more_indented_lines()
    {
        var reqs = RequirementReader.ReadFile("reqs.rst", Complete.Split('\n'), new List<string>());

        var design = reqs.Single(r => r.Tier == Tier.Design);
        Assert.AreEqual("Counting", design.Title);
        CollectionAssert.AreEqual(new[] { "src/Supervision.cs::SupervisedEntity.EvaluateCycle" }, design.Code.ToArray());
    }
}
