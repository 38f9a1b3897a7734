// The doorbell of the virtual board: one byte written to an AF_UNIX stream socket per kick, as on
// OpenAMP's Linux reference machine. The device (island) listens, the driver (agent) connects.
// Whoever receives a kick services both vrings; the byte's value means nothing, and several kicks
// may arrive as one read (kicks coalesce, exactly like an interrupt line).
//
// Peer restarts: the listener accepts a new connection at any time; a closed connection (EOF, reset)
// or one replaced by a newer connection is reported once by Wait as PeerReset. The first connection
// after none is a plain wake-up: the agent that made it initialises the rings itself. The driver reconnects by itself
// inside Wait. Either way RpmsgLink.NotifyPeerReset is the caller's next step (SharedMemoryLinkPort
// does it).
using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public enum KickWaitResult
{
    Kicked = 0,
    Timeout = 1,
    /// <summary>The peer's connection closed, a new one replaced it, or (agent side) it reconnected.</summary>
    PeerReset = 2,
}

public sealed unsafe class UnixKickChannel : IDoorbell, IDisposable
{
    private readonly string _path;
    private readonly bool _listening;
    private Socket? _listener;
    private Socket? _connection;
    private readonly byte[] _one = { 1 };
    private readonly byte[] _drain = new byte[256];
    // Wakes Wait from another thread (Wake): an eventfd in the poll set, so a message queued by an
    // API thread goes out now instead of at the link thread's next turn. Guarded by _wakeGate so a
    // Wake racing Dispose never writes to a closed (possibly reused) descriptor.
    private readonly object _wakeGate = new();
    private int _wakeFd = -1;

    private UnixKickChannel(string path, bool listening)
    {
        _path = path;
        _listening = listening;
        _wakeFd = Native.eventfd(0, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK);
    }

    /// <summary>Times <see cref="Wait"/> returned early because of <see cref="Wake"/>.</summary>
    public int Wakeups { get; private set; }

    /// <summary>Makes a blocked (or the next) <see cref="Wait"/> return at once. Any thread; never blocks.</summary>
    public void Wake()
    {
        lock (_wakeGate)
        {
            if (_wakeFd < 0)
            {
                return;
            }

            ulong one = 1;
            Native.write(_wakeFd, (byte*)&one, sizeof(ulong));   // EAGAIN only when the counter is saturated: already awake
        }
    }

    public int KicksSent { get; private set; }

    public int KicksDropped { get; private set; }

    public bool IsConnected => _connection != null;

    /// <summary>Device side: binds the socket path (replacing a stale socket file), mode 0600 or 0660 to
    /// <paramref name="groupId"/>, and listens.</summary>
    public static UnixKickChannel Listen(string path, int? groupId = null)
    {
        UnixKickChannel channel = new(path, listening: true);
        // Mode 0600 (or 0660 to the link group) before listen: whoever connects here kicks the island.
        Socket listener = PrivateEndpoints.ListenUnix(path, 4, groupId);
        listener.Blocking = false;
        channel._listener = listener;
        return channel;
    }

    /// <summary>Driver side: connects, retrying until timeoutMs passes (the island may still be booting).</summary>
    public static UnixKickChannel Connect(string path, int timeoutMs)
    {
        UnixKickChannel channel = new(path, listening: false);
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!channel.TryConnect())
        {
            if (Environment.TickCount64 >= deadline)
            {
                channel.Dispose();
                throw new TimeoutException("no island listening on kick socket '" + path + "' after " + timeoutMs + " ms");
            }

            Thread.Sleep(5);
        }

        return channel;
    }

    private bool TryConnect()
    {
        Socket socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(_path));
        }
        catch (SocketException)
        {
            socket.Dispose();
            return false;
        }

        socket.Blocking = false;
        _connection = socket;
        return true;
    }

    /// <summary>Writes one byte; never blocks. A full socket buffer already holds unread kicks, so the
    /// byte is dropped; with no peer the kick is dropped too (the peer polls when it comes back).</summary>
    public void Kick()
    {
        Socket? connection = _connection;
        if (connection == null)
        {
            KicksDropped++;
            return;
        }

        connection.Send(_one, 0, 1, SocketFlags.None, out SocketError error);
        if (error == SocketError.Success)
        {
            KicksSent++;
        }
        else
        {
            KicksDropped++;
        }
    }

    /// <summary>Blocks up to timeoutMs for a kick (or a peer change). Drains every pending kick byte.</summary>
    public KickWaitResult Wait(int timeoutMs)
    {
        if (!_listening && _connection == null)
        {
            // Driver lost its island: try to reconnect, a new connection is itself a reset.
            long deadline = Environment.TickCount64 + timeoutMs;
            while (!TryConnect())
            {
                if (Environment.TickCount64 >= deadline)
                {
                    return KickWaitResult.Timeout;
                }

                Thread.Sleep(Math.Min(5, Math.Max(1, timeoutMs)));
            }

            return KickWaitResult.PeerReset;
        }

        Native.PollFd* fds = stackalloc Native.PollFd[3];
        int count = 0;
        int connectionIndex = -1;
        int listenerIndex = -1;
        int wakeIndex = -1;
        if (_wakeFd >= 0)
        {
            wakeIndex = count;
            fds[count++] = new Native.PollFd { Fd = _wakeFd, Events = Native.POLLIN };
        }
        if (_connection != null)
        {
            connectionIndex = count;
            fds[count++] = new Native.PollFd { Fd = (int)_connection.Handle, Events = Native.POLLIN };
        }

        if (_listener != null)
        {
            listenerIndex = count;
            fds[count++] = new Native.PollFd { Fd = (int)_listener.Handle, Events = Native.POLLIN };
        }

        int ready = Native.poll(fds, (nuint)count, timeoutMs);
        if (ready <= 0)
        {
            return KickWaitResult.Timeout; // timeout, or EINTR: the caller polls the rings anyway
        }

        if (wakeIndex >= 0 && fds[wakeIndex].Revents != 0)
        {
            ulong counter;
            Native.read(_wakeFd, (byte*)&counter, sizeof(ulong));
            Wakeups++;
        }

        bool reset = false;
        if (listenerIndex >= 0 && fds[listenerIndex].Revents != 0)
        {
            try
            {
                Socket accepted = _listener!.Accept();
                accepted.Blocking = false;
                Socket? old = _connection;
                _connection = accepted;
                if (old != null)
                {
                    // A new agent while the old connection looked alive: the old agent is gone.
                    old.Dispose();
                    reset = true;
                }
            }
            catch (SocketException)
            {
                // The connecting peer went away again; nothing changes.
            }
        }

        if (connectionIndex >= 0 && fds[connectionIndex].Revents != 0 && !reset)
        {
            int received = _connection!.Receive(_drain, 0, _drain.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return KickWaitResult.Kicked;
            }

            if (error != SocketError.Success || received == 0)
            {
                _connection.Dispose();
                _connection = null;
                return KickWaitResult.PeerReset;
            }
        }

        return reset ? KickWaitResult.PeerReset : KickWaitResult.Kicked;
    }

    public void Dispose()
    {
        lock (_wakeGate)
        {
            if (_wakeFd >= 0)
            {
                Native.close(_wakeFd);
                _wakeFd = -1;
            }
        }

        _connection?.Dispose();
        _connection = null;
        if (_listener != null)
        {
            _listener.Dispose();
            _listener = null;
            try
            {
                File.Delete(_path);
            }
            catch (IOException)
            {
                // Someone else already replaced it; not ours to remove.
            }
        }
    }
}
