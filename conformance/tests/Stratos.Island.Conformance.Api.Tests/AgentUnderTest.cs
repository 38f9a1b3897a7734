using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Net.Client;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Stratos.Island.VirtualBoard;

namespace Stratos.Island.Conformance.Api.Tests;

/// <summary>
/// Where the agent under test is. A vendor points the kit at a running agent with
///   ISLAND_API_CONFORMANCE_SOCKET  the agent's operator-API UNIX socket
/// Without it the kit starts island-sim and island-agent with the virtual board (autostart off) in a
/// private directory through the board's launcher (Stratos.Island.VirtualBoard), as CI does, and
/// stops both at the end. The tests speak standard gRPC over the
/// socket (Grpc.Net.Client) with types generated from the .proto files; they call nothing else.
/// </summary>
[TestClass]
public static class AgentUnderTest
{
    private static BoardProcess? _sim;
    private static BoardProcess? _agent;
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

    // The virtual board's launcher starts both programs (layout, command lines, readiness): a board
    // folder of its own with autostart off under a private directory; the kit's build of each program.
    private static void StartVirtualBoard()
    {
        string repo = RepositoryRoot.Require();
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        _root = Path.Combine(Path.GetTempPath(), "island-api-conformance-" + Guid.NewGuid().ToString("N")[..10]);
        BuildGuest(repo);
        var layout = new VirtualBoardLayout(_root);
        var launcher = new VirtualBoardLauncher(layout, new VirtualBoardOptions(repo) { Autostart = false, AuthenticatedLink = false },
            new VirtualBoardBinaries(Built(repo, VirtualBoardBinaries.SimProject, configuration, "island-sim"),
                Built(repo, VirtualBoardBinaries.AgentProject, configuration, "island-agent")));
        launcher.Prepare();
        _sim = BoardProcess.Start("island-sim", launcher.SimCommand(), workingDirectory: repo);
        Readiness.WaitForSocketAsync(layout.ControlSocket, "island-sim control socket", _sim, Readiness.DefaultTimeout).GetAwaiter().GetResult();
        _agent = BoardProcess.Start("island-agent", launcher.AgentCommand(), workingDirectory: repo);
        Readiness.WaitForBoardAsync(layout, _sim, _agent, Readiness.DefaultTimeout).GetAwaiter().GetResult();
        Socket = layout.AgentSocket;
        Description = "island-agent + island-sim (started by the kit, pids " + _agent.Id + ", " + _sim.Id + ")";
    }

    [AssemblyCleanup]
    public static void Stop()
    {
        Channel?.Dispose();
        _agent?.Dispose();
        _sim?.Dispose();
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

    private static string Built(string repo, string project, string configuration, string name)
    {
        string dll = Path.Combine(repo, project, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException(name + " is not built (" + dll + "); build the solution, or set ISLAND_API_CONFORMANCE_SOCKET to test a running agent");
    }
}
