// A UNIX stream socket that takes one command per line and answers each with one line, served on
// its own thread, one client at a time: the shape of the test hooks on the virtual board
// (island-sim's --control-socket, the agent's --fault-socket). The socket file is replaced at start
// (a stale one from a killed run), optionally restricted to the owner, and removed at dispose.
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public sealed class LineCommandSocket : IDisposable
{
    private readonly string _path;
    private readonly Socket _listener;
    private readonly Func<string, string> _execute;
    private readonly Thread _thread;
    private volatile bool _disposed;

    /// <summary>
    /// Listens on <paramref name="path"/> (its folder is created); <paramref name="execute"/> gets
    /// each line as received and returns the answer line. IOException names the path on failure.
    /// </summary>
    public LineCommandSocket(string path, Func<string, string> execute, string threadName, bool ownerOnly = false)
    {
        _path = path;
        _execute = execute;
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            if (ownerOnly && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            _listener.Listen(4);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new IOException($"'{path}': cannot listen: {e.Message}", e);
        }

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
