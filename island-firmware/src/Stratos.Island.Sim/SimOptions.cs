// Command line of island-sim (docs/island-sim.md). Every problem is one SimConfigurationException
// naming the option, file or field; Program turns it into exit code 2.
using System;
using System.Collections.Generic;
using System.IO;
using Stratos.Island.Codec;

namespace Stratos.Island.Sim;

public sealed class SimConfigurationException(string message) : Exception(message);

/// <summary>How island-sim reaches the agent (--link).</summary>
public enum SimLinkKind
{
    SharedMemory,
    Serial,
    SerialSocket,
}

public sealed class SimOptions
{
    public const string Usage =
        "usage: island-sim [--board NAME|PATH] [--boards-dir DIR] [--config PATH] [--state-dir DIR]\n" +
        "                  [--shm-path PATH] [--kick-socket PATH] [--control-socket PATH]\n" +
        "                  [--log-level debug|info|warn|error] [--a-cluster-reset-hook CMD] [--link-key PATH|none]\n" +
        "                  [--link-group GROUP] [--bundle-pubkey PUB.pem]\n" +
        "                  [--link shared-memory|serial:DEVICE[@BAUD]|serial-socket:PATH] [--trace-heartbeats FILE]";

    public string Board { get; private set; } = "virtual";

    public string? BoardsDir { get; private set; }

    public string? ConfigPath { get; private set; }

    public string? StateDir { get; private set; }

    public string? ShmPath { get; private set; }

    public string? KickSocket { get; private set; }

    public string? ControlSocket { get; private set; }

    /// <summary>The link's board key file (docs/link.md "Authentication"); null = STATE_DIR/link.key, created when missing; "none" = no authentication.</summary>
    public string? LinkKey { get; private set; }

    /// <summary>--link-group: the shared-memory file and the kick socket are 0660 to this group (an
    /// agent running as a member may use them); null = 0600, the island's user alone.</summary>
    public string? LinkGroup { get; private set; }

    /// <summary>--bundle-pubkey: the release public key a --link-key bundle (BUNDLE.tar) must be signed with.</summary>
    public string? BundlePublicKey { get; private set; }

    public SimLogLevel LogLevel { get; private set; } = SimLogLevel.Info;

    public string? ACLusterResetHook { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Diagnostic (--trace-heartbeats): the file of the island's receive times of alive indications; null = off.</summary>
    public string? TraceHeartbeats { get; private set; }

    /// <summary>--link: null = the board's link.transport.</summary>
    public SimLinkKind? Link { get; private set; }

    /// <summary>--link serial:DEVICE / serial-socket:PATH: the tty or the socket path.</summary>
    public string? LinkPath { get; private set; }

    /// <summary>--link serial:DEVICE@BAUD (default 115200).</summary>
    public int LinkBaud { get; private set; } = 115200;

    // Internal: run the island itself (the supervisor re-executes itself with --child).
    public bool Child { get; private set; }

    // Internal: why the supervisor (re)started the child.
    public ResetReason ResetReason { get; private set; } = ResetReason.ProcessStart;

    // The user's arguments, without the internal ones (passed on to the child).
    public IReadOnlyList<string> UserArguments { get; private set; } = Array.Empty<string>();

    public static SimOptions Parse(string[] args)
    {
        var options = new SimOptions();
        var user = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h":
                case "--help":
                    options.ShowHelp = true;
                    continue;
                case "--child":
                    options.Child = true;
                    continue;
                case "--reset-reason":
                    string reason = Value(args, ref i, arg);
                    options.ResetReason = reason switch
                    {
                        "process-start" => ResetReason.ProcessStart,
                        "watchdog" => ResetReason.Watchdog,
                        "software" => ResetReason.Software,
                        "fault" => ResetReason.Fault,
                        _ => throw new SimConfigurationException("--reset-reason: '" + reason + "' is not process-start, watchdog, software or fault"),
                    };
                    continue;
            }

            string value = Value(args, ref i, arg);
            switch (arg)
            {
                case "--board": options.Board = value; break;
                case "--boards-dir": options.BoardsDir = value; break;
                case "--config": options.ConfigPath = value; break;
                case "--state-dir": options.StateDir = value; break;
                case "--link-key": options.LinkKey = value; break;
                case "--link-group": options.LinkGroup = value; break;
                case "--bundle-pubkey": options.BundlePublicKey = value; break;
                case "--shm-path": options.ShmPath = value; break;
                case "--kick-socket": options.KickSocket = value; break;
                case "--control-socket": options.ControlSocket = value; break;
                case "--a-cluster-reset-hook": options.ACLusterResetHook = value; break;
                case "--link": options.ParseLink(value); break;
                case "--trace-heartbeats": options.TraceHeartbeats = Path.GetFullPath(value); break;
                case "--log-level":
                    if (!SimLog.TryParseLevel(value, out SimLogLevel level))
                    {
                        throw new SimConfigurationException("--log-level: '" + value + "' is not debug, info, warn or error");
                    }

                    options.LogLevel = level;
                    break;
                default:
                    throw new SimConfigurationException("unknown option '" + arg + "'\n" + Usage);
            }

            user.Add(arg);
            user.Add(value);
        }

        options.UserArguments = user;
        return options;
    }

    private void ParseLink(string value)
    {
        if (value == "shared-memory")
        {
            Link = SimLinkKind.SharedMemory;
            return;
        }

        if (value.StartsWith("serial-socket:", StringComparison.Ordinal) && value.Length > "serial-socket:".Length)
        {
            Link = SimLinkKind.SerialSocket;
            LinkPath = value.Substring("serial-socket:".Length);
            return;
        }

        if (value.StartsWith("serial:", StringComparison.Ordinal) && value.Length > "serial:".Length)
        {
            string device = value.Substring("serial:".Length);
            int at = device.LastIndexOf('@');
            if (at >= 0)
            {
                if (!int.TryParse(device.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int baud) || baud <= 0)
                {
                    throw new SimConfigurationException("--link: '" + device.Substring(at + 1) + "' in '" + value + "' is not a baud rate");
                }

                LinkBaud = baud;
                device = device.Substring(0, at);
            }

            Link = SimLinkKind.Serial;
            LinkPath = device;
            return;
        }

        throw new SimConfigurationException("--link: '" + value + "' is not shared-memory, serial:DEVICE[@BAUD] or serial-socket:PATH");
    }

    public static string ResetReasonArgument(ResetReason reason) => reason switch
    {
        ResetReason.Watchdog => "watchdog",
        ResetReason.Software => "software",
        ResetReason.Fault => "fault",
        _ => "process-start",
    };

    // Default state directory: $XDG_RUNTIME_DIR/island/<board>, /run/island/<board> as root, else
    // /tmp/island-<user>/<board>.
    public static string DefaultStateDir(string boardId)
    {
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtime))
        {
            return Path.Combine(runtime, "island", boardId);
        }

        if (Environment.UserName == "root")
        {
            return Path.Combine("/run/island", boardId);
        }

        return Path.Combine(Path.GetTempPath(), "island-" + Environment.UserName, boardId);
    }

    private static string Value(string[] args, ref int i, string option)
    {
        if (!option.StartsWith("--", StringComparison.Ordinal) && !option.StartsWith('-'))
        {
            throw new SimConfigurationException("unexpected argument '" + option + "'\n" + Usage);
        }

        if (i + 1 >= args.Length)
        {
            throw new SimConfigurationException(option + ": missing value\n" + Usage);
        }

        i++;
        return args[i];
    }
}
