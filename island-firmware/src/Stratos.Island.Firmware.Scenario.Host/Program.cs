// island-scenario: the firmware scenario on CoreCLR (docs/firmware.md, "Scenario program"). Prints
// the trace, one line per event, directive, request result and link message, then the JSON line of
// timings and heap. Exit status 0 only when the completion marker was printed.
using System;
using System.IO;
using System.Text;
using Stratos.Island.Firmware.Scenario;

namespace Stratos.Island.Firmware.Scenario.Host;

public static class Program
{
    public static int Main()
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        var sink = new WriterSink(stdout);
        IslandScenario.Run(sink, new UsedBytesProbe());
        stdout.Flush();
        return sink.Completed ? 0 : 1;
    }
}

/// <summary>Writes trace lines to a TextWriter and notes the completion marker.</summary>
public sealed class WriterSink(TextWriter writer) : ITraceSink
{
    public bool Completed { get; private set; }

    public void WriteLine(string line)
    {
        writer.WriteLine(line);
        Completed |= line == IslandScenario.CompletionMarker;
    }
}

/// <summary>The heap probe on CoreCLR: bytes in use on the managed heap after a full collection.</summary>
public sealed class UsedBytesProbe : IHeapProbe
{
    public long UsedBytes() => GC.GetTotalMemory(forceFullCollection: true);
}
