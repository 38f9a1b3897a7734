using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Stratos.Island.VirtualBoard;

/// <summary>
/// island-sim or the agent started as a child of the caller (benches, tests): its output read line by
/// line (a full pipe would stall it), each line kept with the Stopwatch time it was read and handed
/// to an optional sink (a log file). Disposing stops it: SIGTERM, then SIGKILL of its tree after
/// <see cref="StopGraceMs"/>. A <see cref="Lifeline"/> kills its tree if the caller ends without
/// disposing it (a test host SIGKILLed, a run interrupted).
/// </summary>
public sealed class BoardProcess : IDisposable
{
    /// <summary>How long a SIGTERM may take before the process tree is killed.</summary>
    public const int StopGraceMs = 5000;

    private readonly Process _process;
    private readonly Process _lifeline;
    private readonly List<(long Ticks, string Line)> _lines = new();

    private BoardProcess(string name, Process process, Action<BoardProcess, string>? sink)
    {
        Name = name;
        _process = process;
        _lifeline = Lifeline.Watch(Environment.ProcessId, process.Id);
        void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Add((Stopwatch.GetTimestamp(), line));
            }

            sink?.Invoke(this, line);
        }

        _process.OutputDataReceived += (_, e) => Read(e.Data);
        _process.ErrorDataReceived += (_, e) => Read(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="command"/>; <paramref name="sink"/> gets every output line (on a reader thread).</summary>
    public static BoardProcess Start(string name, LaunchCommand command, Action<BoardProcess, string>? sink = null, string? workingDirectory = null)
    {
        ProcessStartInfo start = command.ToStartInfo();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new VirtualBoardException($"virtual board: {name} ({command.Program}) did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VirtualBoardException($"virtual board: cannot start {name} ({command.Program}): {e.Message}", e);
        }

        return new BoardProcess(name, process, sink);
    }

    /// <summary>"island-sim" or "island-agent", for messages.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Every line so far, stdout and stderr interleaved as read.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join("\n", _lines.ConvertAll(l => l.Line));
            }
        }
    }

    /// <summary>Stopwatch timestamp of the n-th (0-based) line containing <paramref name="text"/>, or null.</summary>
    public long? LineTime(string text, int occurrence = 0)
    {
        lock (_lines)
        {
            int seen = 0;
            foreach ((long ticks, string line) in _lines)
            {
                if (line.Contains(text, StringComparison.Ordinal) && seen++ == occurrence)
                {
                    return ticks;
                }
            }
        }

        return null;
    }

    /// <summary>Waits for the n-th line containing <paramref name="text"/>; its timestamp. Throws with the output when the process exits first or the time is up.</summary>
    public long WaitForLine(string text, int timeoutMs, int occurrence = 0)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (LineTime(text, occurrence) is long ticks)
            {
                return ticks;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the output readers
                if (LineTime(text, occurrence) is long late)
                {
                    return late;
                }

                throw new VirtualBoardException($"{Name} exited with {_process.ExitCode} before printing '{text}'; output:\n{Output}");
            }

            Thread.Sleep(2);
        }

        throw new TimeoutException($"{Name} did not print '{text}' within {timeoutMs} ms; output:\n{Output}");
    }

    /// <summary>True when it exited within the time (its output then fully read).</summary>
    public bool WaitForExit(int timeoutMs)
    {
        if (!_process.WaitForExit(timeoutMs))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    /// <summary>Sends a POSIX signal to the process (not its children).</summary>
    public void Signal(int signal) => PosixProcess.Send(_process.Id, signal);

    /// <summary>SIGKILL to the process and its children; returns once it is reaped.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then <see cref="Kill"/> after <paramref name="graceMs"/>.</summary>
    public void Stop(int graceMs = StopGraceMs)
    {
        try
        {
            if (!_process.HasExited)
            {
                PosixProcess.Send(_process.Id, PosixProcess.SIGCONT); // a frozen process cannot act on SIGTERM
                Signal(PosixProcess.SIGTERM);
                if (!_process.WaitForExit(graceMs))
                {
                    Kill();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already disposed.
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _lifeline.Dispose(); // it sees the child gone within a second and exits
    }
}
