using System.CommandLine;
using System.Threading.Tasks;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island completion bash`: prints a completion script (uses the [suggest] directive).</summary>
public static class CompletionCommand
{
    private const string BashScript = """
        # bash completion for island; install with:  island completion bash > /etc/bash_completion.d/island
        _island_complete() {
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "$(island "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _island_complete island
        """;

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "Shell to complete for (bash)" };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", "Print a shell completion script");
        command.Arguments.Add(shell);
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(BashScript);
            return 0;
        });
        return command;
    }
}
