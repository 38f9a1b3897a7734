// CPU time from /proc, for the benchmarks that must tell whose CPU a slow boot waited for: a
// process's CPU time and nice value (/proc/PID/stat) and the machine's busy and stolen time
// (/proc/stat's first line), in clock ticks (10 ms).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Stratos.Island.Agent.Bench;

internal static class ProcCpu
{
    /// <summary>USER_HZ: the unit of /proc/stat (100 on every Linux architecture the project runs on).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>
    /// Milliseconds <paramref name="pid"/> has run, all its threads, the ended ones included
    /// (/proc/PID/stat utime + stime, in clock ticks); NaN when the process is gone.
    /// </summary>
    public static double ProcessMs(int pid)
    {
        string[]? fields = StatFields(pid);
        return fields is null ? double.NaN : (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 1000 / TicksPerSecond;
    }

    /// <summary>The nice value of <paramref name="pid"/>'s main thread; null when the process is gone.</summary>
    public static int? Nice(int pid) => StatFields(pid) is { } fields ? int.Parse(fields[16], CultureInfo.InvariantCulture) : null;

    /// <summary>/proc/PID/stat's fields after the command name (the first is field 3, state); null when the process is gone.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Milliseconds of CPU time the whole machine has spent busy (all but idle and iowait) and stolen by its hypervisor, summed over its CPUs.</summary>
    public static (double BusyMs, double StealMs) Machine()
    {
        using var reader = new StreamReader("/proc/stat");
        string[] fields = (reader.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal guest guest_nice
        long Field(int i) => fields.Length > i ? long.Parse(fields[i], CultureInfo.InvariantCulture) : 0;
        long busy = Field(1) + Field(2) + Field(3) + Field(6) + Field(7);
        return (busy * 1000 / TicksPerSecond, Field(8) * 1000 / TicksPerSecond);
    }

    /// <summary>
    /// CPU ns each live thread of <paramref name="pid"/> has run, summed by thread name
    /// (/proc/PID/task/TID/schedstat's first field, ns resolution; comm names the thread: .NET's
    /// named threads, ".NET TP Worker" for the thread pool); empty when the process is gone.
    /// </summary>
    public static Dictionary<string, long> ThreadNs(int pid)
    {
        var byName = new Dictionary<string, long>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                    string stat = File.ReadAllText(Path.Combine(task, "schedstat"));
                    long ns = long.Parse(stat.AsSpan(0, stat.IndexOf(' ')), NumberStyles.None, CultureInfo.InvariantCulture);
                    byName[name] = byName.GetValueOrDefault(name) + ns;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return byName;
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage()
    {
        string text = File.ReadAllText("/proc/loadavg");
        return double.Parse(text.AsSpan(0, text.IndexOf(' ')), NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
