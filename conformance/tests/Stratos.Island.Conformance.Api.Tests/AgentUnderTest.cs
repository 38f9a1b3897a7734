using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Net.Client;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Conformance.Api.Tests;

/// <summary>
/// Where the agent under test is. A vendor points the kit at a running agent with
///   ISLAND_API_CONFORMANCE_SOCKET  the agent's operator-API UNIX socket
/// Without it the kit starts island-sim and island-agent with the virtual board (autostart off) in a
/// private directory, as CI does, and stops both at the end. The tests speak standard gRPC over the
/// socket (Grpc.Net.Client) with types generated from the .proto files; they call nothing else.
/// </summary>
[TestClass]
public static class AgentUnderTest
{
    private static Process? _sim;
    private static Process? _agent;
    private static string? _root;

    public static string Socket { get; private set; } = "";

    public static GrpcChannel Channel { get; private set; } = null!;

    /// <summary>"island-agent (started by the kit)" or the socket given, for messages.</summary>
    public static string Description { get; private set; } = "";

    [AssemblyInitialize]
    public static void Start(TestContext context)
    {
        string? socket = Environment.GetEnvironmentVariable("ISLAND_API_CONFORMANCE_SOCKET");
        if (!string.IsNullOrEmpty(socket))
        {
            Socket = socket;
            Description = "agent at " + socket;
        }
        else
        {
            StartVirtualBoard();
        }

        Channel = Open(Socket);
    }

    /// <summary>A gRPC channel over the UNIX socket: the standard client with a socket connect callback.</summary>
    public static GrpcChannel Open(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }

    private static void StartVirtualBoard()
    {
        string repo = FindRepository();
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        _root = Path.Combine(Path.GetTempPath(), "island-api-conformance-" + Guid.NewGuid().ToString("N")[..10]);
        string board = Path.Combine(_root, "board");
        Directory.CreateDirectory(board);
        Directory.CreateDirectory(Path.Combine(_root, "state"));
        File.Copy(Path.Combine(repo, "boards", "virtual", "board.yaml"), Path.Combine(board, "board.yaml"));
        File.WriteAllText(Path.Combine(board, "vms.yaml"), File.ReadAllText(Path.Combine(repo, "boards", "virtual", "vms.yaml"))
            .Replace("autostart: true", "autostart: false", StringComparison.Ordinal));
        BuildGuest(repo);
        string shm = Path.Combine(_root, "shm");
        string kick = Path.Combine(_root, "kick");
        Socket = Path.Combine(_root, "agent.sock");
        _sim = StartProcess(repo, Built(repo, "island-firmware/src/Stratos.Island.Sim", configuration, "island-sim"),
            "--board", Path.Combine(board, "board.yaml"), "--config", Path.Combine(board, "vms.yaml"),
            "--state-dir", Path.Combine(_root, "state"), "--shm-path", shm, "--kick-socket", kick);
        WaitFor(kick, "island-sim's kick socket", _sim);
        _agent = StartProcess(repo, Built(repo, "host-agent/src/Stratos.Island.Agent.Host", configuration, "island-agent"),
            "--board", board, "--boards-dir", Path.Combine(repo, "boards"), "--socket", Socket,
            "--runtime-dir", Path.Combine(_root, "run"), "--shm-path", shm, "--kick-socket", kick, "--guest-kernel-dir", repo);
        WaitFor(Socket, "island-agent's API socket", _agent);
        Description = "island-agent + island-sim (started by the kit, pids " + _agent.Id + ", " + _sim.Id + ")";
    }

    [AssemblyCleanup]
    public static void Stop()
    {
        Channel?.Dispose();
        foreach (Process? p in new[] { _agent, _sim })
        {
            if (p != null && !p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }

        if (_root != null)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static Process StartProcess(string repo, string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = repo };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process p = Process.Start(start) ?? throw new InvalidOperationException(dll + " did not start");
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    // The virtual board's VMs boot the project's heartbeat guest (hil-tests/guest): make it if needed.
    private static void BuildGuest(string repo)
    {
        var make = new ProcessStartInfo("make") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        make.ArgumentList.Add("-s");
        make.ArgumentList.Add("-C");
        make.ArgumentList.Add(Path.Combine(repo, "hil-tests", "guest"));
        using Process p = Process.Start(make) ?? throw new InvalidOperationException("make did not start");
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException("the heartbeat guest does not build (make -C hil-tests/guest): " + stderr.Result);
        }
    }

    private static void WaitFor(string path, string what, Process owner)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (owner.HasExited)
            {
                throw new InvalidOperationException(what + ": the process exited with " + owner.ExitCode + " before creating " + path);
            }

            if (clock.ElapsedMilliseconds > 20_000)
            {
                throw new TimeoutException(what + " did not appear at " + path + " within 20 s");
            }

            Thread.Sleep(50);
        }
    }

    private static string Built(string repo, string project, string configuration, string name)
    {
        string dll = Path.Combine(repo, project, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException(name + " is not built (" + dll + "); build the solution, or set ISLAND_API_CONFORMANCE_SOCKET to test a running agent");
    }

    private static string FindRepository()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "boards", "virtual", "board.yaml")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("boards/virtual/board.yaml not found above " + AppContext.BaseDirectory
            + "; set ISLAND_API_CONFORMANCE_SOCKET to test a running agent");
    }
}
