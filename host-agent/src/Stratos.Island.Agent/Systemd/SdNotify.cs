// systemd's notification protocol (sd_notify(3)): datagrams "READY=1", "WATCHDOG=1", "STOPPING=1",
// "STATUS=..." to the AF_UNIX datagram socket named by $NOTIFY_SOCKET; a name starting with '@' is
// an abstract socket (the '@' becomes a NUL byte). The watchdog is armed only when $WATCHDOG_USEC is
// set and $WATCHDOG_PID is unset or equals this process's pid; pings go out every half interval.
using System;
using System.Collections;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Stratos.Island.Agent.Systemd;

public sealed class SdNotify : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly CancellationTokenSource _stop = new();
    private Task _watchdog = Task.CompletedTask;

    private SdNotify(string? socketName, TimeSpan? watchdogInterval)
    {
        WatchdogInterval = watchdogInterval;
        if (string.IsNullOrEmpty(socketName))
        {
            return;
        }

        string path = socketName[0] == '@' ? "\0" + socketName[1..] : socketName;
        _endpoint = new UnixDomainSocketEndPoint(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>True when $NOTIFY_SOCKET was set.</summary>
    public bool Enabled => _socket is not null;

    /// <summary>Watchdog ping period requested by systemd (null: no watchdog for us).</summary>
    public TimeSpan? WatchdogInterval { get; }

    public static SdNotify FromEnvironment(IDictionary environment, int pid)
    {
        string? socket = environment["NOTIFY_SOCKET"] as string;
        TimeSpan? interval = null;
        if (environment["WATCHDOG_USEC"] is string usecText && ulong.TryParse(usecText, out ulong usec) && usec > 0)
        {
            bool forUs = environment["WATCHDOG_PID"] is not string pidText || (int.TryParse(pidText, out int watchdogPid) && watchdogPid == pid);
            if (forUs)
            {
                interval = TimeSpan.FromMicroseconds(usec / 2);
            }
        }

        return new SdNotify(socket, interval);
    }

    /// <summary>Sends one state string; false when there is no socket or the send failed.</summary>
    public bool Notify(string state)
    {
        if (_socket is null || _endpoint is null)
        {
            return false;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>READY=1, then WATCHDOG=1 every half interval while <paramref name="healthy"/> says so.</summary>
    public void Ready(string status, Func<bool>? healthy = null)
    {
        Notify("READY=1\nSTATUS=" + status);
        if (WatchdogInterval is TimeSpan interval && Enabled)
        {
            _watchdog = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    if (healthy is null || healthy())
                    {
                        Notify("WATCHDOG=1");
                    }
                }
            });
        }
    }

    public void Stopping() => Notify("STOPPING=1");

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _watchdog.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Normal end of the watchdog loop.
        }

        _socket?.Dispose();
    }
}
