using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Stratos.Island.Sim.Tests;

// One test's private world: a temp directory holding the shm file, the kick socket, the state dir
// and a copy of the virtual board's vms.yaml (autostart off, so the tests start VMs themselves).
public sealed class SimWorld : IDisposable
{
    public SimWorld()
    {
        Root = Path.Combine(Path.GetTempPath(), "island-sim-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(StateDir);
        string vms = File.ReadAllText(Path.Combine(RepoBoardsDir, "virtual", "vms.yaml"));
        File.WriteAllText(ConfigPath, vms.Replace("autostart: true", "autostart: false", StringComparison.Ordinal));
    }

    public string Root { get; }

    public string ShmPath => Path.Combine(Root, "shm");

    public string KickSocket => Path.Combine(Root, "kick");

    public string StateDir => Path.Combine(Root, "state");

    public string ControlSocket => Path.Combine(StateDir, "control.sock");

    public string ConfigPath => Path.Combine(Root, "vms.yaml");

    public static string RepoBoardsDir
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Stratos.Island.sln")))
                {
                    return Path.Combine(dir.FullName, "boards");
                }
            }

            throw new DirectoryNotFoundException("repository root (Stratos.Island.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public string[] Arguments(params string[] extra)
    {
        var args = new List<string>
        {
            "--board", Path.Combine(RepoBoardsDir, "virtual", "board.yaml"),
            "--config", ConfigPath,
            "--state-dir", StateDir,
            "--shm-path", ShmPath,
            "--kick-socket", KickSocket,
        };
        args.AddRange(extra);
        return args.ToArray();
    }

    // Sends one control command and returns the answer line.
    public string Control(string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(ControlSocket));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        byte[] bytes = Encoding.UTF8.GetBytes(command + "\n");
        stream.Write(bytes, 0, bytes.Length);
        return reader.ReadLine() ?? string.Empty;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

// A running island-sim (supervisor) with its stderr collected line by line, each line stamped with
// the Stopwatch time at which the test read it.
public sealed class SimProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<(long Ticks, string Line)> _lines = new();

    private SimProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (_lines)
                {
                    _lines.Add((Stopwatch.GetTimestamp(), e.Data));
                }
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static SimProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "island-sim.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new SimProcess(Process.Start(start) ?? throw new InvalidOperationException("island-sim did not start"));
    }

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

    // Stopwatch timestamp of the n-th (0-based) line containing text, or null.
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

    public long WaitForLine(string text, int timeoutMs, int occurrence = 0)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            long? t = LineTime(text, occurrence);
            if (t != null)
            {
                return t.Value;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the output readers
                if (LineTime(text, occurrence) == null)
                {
                    throw new InvalidOperationException("island-sim exited with " + _process.ExitCode + " before printing '" + text + "'; output:\n" + Output);
                }

                continue;
            }

            Thread.Sleep(2);
        }

        throw new TimeoutException("island-sim did not print '" + text + "' within " + timeoutMs + " ms; output:\n" + Output);
    }

    public bool WaitForExit(int timeoutMs)
    {
        if (!_process.WaitForExit(timeoutMs))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    public void Signal(int signal) => Kill(_process.Id, signal);

    public static void Kill(int pid, int signal)
    {
        using Process kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, pid.ToString() }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal(15);
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit();
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
