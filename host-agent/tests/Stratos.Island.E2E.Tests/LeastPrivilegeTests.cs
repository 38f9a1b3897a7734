using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.E2E.Tests;

/// <summary>
/// Least privilege (issue 15, docs/security.md) with real processes and real second users: the
/// modes of everything island-sim and island-agent create, another local user unable to open any
/// of it, and the operator API's roles decided by the caller's SO_PEERCRED: a reader (member of
/// --api-group) runs read-only calls and gets PERMISSION_DENIED naming the method and the rule for
/// mutating ones; an admin-group member passes the check; a user in neither cannot even connect.
/// The users and groups are created once (idempotently, as system accounts) and left in place.
/// </summary>
[TestClass]
public sealed class LeastPrivilegeTests
{
    private const string ReadGroup = "stratos-test-api";
    private const string AdminGroup = "stratos-test-admin";
    private const string Reader = "stratos-test-reader";
    private const string Admin = "stratos-test-operator";
    private const string Other = "stratos-test-other";
    private const string LinkGroup = "stratos-test-link";
    private const string LinkAgent = "stratos-test-agent";

    private static readonly string Repo = RepositoryRoot.Require();
    private static readonly VirtualBoardBinaries Programs = VirtualBoardBinaries.InRepository(Repo);
    private string _root = null!;

    [ClassInitialize]
    public static void CreateUsers(TestContext _)
    {
        Assert.IsTrue(Environment.IsPrivilegedProcess, "these tests create system users and switch to them: run them as root (CI does)");
        EnsureGroup(ReadGroup);
        EnsureGroup(AdminGroup);
        EnsureUser(Reader, ReadGroup);
        EnsureUser(Admin, ReadGroup + "," + AdminGroup);
        EnsureUser(Other, null);
        EnsureGroup(LinkGroup);
        EnsureUser(LinkAgent, LinkGroup);
    }

    [TestInitialize]
    public void CreateRoot()
    {
        // World-traversable on purpose: what keeps the other users out must be the files' own modes.
        _root = Path.Combine(Path.GetTempPath(), "stratos-lp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        File.SetUnixFileMode(_root, (UnixFileMode)0x1FF);   // 0777
    }

    [TestCleanup]
    public void RemoveRoot()
    {
        Directory.Delete(_root, recursive: true);
    }

    [TestMethod]
    [Verifies("IslDsgn~private-endpoints~1")]
    public void Island_sim_creates_shared_memory_sockets_flash_and_log_for_its_owner_only()
    {
        string state = Path.Combine(_root, "island");
        using BoardProcess sim = Start(Programs.IslandSim, SimArguments());
        try
        {
            string[] created = { Path.Combine(_root, "link.shm"), Path.Combine(_root, "kick.sock"), Path.Combine(state, "control.sock"), Path.Combine(state, "flash.bin"), Path.Combine(state, "island.log") };
            WaitFor(() => created.All(File.Exists), "island-sim's files " + string.Join(", ", created));
            foreach (string path in created)
            {
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path), path);
            }

            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state), state);
            foreach (string file in new[] { created[0], created[3] })
            {
                var (status, output) = RunAs(Other, "/bin/dd", "if=" + file, "of=/dev/null", "count=1");
                Assert.AreNotEqual(0, status, $"{Other} read {file}: {output}");
                StringAssert.Contains(output, "Permission denied");
            }

            foreach (string socket in new[] { created[1], created[2] })
            {
                var (status, output) = RunAs(Other, "/usr/bin/socat", "-u", "OPEN:/dev/null", "UNIX-CONNECT:" + socket);
                Assert.AreNotEqual(0, status, $"{Other} connected to {socket}: {output}");
                StringAssert.Contains(output, "Permission denied");
            }
        }
        finally
        {
            Stop(sim);
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~private-endpoints~1")]
    public void With_a_link_group_an_unprivileged_agent_of_that_group_links_up_and_other_users_stay_out()
    {
        string state = Path.Combine(_root, "island");
        string shm = Path.Combine(_root, "link.shm");
        string kick = Path.Combine(_root, "kick.sock");
        // The agent's own files live in a directory of its user; the board key is its user's alone
        // (0600), island-sim (root) reads the same file.
        string agentDir = Path.Combine(_root, "agent");
        Directory.CreateDirectory(agentDir);
        string key = Path.Combine(agentDir, "link.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.AreEqual(0, Run("/bin/chown", new[] { "-R", LinkAgent + ":" + LinkAgent, agentDir }).Status);
        using BoardProcess sim = Start(Programs.IslandSim, SimArguments("--link-key", key, "--link-group", LinkGroup));
        BoardProcess? agent = null;
        try
        {
            WaitFor(() => File.Exists(shm) && File.Exists(kick) && File.Exists(Path.Combine(state, "control.sock")), "island-sim's shared memory and sockets");
            foreach (string path in new[] { shm, kick })
            {
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path), path);
                Assert.AreEqual(LinkGroup, Run("/usr/bin/stat", new[] { "-c", "%G", path }).Output.Trim(), path);
            }

            // Still private to everyone else: the control socket and flash stay 0600, no "other" bits anywhere.
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state, "control.sock")));
            var (readStatus, readOutput) = RunAs(Other, "/bin/dd", "if=" + shm, "of=/dev/null", "count=1");
            Assert.AreNotEqual(0, readStatus, readOutput);
            StringAssert.Contains(readOutput, "Permission denied");
            var (connectStatus, connectOutput) = RunAs(Other, "/usr/bin/socat", "-u", "OPEN:/dev/null", "UNIX-CONNECT:" + kick);
            Assert.AreNotEqual(0, connectStatus, connectOutput);
            StringAssert.Contains(connectOutput, "Permission denied");

            // A real island-agent as the unprivileged member of the group: it maps the memory,
            // connects to the kick socket and authenticates its link with the island.
            agent = Start("/usr/bin/setpriv", ["--reuid", LinkAgent, "--regid", LinkAgent, "--init-groups", "--",
                "/usr/bin/env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
                Programs.Agent, .. AgentArguments(new VirtualBoardLayout(agentDir) { ShmPath = shm, KickSocket = kick }, "--link-key", key)]);
            string status = "";
            WaitFor(() =>
            {
                status = ControlStatus(Path.Combine(state, "control.sock"));
                return status.Contains("\"session\":\"up\"", StringComparison.Ordinal);
            }, "the island's session with the agent running as " + LinkAgent);
            using var json = System.Text.Json.JsonDocument.Parse(status);
            Assert.IsTrue(json.RootElement.GetProperty("session_counters").GetProperty("authenticated").GetBoolean(), status);
            Assert.AreEqual(LinkAgent, Run("/bin/ps", new[] { "-o", "user=", "-p", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }).Output.Trim());
        }
        finally
        {
            if (agent is not null)
            {
                Stop(agent);
                agent.Dispose();
            }

            Stop(sim);
        }
    }

    [TestMethod]
    public void A_board_key_provisioned_in_a_signed_bundle_authenticates_the_link_and_a_bundle_of_another_release_key_is_refused()
    {
        string island = Path.Combine(Repo, "host-agent/src/Stratos.Island.Cli/bin/Release/net10.0/island");
        string sim = Programs.IslandSim;
        string key = Path.Combine(_root, "link.key");
        File.WriteAllText(key, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string image = Path.Combine(_root, "island.bin");
        File.WriteAllBytes(image, new byte[1024]);
        foreach (string pair in new[] { "release", "stranger" })
        {
            var keygen = Run(island, new[] { "flash", "keygen", "--key", Path.Combine(_root, pair + ".pem"), "--pubkey", Path.Combine(_root, pair + ".pub.pem") });
            Assert.AreEqual(0, keygen.Status, keygen.Output);
        }

        string bundle = Path.Combine(_root, "virtual.tar");
        var built = Run(island, new[] { "flash", "bundle", "--boards-dir", Path.Combine(Repo, "boards"), "--board", "virtual", "--image", image,
            "--config", Path.Combine(Repo, "boards/virtual/vms.yaml"), "--key", Path.Combine(_root, "release.pem"), "--out", bundle, "--link-key", key });
        Assert.AreEqual(0, built.Status, built.Output);
        StringAssert.Contains(built.Output, "link-key");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundle));

        string[] simArgs = SimArguments("--link-key", bundle, "--bundle-pubkey");
        var refused = Run(sim, simArgs.Append(Path.Combine(_root, "stranger.pub.pem")).ToArray());
        Assert.AreEqual(2, refused.Status, refused.Output);
        StringAssert.Contains(refused.Output, "link.key failed the island's bundle verification (BadSignature)");

        using BoardProcess island1 = Start(sim, simArgs.Append(Path.Combine(_root, "release.pub.pem")).ToArray());
        using BoardProcess agent = Start(Programs.Agent,
            AgentArguments(new VirtualBoardLayout(Path.Combine(_root, "api")) { ShmPath = Path.Combine(_root, "link.shm"), KickSocket = Path.Combine(_root, "kick.sock") }, "--link-key", key));
        try
        {
            string status = "";
            WaitFor(() =>
            {
                status = ControlStatus(Path.Combine(_root, "island", "control.sock"));
                return status.Contains("\"session\":\"up\"", StringComparison.Ordinal);
            }, "the island (key from the bundle) and the agent (key file) to link up");
            using var json = System.Text.Json.JsonDocument.Parse(status);
            Assert.IsTrue(json.RootElement.GetProperty("session_counters").GetProperty("authenticated").GetBoolean(), status);
        }
        finally
        {
            Stop(agent);
            Stop(island1);
        }
    }

    [TestMethod]
    public void An_unknown_link_group_stops_island_sim_naming_it()
    {
        var (status, output) = Run(Programs.IslandSim, SimArguments("--link-group", "stratos-no-such-group"));
        Assert.AreEqual(2, status, output);
        StringAssert.Contains(output, "--link-group: group 'stratos-no-such-group' does not exist");
        Assert.IsFalse(File.Exists(Path.Combine(_root, "link.shm")), "nothing is created before the options are checked");
    }

    [TestMethod]
    [Verifies("IslDsgn~api-roles~1")]
    [Verifies("IslProd~least-privilege~1")]
    public void A_reader_may_look_but_not_change_and_an_outsider_cannot_connect()
    {
        string socket = Path.Combine(_root, "api", "agent.sock");
        using BoardProcess agent = StartAgent(socket, "--api-group", ReadGroup, "--api-admin-group", AdminGroup);
        try
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));

            var status = Cli(Reader, socket, "status");
            Assert.AreEqual(0, status.Status, status.Output);
            StringAssert.Contains(status.Output, "virtual");

            foreach (var (verb, method) in new[] { ("stop", "StopVm"), ("kill", "KillVm"), ("start", "StartVm") })
            {
                var denied = Cli(Reader, socket, "vm", verb, "base");
                Assert.AreEqual(5, denied.Status, denied.Output);
                StringAssert.Contains(denied.Output, "/stratos.island.agent.v1.VmService/" + method + " needs the operator role");
                StringAssert.Contains(denied.Output, "group '" + AdminGroup + "'");
                StringAssert.Contains(denied.Output, "is a reader");
            }

            var power = Cli(Reader, socket, "system", "off");
            StringAssert.Contains(power.Output, "needs the operator role", power.Output);

            // An operator passes the check: the call reaches the agent (whose island link is down here).
            var operatorStop = Cli(Admin, socket, "vm", "stop", "base");
            Assert.IsFalse(operatorStop.Output.Contains("needs the operator role", StringComparison.Ordinal), operatorStop.Output);
            StringAssert.Contains(operatorStop.Output, "link");

            var outsider = Cli(Other, socket, "status");
            Assert.AreNotEqual(0, outsider.Status, outsider.Output);
            Assert.IsFalse(outsider.Output.Contains("FIELD", StringComparison.Ordinal), outsider.Output);   // no status table: it never got in
            // The socket's directory (0750 to the group) hides it: said so, not "the agent is not running".
            Assert.AreEqual(5, outsider.Status, outsider.Output);
            StringAssert.Contains(outsider.Output, "permission denied: user '" + Other + "'");
            StringAssert.Contains(outsider.Output, "directory " + Path.Combine(_root, "api") + " (owner root, group '" + ReadGroup + "', mode 0750) is not searchable");
            StringAssert.Contains(outsider.Output, "usermod -aG " + ReadGroup + " " + Other);
        }
        finally
        {
            Stop(agent);
        }
    }

    [TestMethod]
    public void A_user_outside_the_api_group_is_told_the_socket_its_group_and_how_to_join()
    {
        // A socket directory the agent did not create (world-searchable): the socket's own mode decides.
        string dir = Path.Combine(_root, "open");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);   // 0755
        string socket = Path.Combine(dir, "agent.sock");
        using BoardProcess agent = StartAgent(socket, "--api-group", ReadGroup);
        try
        {
            var outsider = Cli(Other, socket, "vm", "list");
            Assert.AreEqual(5, outsider.Status, outsider.Output);
            StringAssert.Contains(outsider.Output, "island: permission denied: user '" + Other + "' (uid ");
            StringAssert.Contains(outsider.Output, "may not connect to the agent's socket " + socket + " (owner root, group '" + ReadGroup + "', mode 0660)");
            StringAssert.Contains(outsider.Output, "Members of group '" + ReadGroup + "' (the agent's --api-group) may call the read-only methods");
            StringAssert.Contains(outsider.Output, "usermod -aG " + ReadGroup + " " + Other);

            // Listed in /etc/group but not in this login's groups (setpriv --keep-groups keeps none).
            var stale = RunAsWithoutGroups(Reader, socket, "vm", "list");
            Assert.AreEqual(5, stale.Status, stale.Output);
            StringAssert.Contains(stale.Output, "User '" + Reader + "' is listed in group '" + ReadGroup + "' but this session does not have it yet: log in again");

            // A member gets in (the same CLI, the same socket).
            var member = Cli(Reader, socket, "vm", "list");
            Assert.IsFalse(member.Output.Contains("permission denied", StringComparison.Ordinal), member.Output);
        }
        finally
        {
            Stop(agent);
        }
    }

    [TestMethod]
    [Verifies("IslDsgn~private-endpoints~1")]
    public void Without_a_configured_group_the_api_socket_and_runtime_dir_are_the_owners_alone()
    {
        string socket = Path.Combine(_root, "api", "agent.sock");
        using BoardProcess agent = StartAgent(socket);
        try
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_root, "api", "vms")));
            var reader = Cli(Reader, socket, "status");
            Assert.AreEqual(5, reader.Status, reader.Output);
            StringAssert.Contains(reader.Output, "directory " + Path.Combine(_root, "api") + " (owner root, group 'root', mode 0700)");
            StringAssert.Contains(reader.Output, "the agent was started without --api-group, so only root and user 'root' may call it");
            var root = Cli(null, socket, "status");
            Assert.AreEqual(0, root.Status, root.Output);
        }
        finally
        {
            Stop(agent);
        }
    }

    private BoardProcess StartAgent(string socket, params string[] extra)
    {
        BoardProcess agent = Start(Programs.Agent, AgentArguments(
            new VirtualBoardLayout(Path.Combine(_root, "api")) { AgentSocket = socket, ShmPath = Path.Combine(_root, "absent.shm"), KickSocket = Path.Combine(_root, "absent.sock") }, extra));
        WaitFor(() => File.Exists(socket), "the agent's socket " + socket);
        return agent;
    }

    /// <summary>
    /// island-sim's command line of the virtual board under this test's root (the launcher's: state in
    /// ROOT/island, ROOT/link.shm, ROOT/kick.sock), without a board key unless given, then <paramref name="extra"/>.
    /// </summary>
    private string[] SimArguments(params string[] extra) =>
        [.. new VirtualBoardLauncher(new VirtualBoardLayout(_root), new VirtualBoardOptions(Repo) { AuthenticatedLink = false }).SimArguments(), .. extra];

    /// <summary>The agent's command line (the launcher's) for <paramref name="layout"/>, without a board key unless given, then <paramref name="extra"/>.</summary>
    private static string[] AgentArguments(VirtualBoardLayout layout, params string[] extra) =>
        [.. new VirtualBoardLauncher(layout, new VirtualBoardOptions(Repo) { AuthenticatedLink = false }).AgentArguments(), .. extra];

    /// <summary>island-sim's control-socket "status" line (JSON), or "" while it does not answer.</summary>
    private static string ControlStatus(string socketPath)
    {
        try
        {
            return Readiness.SendLine(socketPath, "status");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            return "";
        }
    }

    private static (int Status, string Output) Cli(string? user, string socket, params string[] args)
    {
        string island = Path.Combine(Repo, "host-agent/src/Stratos.Island.Cli/bin/Release/net10.0/island");
        return user is null
            ? Run(island, args, ("ISLAND_SOCKET", socket))
            : RunAs(user, new[] { "/usr/bin/env", "ISLAND_SOCKET=" + socket, "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", island }.Concat(args).ToArray());
    }

    /// <summary>The CLI as <paramref name="user"/> with its primary group only (a login from before it joined a group).</summary>
    private static (int Status, string Output) RunAsWithoutGroups(string user, string socket, params string[] args) =>
        Run("/usr/bin/setpriv", new[] { "--reuid", user, "--regid", user, "--clear-groups", "--", "/usr/bin/env", "ISLAND_SOCKET=" + socket, "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
            Path.Combine(Repo, "host-agent/src/Stratos.Island.Cli/bin/Release/net10.0/island") }.Concat(args).ToArray());

    /// <summary>A real process as <paramref name="user"/> (its own uid, gid and supplementary groups).</summary>
    private static (int Status, string Output) RunAs(string user, params string[] command) =>
        Run("/usr/bin/setpriv", new[] { "--reuid", user, "--regid", user, "--init-groups", "--" }.Concat(command).ToArray());

    private static (int Status, string Output) Run(string file, string[] args, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using Process p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in 30 s");
        }

        return (p.ExitCode, output + err.Result);
    }

    private static BoardProcess Start(string file, params string[] args) => BoardProcess.Start(Path.GetFileName(file), new LaunchCommand(file, args));

    private static void Stop(BoardProcess p) => p.Kill();

    private static void WaitFor(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (!condition())
        {
            Assert.IsTrue(Environment.TickCount64 < deadline, "timed out waiting for " + what);
            Thread.Sleep(50);
        }
    }

    private static void EnsureGroup(string name)
    {
        if (Run("/usr/bin/getent", new[] { "group", name }).Status != 0)
        {
            var (status, output) = Run("/usr/sbin/groupadd", new[] { "-r", name });
            Assert.IsTrue(status == 0 || Run("/usr/bin/getent", new[] { "group", name }).Status == 0, "groupadd " + name + ": " + output);
        }
    }

    private static void EnsureUser(string name, string? groups)
    {
        if (Run("/usr/bin/id", new[] { name }).Status == 0)
        {
            return;
        }

        string[] args = groups is null
            ? new[] { "-r", "-M", "-s", "/usr/sbin/nologin", name }
            : new[] { "-r", "-M", "-s", "/usr/sbin/nologin", "-G", groups, name };
        var (status, output) = Run("/usr/sbin/useradd", args);
        Assert.IsTrue(status == 0 || Run("/usr/bin/id", new[] { name }).Status == 0, "useradd " + name + ": " + output);
    }
}
