// The island's HAL on Linux (docs/island-sim.md "HAL mapping").
using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Stratos.Island.Codec;
using Stratos.Island.Firmware.Hal;

namespace Stratos.Island.Sim;

/// <summary>Monotonic island time from Stopwatch, 0 at construction (island boot).</summary>
public sealed class StopwatchClock : IClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public long MonotonicMs => (Stopwatch.GetTimestamp() - _start) * 1000 / Stopwatch.Frequency;

    public long MonotonicUs => (long)((Stopwatch.GetTimestamp() - _start) * (1_000_000.0 / Stopwatch.Frequency));
}

/// <summary>
/// NOR flash in a file: erase sets a page to 0xFF, program only clears bits (new = old AND data).
/// Every operation is written through to the kernel before it returns, so a kill -9 keeps exactly the
/// operations that completed (the event log's recovery handles the torn one); a side thread fsyncs
/// them to the disk soon after, off the main loop.
/// A power cut can be armed (the control socket's <c>powercut</c>): at the Nth write from then on
/// the process dies by SIGKILL, either before that write (nothing of it reaches the file) or in the
/// middle of it (its first half is written and fsync'ed, the rest never), as a power loss would.
/// </summary>
public sealed class FileFlash : IFlash, IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _image;
    private readonly SimLog _log;
    private int _cutCountdown;
    private int _cutMidWrite;
    private long _writes;
    private readonly AutoResetEvent _syncWanted = new(false);
    private readonly object _syncLock = new();
    private volatile bool _disposed;

    public FileFlash(string path, int pageSize, int pageCount, SimLog log)
    {
        _log = log;
        PageSize = pageSize;
        PageCount = pageCount;
        int size = pageSize * pageCount;
        _image = new byte[size];
        // 0600 from creation on: the flash holds the island's event log and state.
        _file = Stratos.Island.Link.Linux.PrivateEndpoints.OpenFile(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (_file.Length != size)
        {
            if (_file.Length != 0)
            {
                log.Warn("flash file " + path + " is " + _file.Length + " bytes, the board's event log needs " + size + ": erased");
            }

            Array.Fill(_image, (byte)0xFF);
            _file.SetLength(0);
            _file.Write(_image, 0, size);
            _file.Flush(true);
        }

        else
        {
            _file.Position = 0;
            _file.ReadExactly(_image, 0, size);
        }

        new Thread(SyncLoop) { IsBackground = true, Name = "flash-sync" }.Start();
    }

    public int PageSize { get; }

    public int PageCount { get; }

    public void Read(int address, byte[] buffer, int offset, int count) => Array.Copy(_image, address, buffer, offset, count);

    public bool ErasePage(int pageIndex)
    {
        if (pageIndex < 0 || pageIndex >= PageCount)
        {
            return false;
        }

        Array.Fill(_image, (byte)0xFF, pageIndex * PageSize, PageSize);
        return WriteThrough(pageIndex * PageSize, PageSize);
    }

    public bool Program(int address, byte[] data, int offset, int count)
    {
        if (address < 0 || count < 0 || address + count > _image.Length)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            _image[address + i] &= data[offset + i];
        }

        return WriteThrough(address, count);
    }

    /// <summary>File created just before a power cut kills the process (see Supervisor).</summary>
    public string? PowerCutMarkerPath { get; init; }

    /// <summary>Flash writes (program + erase) since start.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Cut the power at the <paramref name="writesFromNow"/>th write from now (1 = the next one); any thread.</summary>
    public void ArmPowerCut(int writesFromNow, bool midWrite)
    {
        Volatile.Write(ref _cutMidWrite, midWrite ? 1 : 0);
        Volatile.Write(ref _cutCountdown, writesFromNow);
    }

    private bool WriteThrough(int address, int count)
    {
        Interlocked.Increment(ref _writes);
        if (Volatile.Read(ref _cutCountdown) > 0 && Interlocked.Decrement(ref _cutCountdown) == 0)
        {
            CutPower(address, count);
        }

        try
        {
            // Written to the kernel before returning (a kill -9 keeps it); the fsync to the disk runs
            // on a side thread: on a loaded host it took hundreds of ms, and on the main loop it
            // starved the island's own hardware watchdog (docs/island-sim.md "Scheduling").
            _file.Position = address;
            _file.Write(_image, address, count);
            _file.Flush(false);
            _syncWanted.Set();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void CutPower(int address, int count)
    {
        int prefix = Volatile.Read(ref _cutMidWrite) == 1 ? count / 2 : 0;
        _log.Warn("power cut at flash write " + Writes + " (address 0x" + address.ToString("x") + ", " + count + " bytes; "
            + (prefix > 0 ? prefix + " bytes written before the cut)" : "nothing written)"));
        if (prefix > 0)
        {
            _file.Position = address;
            _file.Write(_image, address, prefix);
            _file.Flush(true);
        }

        if (PowerCutMarkerPath != null)
        {
            File.WriteAllText(PowerCutMarkerPath, "power cut at flash write " + Writes + "\n");
        }

        Native.kill(Environment.ProcessId, 9);
        Thread.Sleep(Timeout.Infinite);
    }

    private void SyncLoop()
    {
        while (!_disposed)
        {
            _syncWanted.WaitOne();
            if (_disposed)
            {
                return;
            }

            try
            {
                lock (_syncLock)
                {
                    if (!_disposed)
                    {
                        Native.fsync(_file.SafeFileHandle.DangerousGetHandle().ToInt32());
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        lock (_syncLock)
        {
            _disposed = true;
            _syncWanted.Set();
            _file.Flush(true);
            _file.Dispose();
        }
    }
}

/// <summary>
/// Power rails kept in memory; every change is logged. Powering the A-cluster's domain back on after
/// it was off or held in reset boots the A side afresh: the simulator runs the A-cluster reset hook,
/// which (under `island up` and the benches) starts a new agent, as a real A cluster would boot one.
/// </summary>
public sealed class SimPowerRails(SimLog log, int aClusterDomainId = -1, IResetControl? aClusterBoot = null) : IPowerRails
{
    private readonly PowerState[] _states = new PowerState[256];

    public bool SetState(int domainId, PowerState state)
    {
        if (domainId < 0 || domainId >= _states.Length)
        {
            return false;
        }

        PowerState previous = _states[domainId];
        if (previous != state)
        {
            log.Info("power rail " + domainId + ": " + previous + " -> " + state);
        }

        _states[domainId] = state;
        if (domainId == aClusterDomainId && state == PowerState.On && (previous == PowerState.Off || previous == PowerState.Reset))
        {
            log.Warn("A-cluster powered on again: the A side boots afresh");
            aClusterBoot?.ResetACluster();
        }

        return true;
    }

    public PowerState GetState(int domainId) => domainId >= 0 && domainId < _states.Length ? _states[domainId] : PowerState.Unspecified;
}

/// <summary>The A-cluster reset line: runs the configured hook (sh -c CMD) without waiting for it.</summary>
public sealed class HookResetControl(string? hook, SimLog log) : IResetControl
{
    public int Resets { get; private set; }

    public void ResetACluster()
    {
        Resets++;
        if (string.IsNullOrEmpty(hook))
        {
            log.Warn("A-cluster reset (no --a-cluster-reset-hook configured)");
            return;
        }

        log.Warn("A-cluster reset: running hook: " + hook);
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(hook);
            Process? process = Process.Start(start);
            if (process != null)
            {
                process.EnableRaisingEvents = true;
                process.Exited += (_, _) =>
                {
                    log.Info("A-cluster reset hook exited with " + process.ExitCode);
                    process.Dispose();
                };
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            log.Error("A-cluster reset hook could not be started: " + e.Message);
        }
    }
}

/// <summary>The safe-state output: logged, and the file &lt;state-dir&gt;/safe-state exists while asserted.</summary>
public sealed class FileSafeStateOutput(string path, SimLog log) : ISafeStateOutput
{
    public void Assert()
    {
        log.Error("SAFE STATE asserted");
        File.WriteAllText(path, "asserted " + DateTime.UtcNow.ToString("O") + "\n");
    }

    public void Deassert()
    {
        log.Warn("safe state withdrawn");
        File.Delete(path);
    }
}

/// <summary>
/// The hardware watchdog: a thread that ends the process with <see cref="ExitCodes.Watchdog"/> when
/// the main loop has not kicked for the board's timeout. Running from construction (island boot):
/// the first kick must come within <see cref="FirstKickGraceMs"/> (the simulator's JIT start-up is
/// slower than an MCU boot), every later one within the timeout. Time the whole process could not run
/// does not count (<see cref="WatchdogSilence"/>).
/// </summary>
public sealed class ThreadWatchdog : IHardwareWatchdog, IDisposable
{
    public const int FirstKickGraceMs = 2000;
    private readonly int _timeoutMs;
    private readonly long _bootTicks = Stopwatch.GetTimestamp();
    private readonly SimLog _log;
    private readonly Action _beforeExit;
    private readonly Thread _thread;
    private long _lastKick;
    private volatile bool _stopped;

    public ThreadWatchdog(int timeoutMs, SimLog log, Action beforeExit)
    {
        _timeoutMs = timeoutMs;
        _log = log;
        _beforeExit = beforeExit;
        _thread = new Thread(Watch) { IsBackground = true, Name = "hardware-watchdog", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public long Kicks;

    public void Kick()
    {
        Kicks++;
        Volatile.Write(ref _lastKick, Stopwatch.GetTimestamp());
    }

    private void Watch()
    {
        int sleepMs = Math.Max(1, Math.Min(10, _timeoutMs / 4));
        long maxOversleepMs = 0;
        var silence = new WatchdogSilence();
        while (!_stopped)
        {
            long before = Stopwatch.GetTimestamp();
            Thread.Sleep(sleepMs);
            long oversleepMs = Stopwatch.GetElapsedTime(before).Ticks / TimeSpan.TicksPerMillisecond - sleepMs;
            maxOversleepMs = Math.Max(maxOversleepMs, oversleepMs);
            long last = Volatile.Read(ref _lastKick);
            if (_stopped)
            {
                return;
            }

            long silentMs = (Stopwatch.GetTimestamp() - (last == 0 ? _bootTicks : last)) * 1000 / Stopwatch.Frequency;
            long countedMs = silence.Observe(last, silentMs, oversleepMs);
            if (countedMs >= (last == 0 ? Math.Max(FirstKickGraceMs, _timeoutMs) : _timeoutMs))
            {
                _log.Error("hardware watchdog expired: no kick for " + silentMs + " ms, " + countedMs + " of them while the process could run (timeout "
                    + _timeoutMs + " ms; this thread woke up to " + maxOversleepMs + " ms late, last sleep " + oversleepMs + " ms late); resetting the island");
                _beforeExit();
                Environment.Exit(ExitCodes.Watchdog);
            }

            if (oversleepMs > WatchdogSilence.StarvationSlackMs && oversleepMs >= _timeoutMs / 2)
            {
                _log.Warn("island-sim was not scheduled for " + oversleepMs + " ms (the host is overloaded); its watchdog does not count that time");
            }
        }
    }

    public void Dispose() => _stopped = true;
}

/// <summary>
/// How long the main loop has been silent, net of the time the whole process was starved. On a board
/// the island is its own MCU and nothing delays it; island-sim shares a Linux host, where an overloaded
/// machine (or a stopped process: SIGSTOP, a debugger) can leave every thread of it unscheduled for
/// seconds. The watchdog thread tells the two apart by its own lateness: when it wakes more than
/// <see cref="StarvationSlackMs"/> after its sleep should have ended, the process was not running, and
/// that time is not the firmware's silence (as an MCU's watchdog is frozen while a debugger halts the
/// core). A main loop stuck in a step, or spinning, leaves the watchdog thread waking on time: all its
/// silence counts.
/// </summary>
public sealed class WatchdogSilence
{
    /// <summary>A wake-up later than this is starvation; less is ordinary scheduling latency and counts as silence.</summary>
    public const long StarvationSlackMs = 20;
    private long _kick;

    /// <summary>Starved time credited since the last kick.</summary>
    public long StarvedMs { get; private set; }

    /// <summary>
    /// One wake-up of the watchdog thread: <paramref name="lastKick"/> identifies the last kick (its
    /// timestamp; 0 before the first), <paramref name="silentMs"/> is the wall time since it and
    /// <paramref name="oversleepMs"/> how late this wake-up came. Returns the silence that counts.
    /// </summary>
    public long Observe(long lastKick, long silentMs, long oversleepMs)
    {
        if (lastKick != _kick)
        {
            _kick = lastKick;
            StarvedMs = 0;
        }

        if (oversleepMs > StarvationSlackMs)
        {
            // No more than the silence itself: a stall that began before the kick is not credited twice.
            StarvedMs = Math.Min(silentMs, StarvedMs + oversleepMs);
        }

        return Math.Max(0, silentMs - StarvedMs);
    }
}
