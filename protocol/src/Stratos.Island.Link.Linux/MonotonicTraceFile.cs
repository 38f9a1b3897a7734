// A diagnostic trace for timing across the processes of one machine (the agent's and island-sim's
// --trace-heartbeats, docs/guests.md "Timing each hop"). Every timestamp is CLOCK_MONOTONIC in
// nanoseconds (what Stopwatch reads on Linux), the one clock all processes of a host share, so the
// lines of several trace files can be joined by time. The threads that record (a guest reader, the
// link thread, the island's main loop) only queue a line: a side thread writes and flushes them every
// FlushIntervalMs, so a slow disk never delays the path being measured. At most MaxQueuedLines wait;
// beyond that lines are dropped and counted (Dropped) rather than growing without bound.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;

namespace Stratos.Island.Link.Linux;

public sealed class MonotonicTraceFile : IDisposable
{
    public const int MaxQueuedLines = 100_000;
    public const int FlushIntervalMs = 200;

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _writer;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private int _queued;
    private long _dropped;
    private int _disposed;

    /// <summary>Opens path for appending (a restarted process adds to it) and writes the header ("# " + header) first.</summary>
    public MonotonicTraceFile(string path, string header)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
        _writer.WriteLine("# " + header);
        _writer.Flush();
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = "trace-writer" };
        _thread.Start();
    }

    public string Path { get; }

    /// <summary>Lines not written because MaxQueuedLines were already waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>CLOCK_MONOTONIC in nanoseconds of a Stopwatch timestamp.</summary>
    public static long ToNanoseconds(long stopwatchTicks) =>
        Stopwatch.Frequency == 1_000_000_000 ? stopwatchTicks : (long)(stopwatchTicks * (1e9 / Stopwatch.Frequency));

    /// <summary>Now, CLOCK_MONOTONIC in nanoseconds.</summary>
    public static long NowNanoseconds() => ToNanoseconds(Stopwatch.GetTimestamp());

    /// <summary>Queues one line (without terminator); never blocks.</summary>
    public void Write(string line)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueuedLines)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _lines.Enqueue(line);
    }

    private void WriteLoop()
    {
        while (!_stop.Wait(FlushIntervalMs))
        {
            Drain();
        }

        Drain();
    }

    private void Drain()
    {
        bool any = false;
        while (_lines.TryDequeue(out string? line))
        {
            Interlocked.Decrement(ref _queued);
            _writer.WriteLine(line);
            any = true;
        }

        if (any)
        {
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Set();
        _thread.Join();
        _writer.Dispose();
        _stop.Dispose();
    }
}
