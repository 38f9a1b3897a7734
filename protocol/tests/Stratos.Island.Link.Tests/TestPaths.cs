using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace Stratos.Island.Link.Tests;

/// <summary>Unique shm/socket names per test, and the peer process (the bench program in peer mode).</summary>
internal sealed class TestPaths : IDisposable
{
    private static int _counter;

    public TestPaths()
    {
        string id = Environment.ProcessId + "-" + Interlocked.Increment(ref _counter) + "-" + Guid.NewGuid().ToString("N")[..8];
        Shm = "/dev/shm/stratos-link-test-" + id;
        Socket = Path.Combine(Path.GetTempPath(), "stratos-link-test-" + id + ".sock");
    }

    public string Shm { get; }

    public string Socket { get; }

    public void Dispose()
    {
        File.Delete(Shm);
        File.Delete(Socket);
    }

    public static Process StartPeer(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Stratos.Island.Link.Bench.dll");
        ProcessStartInfo start = new("dotnet") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the peer");
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) Console.WriteLine("peer: " + e.Data); };
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process? process)
    {
        if (process == null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5_000);
        }

        process.Dispose();
    }
}
