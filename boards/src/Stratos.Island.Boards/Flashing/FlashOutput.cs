// What flashing reports while it works: one line per step, and progress of long copies. The CLI
// draws a progress bar on a terminal; tests collect the lines.
using System;
using System.Collections.Generic;
using System.IO;

namespace Stratos.Island.Boards.Flashing;

/// <summary>Why flashing failed; the CLI maps each to an exit code.</summary>
public enum FlashFailure
{
    /// <summary>Bad input (missing file, bad board section).</summary>
    Invalid,
    /// <summary>The remoteproc instance, debug probe or tool is not there.</summary>
    NotFound,
    /// <summary>The remoteproc is busy (EBUSY, or it would not stop).</summary>
    Busy,
    /// <summary>The island did not come up (crashed or timed out); rolled back when possible.</summary>
    StartFailed,
    /// <summary>The image does not fit the board's image budget.</summary>
    TooLarge,
    /// <summary>The tool (openocd, nanoff) failed.</summary>
    ToolFailed,
}

public sealed class FlashException(string message, FlashFailure failure) : Exception(message)
{
    public FlashFailure Failure { get; } = failure;
}

public interface IFlashOutput
{
    /// <summary>One step, said before it is done (or instead of doing it, in a dry run).</summary>
    void Step(string text);

    /// <summary>Bytes copied so far of <paramref name="total"/>.</summary>
    void Progress(long done, long total);
}

/// <summary>Collects steps in memory (tests, --output json).</summary>
public sealed class RecordingFlashOutput : IFlashOutput
{
    public List<string> Steps { get; } = [];

    public void Step(string text) => Steps.Add(text);

    public void Progress(long done, long total)
    {
    }
}

/// <summary>Steps on a writer; a redrawn bar for copies of 1 MiB or more when the writer is a terminal.</summary>
public sealed class TextFlashOutput(TextWriter writer, bool terminal) : IFlashOutput
{
    private const long BarMinimumBytes = 1 << 20;
    private const int BarWidth = 30;
    private int _lastPercent = -1;

    public void Step(string text) => writer.WriteLine(text);

    public void Progress(long done, long total)
    {
        if (!terminal || total < BarMinimumBytes)
        {
            return;
        }
        int percent = (int)(done * 100 / Math.Max(1, total));
        if (percent == _lastPercent)
        {
            return;
        }
        _lastPercent = percent;
        int filled = percent * BarWidth / 100;
        writer.Write("\r[" + new string('#', filled) + new string(' ', BarWidth - filled) + "] " + percent + "% " +
            (done / 1024) + "/" + (total / 1024) + " KiB");
        if (done >= total)
        {
            writer.WriteLine();
            _lastPercent = -1;
        }
    }
}
