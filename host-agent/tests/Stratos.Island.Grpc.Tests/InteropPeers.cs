using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading.Tasks;

namespace Stratos.Island.Grpc.Tests;

/// <summary>Runs the real gRPC peers (python3-grpcio from Debian, @grpc/grpc-js from npm).</summary>
internal static class InteropPeers
{
    /// <summary>Debian's interpreter: python3-grpcio is installed for it, not for other pythons on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ProtoRoot => Path.Combine(RepoRoot, "protocol", "proto");

    public static string InteropDir => Path.Combine(RepoRoot, "host-agent", "tests", "Stratos.Island.Grpc.Tests", "interop");

    public static async Task<JsonElement> RunClientAsync(string program, string script, string socket, string scenario)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = InteropDir,
        };
        psi.ArgumentList.Add(Path.Combine(InteropDir, script));
        psi.ArgumentList.Add(socket);
        psi.ArgumentList.Add(ProtoRoot);
        psi.ArgumentList.Add(scenario);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {scenario} did not finish in 30 s");
        }

        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"{script} {scenario} exited {process.ExitCode}: {await stderr}");
        }

        return JsonDocument.Parse(output).RootElement;
    }

    public static Process StartPythonServer(string socket)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = InteropDir,
        };
        psi.ArgumentList.Add(Path.Combine(InteropDir, "python_server.py"));
        psi.ArgumentList.Add(socket);
        psi.ArgumentList.Add(ProtoRoot);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start python_server.py");
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result != "READY")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("python_server.py did not become ready: " + process.StandardError.ReadToEnd());
        }

        return process;
    }

    public static void Stop(Process process)
    {
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5_000))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Stratos.Island.sln) above " + AppContext.BaseDirectory);
    }
}
