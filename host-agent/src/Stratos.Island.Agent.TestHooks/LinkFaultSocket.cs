// The HIL test hook's command socket (--fault-socket PATH, off by default): a UNIX stream socket
// taking one LinkFaults command per line and answering one line each (LineCommandSocket). The socket
// file is created 0600 (only the agent's user may inject faults) and removed at dispose; every
// command but `status` is logged as a warning.
using System;
using System.IO;
using Microsoft.Extensions.Logging;
using Stratos.Island.TestHooks;

namespace Stratos.Island.Agent.TestHooks;

public sealed class LinkFaultSocket : IDisposable
{
    private readonly LineCommandSocket _socket;

    public LinkFaultSocket(string path, LinkFaults faults, ILogger logger)
    {
        string Execute(string line)
        {
            string answer = faults.Execute(line);
            if (!line.Trim().Equals("status", StringComparison.Ordinal))
            {
                logger.LogWarning("link fault injection: {Command} -> {Answer}", line.Trim(), answer);
            }

            return answer;
        }

        try
        {
            _socket = new LineCommandSocket(path, Execute, "link-fault-socket");
        }
        catch (IOException e)
        {
            throw new IOException("--fault-socket " + e.Message, e);
        }
    }

    public void Dispose() => _socket.Dispose();
}
