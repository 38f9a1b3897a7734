// Loads an island image through Linux remoteproc (Documentation/ABI/testing/sysfs-class-remoteproc,
// FACTS.md "Linux interfaces on real boards"):
//
//   find     /sys/class/remoteproc/remoteprocN whose `name` is the board's remoteproc name
//   copy     the image to <firmware dir>/<name>.partial, then rename (a reader never sees half a file);
//            an image of the same name that is currently loaded is kept as <name>.previous first
//   stop     write `stop` unless `state` is offline; wait for offline (EBUSY or no change = busy)
//   select   write the file name to `firmware` (the kernel accepts it only while offline)
//   start    write `start`; wait for `running` (or `attached`) up to the start timeout
//   rollback when it crashes or never gets there: stop, select the previous image, start, and report
//
// States: offline | suspended | running | crashed | deleted | attached | detached | invalid.
// `crashed` before flashing is recovered by the stop; `detached` (booted by the bootloader, not by
// Linux) cannot be stopped from here and is refused.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace Stratos.Island.Boards.Flashing;

public sealed class RemoteprocFlasher
{
    public const string DefaultSysfsRoot = "/sys/class/remoteproc";
    public const string DefaultFirmwareDir = "/lib/firmware";
    private const int EbusyErrno = 16;
    private const int PollIntervalMs = 10;
    private const int CopyChunkBytes = 1 << 16;

    private readonly string _sysfsRoot;
    private readonly string _firmwareDir;
    private readonly IFlashOutput _output;

    public RemoteprocFlasher(string sysfsRoot, string firmwareDir, IFlashOutput output)
    {
        _sysfsRoot = sysfsRoot;
        _firmwareDir = firmwareDir;
        _output = output;
    }

    /// <summary>How long `start` may take to reach running before the image is rolled back.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long `stop` may take to reach offline before the instance is reported busy.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The remoteprocN directory whose `name` is <paramref name="name"/>.</summary>
    public string FindInstance(string name)
    {
        var seen = new List<string>();
        if (Directory.Exists(_sysfsRoot))
        {
            foreach (string dir in Directory.GetDirectories(_sysfsRoot).Order(StringComparer.Ordinal))
            {
                string nameFile = Path.Combine(dir, "name");
                if (!File.Exists(nameFile))
                {
                    continue;
                }
                string found = File.ReadAllText(nameFile).Trim();
                if (found == name)
                {
                    return dir;
                }
                seen.Add(Path.GetFileName(dir) + "=" + found);
            }
        }
        throw new FlashException("remoteproc '" + name + "' not found under " + _sysfsRoot + " (" + (seen.Count == 0 ? "no remoteproc instances" : "found " + string.Join(", ", seen)) +
            "); is the driver loaded and the board's linux.dtso applied?", FlashFailure.NotFound);
    }

    /// <summary>Flashes <paramref name="imagePath"/> as <paramref name="firmwareName"/>; in a dry run prints the steps only.</summary>
    public void Flash(string remoteprocName, string imagePath, string firmwareName, ulong imageBudgetBytes, bool dryRun, string? imageLabel = null)
    {
        string label = imageLabel ?? imagePath;
        if (!File.Exists(imagePath))
        {
            throw new FlashException(imagePath + ": image not found", FlashFailure.Invalid);
        }
        long size = new FileInfo(imagePath).Length;
        if ((ulong)size > imageBudgetBytes)
        {
            throw new FlashException(imagePath + ": image is " + size + " bytes, too large for the island's region (0x" + imageBudgetBytes.ToString("X") + " bytes in board.yaml)", FlashFailure.TooLarge);
        }
        string target = Path.Combine(_firmwareDir, firmwareName);
        if (dryRun)
        {
            string instance = _sysfsRoot + "/remoteprocN";
            _output.Step("find " + instance + " with name '" + remoteprocName + "'");
            _output.Step("copy " + label + " (" + size + " bytes) to " + target + " (via " + target + ".partial; a loaded image of that name is kept as " + target + ".previous)");
            _output.Step("write 'stop' to " + instance + "/state unless it reads offline; wait up to " + StopTimeout.TotalSeconds + " s for offline");
            _output.Step("write '" + firmwareName + "' to " + instance + "/firmware");
            _output.Step("write 'start' to " + instance + "/state; wait up to " + StartTimeout.TotalSeconds + " s for running");
            _output.Step("on crash or timeout: stop, write the previous firmware name, start it again, and fail");
            return;
        }

        string dir = FindInstance(remoteprocName);
        string stateFile = Path.Combine(dir, "state");
        string firmwareFile = Path.Combine(dir, "firmware");
        string state = Read(stateFile);
        string previous = Read(firmwareFile);
        _output.Step("found " + dir + " (state " + state + ", firmware " + previous + ")");
        if (state is "detached")
        {
            throw new FlashException("remoteproc '" + remoteprocName + "' is detached (the island was started before Linux and is not under its control); reboot without the early start, or flash with openocd", FlashFailure.Busy);
        }

        Directory.CreateDirectory(_firmwareDir);
        string partial = target + ".partial";
        _output.Step("copy " + label + " to " + partial);
        Copy(imagePath, partial, size);

        try
        {
            Stop(stateFile, remoteprocName, state);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        string rollbackName = previous;
        if (previous == firmwareName && File.Exists(target))
        {
            rollbackName = firmwareName + ".previous";
            _output.Step("keep the current " + target + " as " + rollbackName);
            File.Copy(target, Path.Combine(_firmwareDir, rollbackName), overwrite: true);
        }
        File.Move(partial, target, overwrite: true);
        _output.Step("write '" + firmwareName + "' to " + firmwareFile);
        Write(firmwareFile, firmwareName, remoteprocName);

        string? failure = StartAndWait(stateFile, remoteprocName);
        if (failure == null)
        {
            _output.Step("remoteproc '" + remoteprocName + "' is running " + firmwareName);
            return;
        }

        // Roll back to what ran before.
        string rollbackState = "not attempted (no previous firmware)";
        if (rollbackName.Length > 0 && File.Exists(Path.Combine(_firmwareDir, rollbackName)))
        {
            _output.Step("rolling back to " + rollbackName);
            Stop(stateFile, remoteprocName, Read(stateFile));
            Write(firmwareFile, rollbackName, remoteprocName);
            string? rollbackFailure = StartAndWait(stateFile, remoteprocName);
            rollbackState = rollbackFailure == null ? "'" + rollbackName + "' is running again" : "the previous image failed too: " + rollbackFailure;
        }
        throw new FlashException("island firmware '" + firmwareName + "' did not come up: " + failure + "; rollback: " + rollbackState, FlashFailure.StartFailed);
    }

    private void Stop(string stateFile, string name, string state)
    {
        if (state == "offline")
        {
            return;
        }
        _output.Step("write 'stop' to " + stateFile + " (state " + state + ")");
        Write(stateFile, "stop", name);
        string? reached = WaitFor(stateFile, StopTimeout, "offline");
        if (reached == null)
        {
            throw new FlashException("remoteproc '" + name + "' is busy: it did not stop within " + StopTimeout.TotalSeconds + " s (state " + Read(stateFile) +
                "); close the rpmsg devices using it (island-agent) and retry", FlashFailure.Busy);
        }
    }

    /// <summary>Null when running; otherwise what went wrong.</summary>
    private string? StartAndWait(string stateFile, string name)
    {
        _output.Step("write 'start' to " + stateFile);
        try
        {
            Write(stateFile, "start", name);
        }
        catch (FlashException e) when (e.Failure == FlashFailure.StartFailed)
        {
            return e.Message;
        }
        string? reached = WaitFor(stateFile, StartTimeout, "running", "attached", "crashed");
        return reached switch
        {
            "running" or "attached" => null,
            "crashed" => "it crashed while starting (state crashed)",
            _ => "it did not reach running within " + StartTimeout.TotalSeconds + " s (state " + Read(stateFile) + ")",
        };
    }

    private static string? WaitFor(string stateFile, TimeSpan timeout, params string[] states)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string state = Read(stateFile);
            if (states.Contains(state))
            {
                return state;
            }
            if (clock.Elapsed >= timeout)
            {
                return null;
            }
            Thread.Sleep(PollIntervalMs);
        }
    }

    private static string Read(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : "";

    private static void Write(string file, string value, string name)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (IOException e) when (e.HResult == EbusyErrno || e.Message.Contains("busy", StringComparison.OrdinalIgnoreCase))
        {
            throw new FlashException("remoteproc '" + name + "' is busy (" + e.Message + "); close the rpmsg devices using it (island-agent) and retry", FlashFailure.Busy);
        }
        catch (IOException e)
        {
            // The kernel answers `start` with an errno when loading fails (ENOENT, EINVAL for a bad ELF).
            throw new FlashException("writing '" + value + "' to " + file + " failed: " + e.Message, FlashFailure.StartFailed);
        }
    }

    private void Copy(string source, string destination, long size)
    {
        byte[] buffer = new byte[CopyChunkBytes];
        using var input = File.OpenRead(source);
        using var output = File.Create(destination);
        long done = 0;
        int read;
        while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            output.Write(buffer, 0, read);
            done += read;
            _output.Progress(done, size);
        }
        output.Flush(flushToDisk: true);
    }
}
