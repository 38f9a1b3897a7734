using System.Collections;
using System.Globalization;
using System.IO;
using System.Threading;
using Stratos.Island.Cli.Commands;
using Stratos.Island.Grpc;

namespace Stratos.Island.Cli;

/// <summary>
/// `island vm list` without System.CommandLine: the command scripts and monitors run most, and
/// building and invoking the command tree costs more than the call itself (docs/cli.md, start-up).
/// Only the plainest spelling is taken: the words `vm list` and the global options as separate
/// words (`--socket P`, `-o|--output table|json`, `-q|--quiet`, `--timeout S`, `--no-color`), each
/// at most once. Anything else (help, `--output=json`, an unknown word, a bad value) returns null
/// and the full parser handles it, so errors and help read exactly as everywhere else. Cli.Tests
/// runs both paths on the same command lines and compares their output.
/// </summary>
public static class FastPath
{
    /// <summary>Runs the command line if it is one this path takes; null otherwise.</summary>
    public static int? TryRun(string[] args, TextWriter stdout, TextWriter stderr, IDictionary environment, bool stdoutIsTerminal)
    {
        string? socket = null, output = null, timeout = null;
        bool quiet = false, noColor = false;
        int words = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--socket":
                    if (socket is not null || !TryValue(args, ref i, out socket))
                        return null;
                    break;
                case "-o":
                case "--output":
                    if (output is not null || !TryValue(args, ref i, out output))
                        return null;
                    break;
                case "--timeout":
                    if (timeout is not null || !TryValue(args, ref i, out timeout))
                        return null;
                    break;
                case "-q":
                case "--quiet":
                    if (quiet)
                        return null;
                    quiet = true;
                    break;
                case "--no-color":
                    if (noColor)
                        return null;
                    noColor = true;
                    break;
                default:
                    // Exactly "vm" then "list"; any other word goes to the full parser.
                    if (!(words == 0 && arg == "vm") && !(words == 1 && arg == "list"))
                        return null;
                    words++;
                    break;
            }
        }

        if (words != 2 || output is not (null or "table" or "json"))
            return null;
        double seconds = 15.0;
        if (timeout is not null && !double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
            return null;

        using var context = new CliContext(socket, output == "json", quiet, seconds, noColor, stdout, stderr, environment, stdoutIsTerminal);
        try
        {
            return VmCommands.List(context, CancellationToken.None);
        }
        catch (GrpcException e)
        {
            return Program.Fail(e, context, stderr);
        }
    }

    private static bool TryValue(string[] args, ref int i, out string? value)
    {
        // A following option is not a value (the full parser reports the missing one).
        if (i + 1 >= args.Length || args[i + 1].StartsWith('-'))
        {
            value = null;
            return false;
        }

        value = args[++i];
        return true;
    }
}
