// The simulator's log: one line per message, "<utc time> <level> <text>", to stderr and appended to
// <state-dir>/island.log. Thread-safe (main loop, watchdog thread, control socket thread).
using System;
using System.IO;

namespace Stratos.Island.Sim;

public enum SimLogLevel
{
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

public sealed class SimLog : IDisposable
{
    private readonly object _gate = new();
    private readonly SimLogLevel _level;
    private StreamWriter? _file;

    public SimLog(SimLogLevel level, string prefix)
    {
        _level = level;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public static bool TryParseLevel(string text, out SimLogLevel level)
    {
        switch (text)
        {
            case "debug": level = SimLogLevel.Debug; return true;
            case "info": level = SimLogLevel.Info; return true;
            case "warn": level = SimLogLevel.Warn; return true;
            case "error": level = SimLogLevel.Error; return true;
            default: level = SimLogLevel.Info; return false;
        }
    }

    public void OpenFile(string path)
    {
        lock (_gate)
        {
            _file = new StreamWriter(Stratos.Island.Link.Linux.PrivateEndpoints.OpenFile(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    public bool Enabled(SimLogLevel level) => level >= _level;

    public void Debug(string text) => Write(SimLogLevel.Debug, text);

    public void Info(string text) => Write(SimLogLevel.Info, text);

    public void Warn(string text) => Write(SimLogLevel.Warn, text);

    public void Error(string text) => Write(SimLogLevel.Error, text);

    public void Write(SimLogLevel level, string text)
    {
        if (level < _level)
        {
            return;
        }

        string line = DateTime.UtcNow.ToString("HH:mm:ss.fff") + " " + level.ToString().ToLowerInvariant() + " " + Prefix + ": " + text;
        lock (_gate)
        {
            Console.Error.WriteLine(line);
            _file?.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }
}
