using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.VirtualBoard;

/// <summary>
/// Bounded waits for a virtual board to come up: a UNIX socket that accepts (island-sim's kick and
/// control sockets, the agent's API socket) and the link session up as island-sim's control socket
/// reports it. Each fails early, with the process's output, when the process it waits for exits.
/// </summary>
public static class Readiness
{
    /// <summary>How long a start may take on a loaded 2-core machine (the HIL's margin).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long one control-socket command may take to answer.</summary>
    public static readonly TimeSpan ControlAnswerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Waits until <paramref name="path"/> accepts a connection.</summary>
    /// <param name="owner">the process that makes the socket, if the caller started it: its exit ends the wait.</param>
    public static async Task WaitForSocketAsync(string path, string what, BoardProcess? owner, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await AcceptsAsync(path, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (owner is { HasExited: true })
            {
                owner.WaitForExit(1000);
                throw new VirtualBoardException($"virtual board: no {what} at {path}: {owner.Name} exited with {owner.ExitCode}; its output:\n{owner.Output}");
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"virtual board: no {what} at {path} after {timeout.TotalSeconds:0} s" + (owner is null ? "" : $"; {owner.Name}'s output:\n{owner.Output}"));
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when a UNIX stream socket at <paramref name="path"/> accepts a connection now.</summary>
    public static async Task<bool> AcceptsAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false; // bound but not listening yet, or its owner is gone
        }
    }

    /// <summary>One line command on a line socket (island-sim's control socket, the agent's fault hook) and its one-line answer.</summary>
    public static async Task<string> SendLineAsync(string socketPath, string command, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ControlAnswerTimeout);
        return await reader.ReadLineAsync(limit.Token).ConfigureAwait(false) ?? string.Empty;
    }

    /// <summary>The same, blocking (for tests that drive the link on their own thread).</summary>
    public static string SendLine(string socketPath, string command) => SendLineAsync(socketPath, command).GetAwaiter().GetResult();

    /// <summary>island-sim's status (control socket <c>status</c>) as JSON, or null while it does not answer.</summary>
    public static async Task<JsonElement?> IslandStatusAsync(VirtualBoardLayout layout, CancellationToken cancellationToken = default)
    {
        string line;
        try
        {
            line = await SendLineAsync(layout.ControlSocket, "status", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        if (!line.StartsWith('{'))
        {
            return null;
        }

        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    /// <summary>True when island-sim reports its link session with the agent up.</summary>
    public static bool SessionUp(JsonElement status) =>
        status.TryGetProperty("session", out JsonElement session) && session.GetString() == "up";

    /// <summary>
    /// Waits until the agent's API socket accepts and island-sim reports the session up. Either
    /// process exiting, or the time running out, is an exception naming what did not come up.
    /// </summary>
    public static async Task WaitForBoardAsync(VirtualBoardLayout layout, BoardProcess? sim, BoardProcess? agent, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        await WaitForSocketAsync(layout.AgentSocket, "island-agent API socket", agent, timeout, cancellationToken).ConfigureAwait(false);
        while (!(await IslandStatusAsync(layout, cancellationToken).ConfigureAwait(false) is { } status && SessionUp(status)))
        {
            foreach (BoardProcess? process in new[] { sim, agent })
            {
                if (process is { HasExited: true })
                {
                    throw new VirtualBoardException($"virtual board: the link never came up: {process.Name} exited with {process.ExitCode}; its output:\n{process.Output}");
                }
            }

            if (waited.Elapsed > timeout)
            {
                JsonElement? last = await IslandStatusAsync(layout, cancellationToken).ConfigureAwait(false);
                throw new TimeoutException($"virtual board: the link between island-sim and the agent was not up after {timeout.TotalSeconds:0} s (island-sim's status: {last?.ToString() ?? "no answer on " + layout.ControlSocket})");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}
