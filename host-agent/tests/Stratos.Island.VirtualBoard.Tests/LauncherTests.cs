using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.VirtualBoard.Tests;

/// <summary>The launcher's layout, both command lines, and its refusals of bad input, without starting anything.</summary>
[TestClass]
public sealed class LauncherTests
{
    private static readonly string Repo = RepositoryRoot.Require();

    /// <summary>A root of its own, two empty files standing for the built programs.</summary>
    private sealed class Scratch : IDisposable
    {
        public Scratch()
        {
            Dir = Path.Combine("/tmp", "vbt-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Path.Combine(Dir, "bin"));
            Binaries = new VirtualBoardBinaries(Path.Combine(Dir, "bin", "island-sim"), Path.Combine(Dir, "bin", "island-agent"));
            File.WriteAllText(Binaries.IslandSim, "");
            File.WriteAllText(Binaries.Agent, "");
        }

        public string Dir { get; }

        public VirtualBoardBinaries Binaries { get; }

        public VirtualBoardLayout Layout => new(Path.Combine(Dir, "board-root"));

        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }

    [TestMethod]
    public void Every_file_of_the_layout_is_under_its_root_and_the_island_keeps_its_state_in_its_own_folder()
    {
        var layout = new VirtualBoardLayout("/tmp/vb");
        string[] paths = [layout.AgentSocket, layout.ShmPath, layout.KickSocket, layout.ControlSocket, layout.FaultSocket, layout.RuntimeDir, layout.LinkKey,
            layout.FlashFile, layout.SimLog, layout.AgentLog, layout.SimPidFile, layout.AgentPidFile, layout.RestartScript, layout.BoardDir];
        Assert.IsTrue(paths.All(p => p.StartsWith("/tmp/vb/", StringComparison.Ordinal)), string.Join(", ", paths));
        Assert.AreEqual(paths.Length, paths.Distinct().Count(), "no two files share a path");
        Assert.AreEqual("/tmp/vb/island/flash.bin", layout.FlashFile);
        Assert.AreEqual("/tmp/vb/island/link.key", layout.LinkKey);
        Assert.AreEqual("/tmp/vb/island/control.sock", layout.ControlSocket);
        Assert.AreEqual("/tmp/vb/vms/web", layout.VmDir("web"));

        var moved = layout with { AgentSocket = "/run/user/7/island/agent.sock", ShmPath = "/dev/shm/vb" };
        Assert.AreEqual("/run/user/7/island/agent.sock", moved.AgentSocket);
        CollectionAssert.Contains(moved.RunningFiles(), "/dev/shm/vb");
        CollectionAssert.Contains(moved.RunningFiles(), "/run/user/7/island/agent.sock");
    }

    [TestMethod]
    public void A_root_too_deep_for_unix_socket_paths_is_named_before_anything_starts()
    {
        using var scratch = new Scratch();
        var layout = new VirtualBoardLayout(Path.Combine(scratch.Dir, new string('d', 90)));
        StringAssert.Contains(layout.SocketPathProblem(), "over the 107 a UNIX socket allows");
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(Repo), scratch.Binaries);
        var refused = Assert.ThrowsExactly<VirtualBoardException>(launcher.Prepare);
        StringAssert.Contains(refused.Message, layout.Root);
        Assert.IsFalse(Directory.Exists(layout.Root), "nothing created");
        Assert.IsNull(new VirtualBoardLayout("/tmp/vb").SocketPathProblem());
        Assert.ThrowsExactly<ArgumentException>(() => new VirtualBoardLayout(" "));
    }

    [TestMethod]
    public void Island_up_runs_island_sim_and_the_agent_on_one_shared_memory_link_with_one_board_key()
    {
        var layout = new VirtualBoardLayout("/tmp/vb");
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(Repo) { ACLusterResetHook = "sh /tmp/vb/restart-agent.sh --a-cluster-reset" });
        CollectionAssert.AreEqual(new[]
        {
            "--board", "virtual", "--boards-dir", Repo + "/boards", "--state-dir", "/tmp/vb/island", "--control-socket", "/tmp/vb/island/control.sock",
            "--shm-path", "/tmp/vb/link.shm", "--kick-socket", "/tmp/vb/kick.sock", "--link-key", "/tmp/vb/island/link.key",
            "--a-cluster-reset-hook", "sh /tmp/vb/restart-agent.sh --a-cluster-reset",
        }, launcher.SimArguments().ToArray());
        CollectionAssert.AreEqual(new[]
        {
            "--board", "virtual", "--boards-dir", Repo + "/boards", "--socket", "/tmp/vb/agent.sock", "--runtime-dir", "/tmp/vb/vms",
            "--shm-path", "/tmp/vb/link.shm", "--kick-socket", "/tmp/vb/kick.sock", "--guest-kernel-dir", Repo, "--link-key", "/tmp/vb/island/link.key",
        }, launcher.AgentArguments().ToArray());
        Assert.AreEqual(Repo + "/island-firmware/src/Stratos.Island.Sim/bin/Release/net10.0/island-sim", launcher.Binaries.IslandSim);
        Assert.AreEqual(Repo + "/host-agent/src/Stratos.Island.Agent.Host/bin/Release/net10.0/island-agent", launcher.Binaries.Agent);
    }

    [TestMethod]
    public void The_hil_bench_adds_its_fault_hook_qemu_devices_traces_and_log_levels_to_the_right_process()
    {
        var launcher = new VirtualBoardLauncher(new VirtualBoardLayout("/tmp/vb"), new VirtualBoardOptions(Repo)
        {
            AgentFaultSocket = true, QemuArguments = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"], TraceHeartbeats = true,
            SimLogLevel = "warn", AgentLogLevel = "warning", ExtraSimArguments = ["--link-group", "kvm"],
        });
        string sim = string.Join(' ', launcher.SimArguments()), agent = string.Join(' ', launcher.AgentArguments());
        StringAssert.Contains(agent, "--fault-socket /tmp/vb/faults.sock");
        StringAssert.Contains(agent, "--qemu-arg=-device --qemu-arg=isa-debug-exit,iobase=0xf4,iosize=4");
        StringAssert.Contains(agent, "--trace-heartbeats /tmp/vb/agent-heartbeats.trace");
        StringAssert.Contains(agent, "--log-level warning");
        StringAssert.Contains(sim, "--trace-heartbeats /tmp/vb/island-heartbeats.trace");
        StringAssert.EndsWith(sim, "--log-level warn --link-group kvm");
        Assert.IsFalse(sim.Contains("--fault-socket", StringComparison.Ordinal) || sim.Contains("--qemu-arg", StringComparison.Ordinal), sim);
        Assert.IsFalse(agent.Contains("--a-cluster-reset-hook", StringComparison.Ordinal), agent);
    }

    [TestMethod]
    public void A_serial_link_gives_neither_process_the_shared_memory_and_no_key_gives_neither_a_key()
    {
        var launcher = new VirtualBoardLauncher(new VirtualBoardLayout("/tmp/vb"), new VirtualBoardOptions(Repo) { SimLink = "serial:/tmp/vb/tty@115200", AuthenticatedLink = false });
        string sim = string.Join(' ', launcher.SimArguments()), agent = string.Join(' ', launcher.AgentArguments());
        StringAssert.Contains(sim, "--link serial:/tmp/vb/tty@115200");
        foreach (string args in new[] { sim, agent })
        {
            Assert.IsFalse(args.Contains("--shm-path", StringComparison.Ordinal) || args.Contains("--kick-socket", StringComparison.Ordinal) || args.Contains("--link-key", StringComparison.Ordinal), args);
        }
    }

    [TestMethod]
    public void Another_island_configuration_gives_both_processes_a_board_folder_of_their_own()
    {
        using var scratch = new Scratch();
        string config = Path.Combine(scratch.Dir, "soak.yaml");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(Repo, "boards", "virtual", "vms.yaml")).Replace("cmdline: console=ttyS0 quiet", "cmdline: console=ttyS0 quiet soak=1", StringComparison.Ordinal));
        var launcher = new VirtualBoardLauncher(scratch.Layout, new VirtualBoardOptions(Repo) { IslandConfig = config }, scratch.Binaries);
        launcher.Prepare();
        Assert.AreEqual(scratch.Layout.BoardDir, launcher.Board);
        Assert.AreEqual(scratch.Layout.BoardDir, Arg(launcher.SimArguments(), "--board"));
        Assert.AreEqual(scratch.Layout.BoardDir, Arg(launcher.AgentArguments(), "--board"));
        Assert.AreEqual(File.ReadAllText(config), File.ReadAllText(Path.Combine(scratch.Layout.BoardDir, "vms.yaml")));
        Assert.AreEqual(File.ReadAllText(Path.Combine(Repo, "boards", "virtual", "board.yaml")), File.ReadAllText(Path.Combine(scratch.Layout.BoardDir, "board.yaml")));
        CollectionAssert.AreEquivalent(new[] { "base", "web", "linux" }, launcher.AutostartVms().ToArray());
    }

    [TestMethod]
    public void Prepare_makes_private_folders_and_one_board_key_it_keeps_and_turns_autostart_off_when_asked()
    {
        using var scratch = new Scratch();
        var launcher = new VirtualBoardLauncher(scratch.Layout, new VirtualBoardOptions(Repo) { Autostart = false }, scratch.Binaries);
        launcher.Prepare();
        Assert.AreEqual(VirtualBoardLauncher.PrivateDirectoryMode, File.GetUnixFileMode(scratch.Layout.Root));
        Assert.AreEqual(VirtualBoardLauncher.PrivateDirectoryMode, File.GetUnixFileMode(scratch.Layout.IslandStateDir));
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(scratch.Layout.LinkKey));
        byte[] key = Boards.LinkKeyFile.Read(scratch.Layout.LinkKey);
        launcher.Prepare();
        CollectionAssert.AreEqual(key, Boards.LinkKeyFile.Read(scratch.Layout.LinkKey), "a second prepare keeps the board key");
        string vms = File.ReadAllText(Path.Combine(scratch.Layout.BoardDir, "vms.yaml"));
        Assert.IsFalse(vms.Contains("autostart: true", StringComparison.Ordinal));
        StringAssert.Contains(vms, "autostart: false");
        Assert.AreEqual(0, launcher.AutostartVms().Count);
    }

    [TestMethod]
    public async System.Threading.Tasks.Task Missing_programs_and_an_unknown_board_are_refused_naming_them_and_nothing_is_created()
    {
        using var scratch = new Scratch();
        var missing = new VirtualBoardBinaries(Path.Combine(scratch.Dir, "nope", "island-sim"), Path.Combine(scratch.Dir, "nope", "island-agent"));
        var board = new DetachedBoard(scratch.Layout, new VirtualBoardOptions(Repo), missing);
        var refused = await Assert.ThrowsExactlyAsync<VirtualBoardException>(() => board.StartAsync());
        StringAssert.Contains(refused.Message, missing.IslandSim);
        StringAssert.Contains(refused.Message, missing.Agent);
        StringAssert.Contains(refused.Message, VirtualBoardBinaries.SimProject);
        StringAssert.Contains(refused.Message, VirtualBoardBinaries.AgentProject);
        StringAssert.Contains(Assert.ThrowsExactly<VirtualBoardException>(() => board.Launcher.SimCommand()).Message, missing.IslandSim + " is not built");
        StringAssert.Contains(Assert.ThrowsExactly<VirtualBoardException>(() => board.Launcher.AgentCommand()).Message, missing.Agent + " is not built");

        var unknown = Assert.ThrowsExactly<VirtualBoardException>(new VirtualBoardLauncher(scratch.Layout, new VirtualBoardOptions(Repo) { Board = "no-such-board" }, scratch.Binaries).Prepare);
        StringAssert.Contains(unknown.Message, "board 'no-such-board'");
        StringAssert.Contains(unknown.Message, Path.Combine(Repo, "boards", "no-such-board", "board.yaml"));

        var noConfig = Assert.ThrowsExactly<VirtualBoardException>(new VirtualBoardLauncher(scratch.Layout, new VirtualBoardOptions(Repo) { IslandConfig = "/nonexistent/vms.yaml" }, scratch.Binaries).Prepare);
        StringAssert.Contains(noConfig.Message, "/nonexistent/vms.yaml");
        Assert.IsFalse(Directory.Exists(scratch.Layout.Root), "nothing created");
        Assert.ThrowsExactly<ArgumentException>(() => new VirtualBoardOptions(""));
    }

    [TestMethod]
    public void A_dll_runs_through_dotnet_and_the_shell_form_quotes_every_word()
    {
        LaunchCommand dll = LaunchCommand.For("/x/island-sim.dll", ["--board", "it's"]);
        Assert.AreEqual("dotnet", dll.Program);
        CollectionAssert.AreEqual(new[] { "/x/island-sim.dll", "--board", "it's" }, dll.Arguments.ToArray());
        Assert.AreEqual("'dotnet' '/x/island-sim.dll' '--board' 'it'\\''s'", dll.ToShell());
        LaunchCommand host = LaunchCommand.For("/x/island-sim", ["a b"]);
        Assert.AreEqual("/x/island-sim", host.Program);
        CollectionAssert.AreEqual(new[] { "a b" }, host.ToStartInfo().ArgumentList.ToArray());
        Assert.AreEqual("/d/island-sim.dll", VirtualBoardBinaries.InDirectory("/d").IslandSim);
    }

    [TestMethod]
    public void The_detached_board_starts_each_process_in_its_own_session_and_its_restart_script_starts_the_same_agent()
    {
        using var scratch = new Scratch();
        var board = new DetachedBoard(new VirtualBoardLayout("/tmp/vb"), new VirtualBoardOptions(Repo), scratch.Binaries);
        Assert.AreEqual("sh '/tmp/vb/restart-agent.sh' --a-cluster-reset", Arg(board.Launcher.SimArguments(), "--a-cluster-reset-hook"));
        string line = board.AgentStartLine();
        StringAssert.StartsWith(line, "umask 077; setsid " + LaunchCommand.For(board.Launcher.Binaries.Agent, board.Launcher.AgentArguments()).ToShell() + " >>'/tmp/vb/island-agent.log' 2>&1 </dev/null 9>&- & echo $! >'/tmp/vb/island-agent.pid'");
        string script = board.RestartScriptText();
        StringAssert.StartsWith(script, "#!/bin/sh\n");
        StringAssert.EndsWith(script, line + "\n");
        StringAssert.Contains(script, "grep -qF \"${d}qmp.sock\"", "only a QEMU of this runtime dir is killed");
        StringAssert.Contains(script, "exec 9>>'/tmp/vb/restart-agent.lock'\nflock -w 60 9 ||", "one restart at a time");
    }

    private static string Arg(IReadOnlyList<string> args, string option)
    {
        int at = args.ToList().IndexOf(option);
        Assert.IsGreaterThanOrEqualTo(0, at, option + " missing from " + string.Join(' ', args));
        return args[at + 1];
    }
}
