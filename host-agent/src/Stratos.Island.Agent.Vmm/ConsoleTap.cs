using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Vmm;

/// <summary>
/// The guest console tap: a UNIX stream socket RUN/NAME/console.sock (mode 0660) that shares the
/// guest's serial console, which QEMU's chardev server gives to one client only (the agent).
/// <para>
/// Contract (docs/agent.md, "Guest console tap"):
///   client -> guest   every LF-terminated line (a CR before the LF is dropped) of at most
///                     <see cref="MaxClientLineChars"/> bytes is written to the guest's serial input
///                     verbatim, serialised with every other write of the agent
///                     (<see cref="GuestSerialReader.SendLineAsync"/>); a longer line is not forwarded
///                     and the client gets the one line <see cref="LineTooLongReply"/>.
///   guest -> clients  every line the guest prints is copied to every connected client, unprefixed.
///                     Each client has a bounded queue (<see cref="ClientQueueLines"/>); while it is full
///                     further lines for that client are dropped (counted), so a slow client never
///                     blocks the serial reader or the other clients.
/// Any number of clients; the tap lives as long as the VM's serial connection and removes its socket
/// file when disposed (the VM's runtime folder goes with the VM anyway).
/// </para>
/// </summary>
public sealed class ConsoleTap : IAsyncDisposable
{
    /// <summary>Longest client line forwarded to the guest (the guest's own line limit).</summary>
    public const int MaxClientLineChars = 120;
    /// <summary>Guest lines queued per client before lines are dropped for that client.</summary>
    public const int ClientQueueLines = 1024;
    /// <summary>The reply to a line over <see cref="MaxClientLineChars"/>.</summary>
    public const string LineTooLongReply = "error: line longer than 120 characters";

    /// <summary>Kernel send buffer per client: with the queue it bounds what a stalled client holds.</summary>
    private const int ClientSendBufferBytes = 8192;
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private readonly Socket _listener;
    private readonly GuestSerialReader _serial;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Client> _clients = new();
    private readonly Task _acceptLoop;
    private long _nextClientId;
    private long _linesDropped;
    private int _disposed;

    private ConsoleTap(Socket listener, string path, GuestSerialReader serial)
    {
        _listener = listener;
        _serial = serial;
        SocketPath = path;
        _serial.LineReceived += OnGuestLine;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Binds the tap's socket (replacing a dead socket file left by a previous agent) and starts accepting.</summary>
    public static ConsoleTap Start(string socketPath, GuestSerialReader serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, SocketMode);
            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new ConsoleTap(listener, socketPath, serial);
    }

    public string SocketPath { get; }

    /// <summary>Clients connected now.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Guest lines dropped for clients whose queue was full.</summary>
    public long LinesDropped => Interlocked.Read(ref _linesDropped);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.SendBufferSize = ClientSendBufferBytes;
            var client = new Client(Interlocked.Increment(ref _nextClientId), socket);
            _clients[client.Id] = client;
            client.Pump = Task.Run(() => ServeAsync(client));
        }
    }

    private void OnGuestLine(string line)
    {
        if (_clients.IsEmpty)
            return;
        byte[] bytes = new byte[line.Length + 1];
        Encoding.Latin1.GetBytes(line, bytes);
        bytes[^1] = (byte)'\n';
        foreach (Client client in _clients.Values)
        {
            if (!client.Outgoing.Writer.TryWrite(bytes))
                Interlocked.Increment(ref _linesDropped);
        }
    }

    /// <summary>Runs a client's writer and reader; the client is gone when either ends.</summary>
    private async Task ServeAsync(Client client)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        Task writer = WriteToClientAsync(client, ended.Token);
        Task reader = ReadFromClientAsync(client, ended.Token);
        await Task.WhenAny(writer, reader).ConfigureAwait(false);
        _clients.TryRemove(client.Id, out _);
        client.Outgoing.Writer.TryComplete();
        ended.Cancel();
        client.Socket.Dispose();
        await Task.WhenAll(writer, reader).ConfigureAwait(false);
    }

    private static async Task WriteToClientAsync(Client client, CancellationToken token)
    {
        try
        {
            await foreach (byte[] line in client.Outgoing.Reader.ReadAllAsync(token).ConfigureAwait(false))
                await client.Socket.SendAsync(line, SocketFlags.None, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away or the tap is closing.
        }
    }

    private async Task ReadFromClientAsync(Client client, CancellationToken token)
    {
        var buffer = new byte[512];
        var line = new byte[MaxClientLineChars + 1];
        int length = 0;
        bool tooLong = false;
        try
        {
            while (true)
            {
                int n = await client.Socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                if (n == 0)
                    return;
                for (int i = 0; i < n; i++)
                {
                    byte b = buffer[i];
                    if (b != (byte)'\n')
                    {
                        if (length < line.Length)
                            line[length++] = b;
                        else
                            tooLong = true;
                        continue;
                    }

                    int end = length > 0 && line[length - 1] == (byte)'\r' ? length - 1 : length;
                    if (tooLong || end > MaxClientLineChars)
                        client.Outgoing.Writer.TryWrite(Encoding.ASCII.GetBytes(LineTooLongReply + "\n"));
                    else
                        await _serial.SendLineAsync(line.AsMemory(0, end), token).ConfigureAwait(false);
                    length = 0;
                    tooLong = false;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or VmmException)
        {
            // Client gone, tap closing, or the guest's serial connection closed (QEMU exited).
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _serial.LineReceived -= OnGuestLine;
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The runtime folder is removed with the VM.
        }

        await _acceptLoop.ConfigureAwait(false);
        foreach (Client client in _clients.Values)
        {
            if (client.Pump is not null)
                await client.Pump.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private sealed class Client
    {
        public Client(long id, Socket socket)
        {
            Id = id;
            Socket = socket;
        }

        public long Id { get; }
        public Socket Socket { get; }
        public Channel<byte[]> Outgoing { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ClientQueueLines) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        public Task? Pump { get; set; }
    }
}
