using System;
using System.Collections;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Commands;
using Stratos.Island.Grpc;

namespace Stratos.Island.Cli;

/// <summary>
/// `island`: the operator CLI. Noun-verb commands (like virsh or ctr) that call the agent's gRPC API;
/// each failure is one line on stderr and a documented exit code (<see cref="ExitCodes"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // Not System.Console: see ProcessIo.
        using var stdout = new DescriptorWriter(ProcessIo.StandardOutput);
        using var stderr = new DescriptorWriter(ProcessIo.StandardError);
        var environment = new LiveEnvironment();
        bool terminal = ProcessIo.IsTerminal(ProcessIo.StandardOutput);
        return FastPath.TryRun(args, stdout, stderr, environment, terminal)
            ?? RunAsync(args, stdout, stderr, environment, terminal).GetAwaiter().GetResult();
    }

    /// <summary>Runs one command line; the seam tests use (real output writers, real environment).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IDictionary environment, bool stdoutIsTerminal)
    {
        CommandBuilder.Runner = body => async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, stdout, stderr, environment, stdoutIsTerminal);
            try
            {
                return await body(context, parse, cancellationToken).ConfigureAwait(false);
            }
            // Ctrl-C: a stream cancelled by the client ends with CANCELLED; quiet, exit 130.
            catch (Exception e) when (e is OperationCanceledException or GrpcException { Status: GrpcStatusCode.Cancelled } && cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (GrpcException e)
            {
                return Fail(e, context, stderr);
            }
        };

        var root = BuildRoot(args);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            var path = command == root ? "island" : "island " + CommandPath(parse.CommandResult);
            // Prefer the error about the word the user typed over a generic "command missing".
            var error = parse.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            var message = string.Join(" ", error.Message.Split(new[] { '\n', '\t', '\r' }, StringSplitOptions.RemoveEmptyEntries)).Replace(" '", " '", StringComparison.Ordinal);
            stderr.WriteLine($"island: {message} (see '{path} --help')");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr };
        if (!HandlesInterrupt(parse))
        {
            // One-shot commands need no graceful Ctrl-C: the default SIGINT handling ends the process
            // with the same status (130), and not hooking it skips the terminal set-up it costs.
            configuration.ProcessTerminationTimeout = null;
        }

        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    /// <summary>
    /// The top-level commands in help order: name and description (what `island --help` lists) and
    /// how to build the whole subtree. <see cref="BuildRoot(string[])"/> builds only the subtrees a
    /// command line names; Cli.Tests checks these names and descriptions against the real trees.
    /// </summary>
    public static readonly (string Name, string Description, Func<Command> Create)[] TopLevel =
    {
        ("vm", "Virtual machines (the island owns their lifecycle)", VmCommands.Create),
        ("supervision", "Supervision of VMs and the agent (AUTOSAR WdgM semantics)", SupervisionCommands.Create),
        ("power", "Power domains (the island arbitrates)", PowerCommands.CreatePower),
        ("system", "System power sequences (VMs in reverse boot order, then domains)", PowerCommands.CreateSystem),
        ("events", "Show the island's events, optionally following new ones", EventCommands.CreateEvents),
        ("log", "Read committed records of the island's persistent event log", EventCommands.CreateLog),
        ("status", "Island, link and agent at a glance", StatusCommands.CreateStatus),
        ("board", "Board descriptors (local: no agent needed)", BoardCommands.Create),
        ("flash", "Signed firmware bundles and flashing (local: no agent needed)", FlashCommands.Create),
        ("up", "Start the virtual board: island-sim, island-agent and the autostart VMs", VirtualBoardCommands.CreateUp),
        ("down", "Stop the virtual board: agent, island-sim, every QEMU they started; remove shared memory and sockets", VirtualBoardCommands.CreateDown),
        ("completion", "Print a shell completion script", CompletionCommand.Create),
    };

    /// <summary>The whole command tree.</summary>
    public static RootCommand BuildRoot() => BuildRoot(null);

    /// <summary>
    /// The command tree for one command line. Building every subtree costs more than parsing (each
    /// verb's options, enum spellings, and the assemblies behind them), so only the subtrees of
    /// top-level commands named in <paramref name="args"/> are built; the others are placeholders
    /// with the same name and description, so root help, "unrecognized command" errors and
    /// root-level completion read the same. A directive ([suggest], [diagram]) or null builds all.
    /// </summary>
    public static RootCommand BuildRoot(string[]? args)
    {
        var root = new RootCommand("island: control VMs whose lifecycle and supervision are owned by the safety island");
        foreach (var (name, description, create) in TopLevel)
        {
            root.Subcommands.Add(args is null || MayNeed(args, name) || name == "completion" ? create() : new Command(name, description));
        }

        root.Options.Add(GlobalOptions.SocketOption);
        root.Options.Add(GlobalOptions.OutputOption);
        root.Options.Add(GlobalOptions.QuietOption);
        root.Options.Add(GlobalOptions.TimeoutOption);
        root.Options.Add(GlobalOptions.NoColorOption);
        return root;
    }

    // Whether the command line may need the subtree of `command`: it names it as a word (also inside
    // a directive's quoted command line), or it holds a directive.
    private static bool MayNeed(string[] args, string command)
    {
        foreach (var arg in args)
        {
            if (arg.Length > 0 && arg[0] == '[')
            {
                return true;
            }

            if (arg == command)
            {
                return true;
            }

            if (arg.Contains(' ', StringComparison.Ordinal))
            {
                foreach (var word in arg.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (word == command)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    // Commands that run until interrupted or clean up on Ctrl-C: they get the cancellation token.
    private static bool HandlesInterrupt(ParseResult parse)
    {
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Command.Name is "events" or "up" or "down" or "flash")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A failed call: one line on stderr, and the exit code its status maps to.</summary>
    internal static int Fail(GrpcException e, CliContext context, TextWriter stderr)
    {
        if (context.Endpoint is not null)
        {
            stderr.WriteLine("island: " + (e.Status == GrpcStatusCode.Unavailable
                ? $"cannot reach the agent at {context.AgentAddress} (${CliContext.EndpointVariable}): {e.Message}"
                    + (e.Message.StartsWith("TLS handshake", StringComparison.Ordinal) ? $". Is ${CliContext.TlsCaVariable} the listener's certificate?"
                        : e.Message.StartsWith("cannot connect", StringComparison.Ordinal) ? ". Is the board up ('./island up --vmm xen' prints what to set)?"
                        : string.Empty)
                : e.Message));
            return ExitCodes.FromStatus(e.Status);
        }

        string socket = context.SocketPath;
        // A socket this user may not use is refused like a PERMISSION_DENIED call (exit 5).
        if (e.Status == GrpcStatusCode.Unavailable && SocketAccess.ExplainDenied(socket) is string denied)
        {
            stderr.WriteLine("island: " + denied);
            return ExitCodes.FromStatus(GrpcStatusCode.PermissionDenied);
        }

        stderr.WriteLine("island: " + Explain(e, socket));
        return ExitCodes.FromStatus(e.Status);
    }

    /// <summary>One line that says what failed and what to do about it.</summary>
    private static string Explain(GrpcException e, string socket)
    {
        if (e.Status == GrpcStatusCode.Unavailable && !File.Exists(socket))
        {
            return $"the agent is not running (no socket at {socket}). Start it with './island up' on the virtual board "
                + "or 'systemctl start island-agent' on a board, or point --socket / ISLAND_SOCKET at its socket.";
        }

        if (e.Status == GrpcStatusCode.Unavailable)
        {
            return $"cannot reach the agent at {socket}: {e.Message}";
        }

        if (e.Status == GrpcStatusCode.DeadlineExceeded)
        {
            return $"{e.Message} (the agent at {socket} did not answer in time; raise --timeout or check 'island status')";
        }

        return e.Message;
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new System.Collections.Generic.List<string>();
        for (var r = result; r is not null && r.Parent is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return string.Join(" ", names);
    }
}
