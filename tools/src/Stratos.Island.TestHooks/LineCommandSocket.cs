// A UNIX stream socket that takes one command per line and answers each with one line, served on
// its own thread, one client at a time: the shape of the test hooks on the virtual board
// (island-sim's --control-socket, the agent's --fault-socket). The socket file is replaced at start
// (a stale one from a killed run), optionally restricted to the owner, and removed at dispose.
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Stratos.Island.Link.Linux;

namespace Stratos.Island.TestHooks;

public sealed class LineCommandSocket : IDisposable
{
    private readonly string _path;
    private readonly Socket _listener;
    private readonly Func<string, string> _execute;
    private readonly Thread _thread;
    private volatile bool _disposed;

    /// <summary>
    /// Listens on <paramref name="path"/> (its folder is created, 0700, if missing); <paramref name="execute"/> gets
    /// each line as received and returns the answer line. IOException names the path on failure.
    /// </summary>
    public LineCommandSocket(string path, Func<string, string> execute, string threadName)
    {
        _path = path;
        _execute = execute;
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            PrivateEndpoints.CreateDirectory(directory);
        }

        // Owner-only (0600) before listen: a command socket drives the island or the link.
        _listener = PrivateEndpoints.ListenUnix(path, 4);

        _thread = new Thread(Serve) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    private void Serve()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                using var stream = new NetworkStream(client, ownsSocket: true);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    writer.WriteLine(_execute(line));
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Already gone.
        }
    }
}
