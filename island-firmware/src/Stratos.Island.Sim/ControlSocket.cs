// The fault-injection socket for the HIL bench: a UNIX stream socket taking one command per line.
//   hang    -> "ok hang": the main loop stops (the hardware watchdog must fire and reset the island)
//   reset   -> "ok reset": immediate restart, reset reason SOFTWARE
//   status  -> one JSON line: boot id, reset reason, cycle count, session state, link counters
//   powercut N [mid] -> "ok powercut N": the Nth flash write from now kills the island (SIGKILL) as a
//              power loss would; with "mid" half of that write reaches the file first (torn record)
// Anything else -> "error ..." naming the command. Served on its own thread (LineCommandSocket); commands only set
// flags the main loop reads, and status reads counters the main loop writes (a diagnostic snapshot).
using System;
using Stratos.Island.TestHooks;

namespace Stratos.Island.Sim;

public sealed class ControlSocket : IDisposable
{
    private readonly LineCommandSocket _socket;
    private readonly Func<string> _status;
    private readonly SimLog _log;
    private readonly FileFlash? _flash;

    public ControlSocket(string path, Func<string> status, SimLog log, FileFlash? flash = null)
    {
        _flash = flash;
        _status = status;
        _log = log;
        _socket = new LineCommandSocket(path, line => Execute(line.Trim()), "control-socket");
    }

    public volatile bool HangRequested;

    public volatile bool ResetRequested;

    private string Execute(string command)
    {
        if (command.StartsWith("powercut", StringComparison.Ordinal))
        {
            return PowerCut(command);
        }

        switch (command)
        {
            case "hang":
                _log.Warn("control: hang (main loop stops; the watchdog must fire)");
                HangRequested = true;
                return "ok hang";
            case "reset":
                _log.Warn("control: reset (software reset)");
                ResetRequested = true;
                return "ok reset";
            case "status":
                return _status();
            case "":
                return "error empty command (hang, reset, status, powercut N [mid])";
            default:
                return "error unknown command '" + command + "' (hang, reset, status, powercut N [mid])";
        }
    }

    private string PowerCut(string command)
    {
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || words.Length > 3 || !int.TryParse(words[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            || n < 1 || n > 1_000_000 || (words.Length == 3 && words[2] != "mid"))
        {
            return "error '" + command + "': expected powercut N [mid] with N in 1..1000000 (the Nth flash write from now)";
        }

        if (_flash is null)
        {
            return "error powercut: this island has no file flash";
        }

        bool mid = words.Length == 3;
        _log.Warn("control: power cut armed at flash write " + n + " from now" + (mid ? ", mid-write" : ""));
        _flash.ArmPowerCut(n, mid);
        return "ok powercut " + n + (mid ? " mid" : "");
    }

    public void Dispose() => _socket.Dispose();
}
