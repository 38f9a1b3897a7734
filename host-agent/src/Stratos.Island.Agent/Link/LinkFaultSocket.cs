// The HIL test hook's command socket (--fault-socket PATH, off by default): a UNIX stream socket
// taking one LinkFaults command per line and answering one line each. Served on its own thread;
// the socket file is created 0600 (only the agent's user may inject faults) and removed at dispose.
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Stratos.Island.Agent.Link;

public sealed class LinkFaultSocket : IDisposable
{
    private readonly string _path;
    private readonly Socket _listener;
    private readonly LinkFaults _faults;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private volatile bool _disposed;

    public LinkFaultSocket(string path, LinkFaults faults, ILogger logger)
    {
        _path = path;
        _faults = faults;
        _logger = logger;
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
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            _listener.Listen(4);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new IOException($"--fault-socket '{path}': cannot listen: {e.Message}", e);
        }

        _thread = new Thread(Serve) { IsBackground = true, Name = "link-fault-socket" };
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
                    string answer = _faults.Execute(line);
                    if (!line.Trim().Equals("status", StringComparison.Ordinal))
                    {
                        _logger.LogWarning("link fault injection: {Command} -> {Answer}", line.Trim(), answer);
                    }

                    writer.WriteLine(answer);
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
