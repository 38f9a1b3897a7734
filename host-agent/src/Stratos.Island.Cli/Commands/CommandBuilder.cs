using System;
using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Cli.Commands;

/// <summary>A command body: runs with the shared context and returns an exit code.</summary>
public delegate Task<int> CommandBody(CliContext context, ParseResult parse, CancellationToken cancellationToken);

/// <summary>Small helpers to declare commands; the program supplies how a body is run.</summary>
public static class CommandBuilder
{
    /// <summary>Set by the program: wraps a body with context creation and error handling.</summary>
    public static Func<CommandBody, Func<ParseResult, CancellationToken, Task<int>>> Runner { get; set; } =
        _ => throw new InvalidOperationException("CommandBuilder.Runner is not set");

    public static Command Verb(string name, string description, CommandBody body, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Arguments.Add(argument); break;
                case Option option: command.Options.Add(option); break;
                default: throw new ArgumentException($"unsupported symbol {symbol.Name}");
            }
        }

        command.SetAction(Runner(body));
        return command;
    }

    public static Command Noun(string name, string description, params Command[] verbs)
    {
        var command = new Command(name, description);
        foreach (var verb in verbs)
        {
            command.Subcommands.Add(verb);
        }

        return command;
    }

    public static Argument<string> NameArgument(string what) => new("name") { Description = what };

    public static Option<string> ReasonOption() => new("--reason")
    {
        Description = "Why (recorded in the island's event log)",
        DefaultValueFactory = _ => "operator request",
    };
}
