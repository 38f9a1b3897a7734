using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.E2E.Tests;

/// <summary>The built `island` CLI run as an operator would: its exit status and its output (stdout, then stderr).</summary>
internal static class IslandCli
{
    public static readonly string Program = Path.Combine(RepositoryRoot.Require(), "host-agent", "src", "Stratos.Island.Cli", "bin", "Release", "net10.0", "island");

    /// <summary>Runs the CLI with <paramref name="environment"/> added to this process's.</summary>
    public static (int Status, string Output) Run((string Name, string Value)[] environment, params string[] args)
    {
        var info = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + err.Result;
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    /// <summary>The CLI against the virtual board whose layout is under <paramref name="root"/>.</summary>
    public static (int Status, string Output) On(string root, params string[] args) =>
        Run([("ISLAND_SOCKET", new VirtualBoardLayout(root).AgentSocket)], args);
}
