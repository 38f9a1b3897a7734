using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Bench;

/// <summary>Process helpers shared by the host-agent benchmarks (compiled into each).</summary>
internal static class BenchProcess
{
    /// <summary>Runs <paramref name="exe"/> to its end, its output read and dropped; its exit code.</summary>
    public static int RunQuiet(string exe, params string[] args)
    {
        using Process p = Start(exe, args);
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>Runs <paramref name="exe"/> to its end; a non-zero exit is an exception naming the command.</summary>
    public static void Run(string exe, params string[] args)
    {
        if (RunQuiet(exe, args) != 0)
        {
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed");
        }
    }

    /// <summary>Starts <paramref name="exe"/> with its standard output redirected.</summary>
    public static Process Start(string exe, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("cannot start " + exe);
    }

    /// <summary>
    /// The rounds of a benchmark whose only option is <c>--iterations N</c>: <paramref name="fallback"/>
    /// without arguments, null (after printing the usage of <paramref name="bench"/>) for anything else.
    /// </summary>
    public static int? Iterations(string[] args, int fallback, string bench)
    {
        if (args.Length == 0)
        {
            return fallback;
        }

        if (args.Length == 2 && args[0] == "--iterations" && int.TryParse(args[1], out int n) && n > 0)
        {
            return n;
        }

        Console.Error.WriteLine($"usage: ./bench.sh {bench} [--iterations N]");
        return null;
    }

    /// <summary>The repository root (the folder holding Stratos.Island.sln) above the running benchmark.</summary>
    public static string FindRepo() => RepositoryRoot.Require();

    /// <summary>
    /// <paramref name="agentExe"/> with the virtual board's command line (the launcher's), its files
    /// under <paramref name="dir"/>, on the shared-memory link of a scripted island (no link key),
    /// logging warnings only unless <paramref name="logLevel"/> says otherwise; with
    /// <paramref name="traceHeartbeats"/>, its heartbeat trace in the layout's file.
    /// </summary>
    public static Process StartAgent(string repo, string agentExe, string dir, string shmPath, string kickPath, bool traceHeartbeats = false, string logLevel = "warning")
    {
        var layout = new VirtualBoardLayout(dir) { ShmPath = shmPath, KickSocket = kickPath };
        var options = new VirtualBoardOptions(repo) { AuthenticatedLink = false, AgentLogLevel = logLevel, TraceHeartbeats = traceHeartbeats };
        LaunchCommand agent = new VirtualBoardLauncher(layout, options, VirtualBoardBinaries.InRepository(repo) with { Agent = agentExe }).AgentCommand();
        return Start(agent.Program, agent.Arguments.ToArray());
    }

    /// <summary>Ends a run of <see cref="StartAgent"/>: the agent, every QEMU it left running, the scripted island, the folder.</summary>
    public static async Task StopAgentAsync(Process agent, IAsyncDisposable island, string dir)
    {
        agent.Kill();
        await agent.WaitForExitAsync();
        await Teardown.KillQemusAsync(new VirtualBoardLayout(dir).RuntimeDir);
        await island.DisposeAsync();
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// Builds what the host-agent benchmarks run, as users run it: island-agent (Release), the
    /// `island` CLI published ReadyToRun into bin/r2r (as ./island runs it), and the floor, a hello
    /// world published exactly like the CLI (host-agent/bench/Stratos.Island.StartupFloor).
    /// </summary>
    public static (string AgentExe, string CliExe, string FloorExe) BuildAgentCliAndFloor(string repo)
    {
        string agentExe = Path.Combine(repo, "host-agent", "src", "Stratos.Island.Agent.Host", "bin", "Release", "net10.0", "island-agent");
        string cliExe = Path.Combine(repo, "host-agent", "src", "Stratos.Island.Cli", "bin", "r2r", "island");
        Run("dotnet", "build", Path.Combine(repo, "host-agent", "src", "Stratos.Island.Agent.Host"), "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        Run("dotnet", "publish", Path.Combine(repo, "host-agent", "src", "Stratos.Island.Cli"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", Path.GetDirectoryName(cliExe)!, "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        string floorDir = Path.Combine(Path.GetTempPath(), "stratos-startup-floor");
        Run("dotnet", "publish", Path.Combine(repo, "host-agent", "bench", "Stratos.Island.StartupFloor"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", floorDir, "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        return (agentExe, cliExe, Path.Combine(floorDir, "startup-floor"));
    }
}
