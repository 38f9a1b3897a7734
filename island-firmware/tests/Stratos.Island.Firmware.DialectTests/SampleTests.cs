using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Firmware.DialectTests;

// Proves the guard itself: it names every construct of the deliberately bad samples
// (island-firmware/tests/dialect-samples) and accepts the small dialect-correct sample.
[TestClass]
public sealed class SampleTests
{
    private static readonly AllowList Allow = AllowList.Load(RepoLayout.AllowListPath);

    private static IReadOnlyList<DialectViolation> BadNetStandard =>
        DialectGuard.Inspect(RepoLayout.SampleAssembly("BadSamples", "netstandard2.0"), Allow);

    private static IReadOnlyList<DialectViolation> BadNet =>
        DialectGuard.Inspect(RepoLayout.SampleAssembly("BadSamples.Net", "net10.0"), Allow);

    private static void AssertReported(IReadOnlyList<DialectViolation> violations, string fragment, string user)
    {
        bool found = violations.Any(v => v.ToString().Contains(fragment, System.StringComparison.Ordinal) &&
            v.UsedBy.Any(u => u.Contains(user, System.StringComparison.Ordinal)));
        Assert.IsTrue(found, "expected a violation mentioning '" + fragment + "' used by '" + user + "', got:\n" +
            string.Join("\n", violations.Select(v => v.ToString())));
    }

    [TestMethod]
    public void Generic_list_is_reported_with_the_method_that_uses_it()
    {
        AssertReported(BadNetStandard, "System.Collections.Generic.List`1<int>", "UsesGenericList::Sum");
    }

    [TestMethod]
    public void Generic_method_declaration_and_its_call_are_reported()
    {
        AssertReported(BadNetStandard, "generic parameter declared", "UsesGenericMethod::FirstOrSelf");
        AssertReported(BadNetStandard, "UsesGenericMethod::FirstOrSelf<int>", "UsesGenericMethod::Call");
    }

    [TestMethod]
    public void Multi_dimensional_array_is_reported()
    {
        AssertReported(BadNetStandard, "multi-dimensional array int[,]", "UsesMultiDimensionalArray");
    }

    [TestMethod]
    public void Lock_statement_is_reported_as_Monitor_Enter_with_ref_bool()
    {
        AssertReported(BadNetStandard, "System.Threading.Monitor::Enter(object,bool&)", "UsesLock::Increment");
        DialectViolation violation = BadNetStandard.First(v => v.Item.StartsWith("System.Threading.Monitor::Enter", System.StringComparison.Ordinal));
        StringAssert.Contains(violation.Advice ?? "", "Interlocked");
    }

    [TestMethod]
    public void Async_method_and_Task_are_reported()
    {
        AssertReported(BadNetStandard, "System.Threading.Tasks.Task`1<int>", "UsesAsync::DelayedAnswer");
        AssertReported(BadNetStandard, "System.Runtime.CompilerServices.AsyncTaskMethodBuilder`1", "UsesAsync");
    }

    [TestMethod]
    public void String_interpolation_on_net10_is_reported_as_DefaultInterpolatedStringHandler()
    {
        AssertReported(BadNet, "System.Runtime.CompilerServices.DefaultInterpolatedStringHandler", "UsesInterpolation::Describe");
        AssertReported(BadNet, "AppendFormatted<int>", "UsesInterpolation::Describe");
    }

    [TestMethod]
    public void String_interpolation_on_netstandard_is_reported_as_a_missing_String_Format_overload()
    {
        AssertReported(BadNetStandard, "System.String::Format(string,object)", "UsesNetStandardInterpolation::Describe");
    }

    [TestMethod]
    public void Field_like_event_is_reported_as_generic_Interlocked_CompareExchange()
    {
        AssertReported(BadNetStandard, "System.Threading.Interlocked::CompareExchange<Stratos.Island.DialectSamples.Bad.Changed>", "UsesFieldLikeEvent::add_OnChanged");
    }

    [TestMethod]
    public void Span_of_byte_is_reported()
    {
        AssertReported(BadNet, "System.Span`1<byte>", "UsesSpan::CountZeros");
    }

    [TestMethod]
    public void Violations_are_all_collected_not_only_the_first()
    {
        string[] classes = ["UsesGenericList", "UsesGenericMethod", "UsesMultiDimensionalArray", "UsesLock", "UsesAsync", "UsesNetStandardInterpolation", "UsesFieldLikeEvent"];
        foreach (string name in classes)
        {
            Assert.IsTrue(BadNetStandard.Any(v => v.UsedBy.Any(u => u.Contains(name, System.StringComparison.Ordinal))),
                name + " missing from the report");
        }
    }

    [TestMethod]
    public void Dialect_correct_sample_passes_the_guard()
    {
        IReadOnlyList<DialectViolation> violations = DialectGuard.Inspect(RepoLayout.SampleAssembly("GoodSample", "netstandard2.0"), Allow);
        Assert.AreEqual(0, violations.Count, string.Join("\n", violations.Select(v => v.ToString())));
    }

    [TestMethod]
    public void Removing_an_allow_list_entry_makes_the_good_sample_fail_where_it_is_used()
    {
        string[] lines = System.IO.File.ReadAllLines(RepoLayout.AllowListPath)
            .Where(l => !l.StartsWith("System.Array::Copy(System.Array,int,System.Array,int,int)", System.StringComparison.Ordinal))
            .ToArray();
        AllowList reduced = AllowList.Parse(lines, "reduced");
        IReadOnlyList<DialectViolation> violations = DialectGuard.Inspect(RepoLayout.SampleAssembly("GoodSample", "netstandard2.0"), reduced);
        AssertReported(violations, "System.Array::Copy(System.Array,int,System.Array,int,int)", "GoodCode::Accept");
        Assert.HasCount(1, violations);
    }

    [TestMethod]
    public void Build_only_entries_are_rejected_when_code_uses_them()
    {
        string[] lines = System.IO.File.ReadAllLines(RepoLayout.AllowListPath)
            .Select(l => l == "System.Threading.Thread::Sleep(int)" ? "" : l)
            .Append("[build-only test]")
            .Append("System.Threading.Thread::Sleep(int)")
            .ToArray();
        AllowList moved = AllowList.Parse(lines, "moved");
        IReadOnlyList<DialectViolation> violations = DialectGuard.Inspect(RepoLayout.SampleAssembly("GoodSample", "netstandard2.0"), moved);
        AssertReported(violations, "System.Threading.Thread::Sleep(int)", "GoodCode::Run");
        StringAssert.Contains(violations[0].Problem, "build-only");
    }

    [TestMethod]
    public void Samples_were_built_for_the_targets_the_tests_expect()
    {
        Assert.IsTrue(File.Exists(RepoLayout.SampleAssembly("BadSamples", "netstandard2.0")), "BadSamples not built");
        Assert.IsTrue(File.Exists(RepoLayout.SampleAssembly("BadSamples.Net", "net10.0")), "BadSamples.Net not built");
    }
}
