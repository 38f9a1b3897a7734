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
    public static Task<int> Main(string[] args) =>
        RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariables(), !Console.IsOutputRedirected);

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
            catch (GrpcException e)
            {
                stderr.WriteLine("island: " + Explain(e, context.SocketPath));
                return ExitCodes.FromStatus(e.Status);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
        };

        var root = BuildRoot();
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
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("island: control VMs whose lifecycle and supervision are owned by the safety island")
        {
            VmCommands.Create(),
            SupervisionCommands.Create(),
            PowerCommands.CreatePower(),
            PowerCommands.CreateSystem(),
            EventCommands.CreateEvents(),
            EventCommands.CreateLog(),
            StatusCommands.CreateStatus(),
            BoardCommands.Create(),
            FlashCommands.Create(),
            VirtualBoardCommands.CreateUp(),
            VirtualBoardCommands.CreateDown(),
            CompletionCommand.Create(),
        };
        root.Options.Add(CliContext.SocketOption);
        root.Options.Add(CliContext.OutputOption);
        root.Options.Add(CliContext.QuietOption);
        root.Options.Add(CliContext.TimeoutOption);
        root.Options.Add(CliContext.NoColorOption);
        return root;
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
