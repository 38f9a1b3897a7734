using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Stratos.Island.Link.Tests;

/// <summary>A test peer written in Python (Peers/*.py), driven line by line over stdin/stdout.</summary>
internal sealed class PythonPeer : IDisposable
{
    private readonly Process _process;
    private readonly StringWriter _stderr = new();
    private Task<string?>? _pendingLine;

    private PythonPeer(Process process)
    {
        _process = process;
    }

    public static PythonPeer Start(string script, params string[] args)
    {
        ProcessStartInfo start = new("python3")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Peers", script));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var peer = new PythonPeer(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (peer._stderr)
                {
                    peer._stderr.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        return peer;
    }

    public int Pid => _process.Id;

    /// <summary>The next line of output, or null when none came within timeoutMs.</summary>
    public string? TryReadLine(int timeoutMs)
    {
        // A read that timed out stays pending and is picked up by the next call (one read at a time).
        Task<string?> line = _pendingLine ??= _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeoutMs))
        {
            return null;
        }

        _pendingLine = null;
        return line.Result;
    }

    public string ReadLine(int timeoutMs, string what)
    {
        string? line = TryReadLine(timeoutMs);
        if (line == null)
        {
            Assert.Fail("the python peer did not " + what + " within " + timeoutMs + " ms; stderr: " + Stderr);
        }

        return line!;
    }

    /// <summary>Sends one command line without waiting for an answer.</summary>
    public void Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    /// <summary>Sends one command and returns the answer line.</summary>
    public string Ask(string command, int timeoutMs = 5_000)
    {
        Send(command);
        return ReadLine(timeoutMs, "answer '" + command + "'");
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }
}
