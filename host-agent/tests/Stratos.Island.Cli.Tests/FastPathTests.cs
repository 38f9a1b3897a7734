using System.Collections;
using System.IO;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Cli.Tests;

/// <summary>`vm list` without System.CommandLine must behave exactly like the full parser, and leave
/// every other spelling to it.</summary>
[TestClass]
public sealed class FastPathTests
{
    private static ApiDouble _api = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _) => _api = await ApiDouble.StartAsync();

    [ClassCleanup]
    public static async Task StopAsync() => await _api.DisposeAsync();

    private static (int? Exit, string Out, string Err) Fast(string[] args, Hashtable env, bool terminal)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int? exit = FastPath.TryRun(args, stdout, stderr, env, terminal);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<(int Exit, string Out, string Err)> Full(string[] args, Hashtable env, bool terminal)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await Program.RunAsync(args, stdout, stderr, env, terminal);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [TestMethod]
    [DataRow(new[] { "vm", "list" }, false)]
    [DataRow(new[] { "vm", "list" }, true)]
    [DataRow(new[] { "vm", "list", "--no-color" }, true)]
    [DataRow(new[] { "-o", "json", "vm", "list" }, false)]
    [DataRow(new[] { "vm", "list", "--output", "table", "-q" }, false)]
    [DataRow(new[] { "vm", "--quiet", "list", "--timeout", "2.5" }, false)]
    [DataRow(new[] { "vm", "list", "--timeout", "0" }, false)]
    public async Task The_fast_path_prints_what_the_full_parser_prints(string[] args, bool terminal)
    {
        var env = new Hashtable { ["ISLAND_SOCKET"] = _api.Socket };
        var fast = Fast(args, env, terminal);
        var full = await Full(args, env, terminal);

        Assert.AreEqual(full.Exit, fast.Exit);
        Assert.AreEqual(full.Out, fast.Out);
        Assert.AreEqual(full.Err, fast.Err);
        StringAssert.Contains(fast.Out, "web");
    }

    [TestMethod]
    public async Task An_agent_that_is_not_running_gets_the_same_one_line_error_and_exit_code()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-agent-" + System.Guid.NewGuid().ToString("N")[..8] + ".sock");
        var env = new Hashtable();
        string[] args = { "vm", "list", "--socket", missing };
        var fast = Fast(args, env, false);
        var full = await Full(args, env, false);

        Assert.AreEqual(ExitCodes.FromStatus(Grpc.GrpcStatusCode.Unavailable), fast.Exit);
        Assert.AreEqual(full.Exit, fast.Exit);
        Assert.AreEqual(full.Err, fast.Err);
        StringAssert.Contains(fast.Err, "the agent is not running (no socket at " + missing + ")");
    }

    [TestMethod]
    [DataRow(new[] { "vm", "list", "--help" })]
    [DataRow(new[] { "vm", "list", "-o", "yaml" })]
    [DataRow(new[] { "vm", "list", "--output=json" })]
    [DataRow(new[] { "vm", "list", "-o" })]
    [DataRow(new[] { "vm", "list", "-o", "json", "-o", "table" })]
    [DataRow(new[] { "vm", "list", "--timeout", "soon" })]
    [DataRow(new[] { "vm", "list", "extra" })]
    [DataRow(new[] { "vm", "show", "web" })]
    [DataRow(new[] { "list", "vm" })]
    [DataRow(new[] { "vm" })]
    [DataRow(new string[0])]
    public void Every_other_spelling_is_left_to_the_full_parser(string[] args)
    {
        var (exit, output, error) = Fast(args, new Hashtable { ["ISLAND_SOCKET"] = _api.Socket }, false);

        Assert.IsNull(exit);
        Assert.AreEqual(string.Empty, output + error);
    }
}
