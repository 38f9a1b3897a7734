using System;
using System.CommandLine;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Cli.Output;
using Stratos.Island.Protocol;
using Stratos.Island.Protocol.Agent.V1;
using Stratos.Island.Protocol.Common.V1;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>`island events [--follow] [--since SEQ]` and `island log [--since SEQ] [--max N]`.</summary>
public static class EventCommands
{
    public static Command CreateEvents()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming new events until Ctrl-C" };
        var since = new Option<uint>("--since") { Description = "Start at this log sequence number (default: the last 20 events)" };
        return Verb("events", "Show the island's events, optionally following new ones", (c, p, t) => EventsAsync(c, p.GetValue(follow), p.GetValue(since), t), follow, since);
    }

    public static Command CreateLog()
    {
        var since = new Option<uint>("--since") { Description = "First log sequence number (default: the oldest stored)" };
        var max = new Option<uint>("--max") { Description = "At most this many records (default: all)" };
        return Verb("log", "Read committed records of the island's persistent event log", (c, p, t) => LogAsync(c, p.GetValue(since), p.GetValue(max), t), since, max);
    }

    /// <summary>One event as a line: sequence, island time, type, subject, value, detail.</summary>
    public static string Format(Event e)
    {
        var subject = e.Subject.Length > 0 ? e.Subject : e.SubjectId.ToString(CultureInfo.InvariantCulture);
        var value = Value(e);
        // The island's detail often repeats the subject's name; show it only when it adds something.
        var detail = e.Detail.Length == 0 || e.Detail == e.Subject ? string.Empty : "  " + e.Detail;
        return string.Create(CultureInfo.InvariantCulture, $"#{e.Sequence,-6} {e.TimestampUs / 1_000_000.0,12:0.000000}s  {Names.Of(e.Type),-20} {subject,-12} {value}{detail}").TrimEnd();
    }

    /// <summary>An event's value spelled as common.proto defines it for the event's type.</summary>
    public static string Value(Event e) => e.Type switch
    {
        EventType.VmState => Names.Of((VmState)e.Value),
        EventType.SupervisionStatus => Names.Of((LocalStatus)e.Value),
        EventType.GlobalStatus => Names.Of((GlobalStatus)e.Value),
        EventType.Escalation => Names.Of((SafeAction)e.Value),
        EventType.PowerDomain => Names.Of((PowerState)e.Value),
        EventType.SystemPower => Names.Of((SystemPowerAction)e.Value),
        EventType.RequestRefused or EventType.LinkError => Names.Of((ErrorCode)e.Value),
        EventType.IslandBoot => "reset: " + Names.Of((ResetReason)e.Value),
        EventType.LinkDown => e.Value == 0 ? string.Empty : "held: " + e.Value.ToString(CultureInfo.InvariantCulture),
        _ => e.Value == 0 ? string.Empty : e.Value.ToString(CultureInfo.InvariantCulture),
    };

    private static async Task<int> EventsAsync(CliContext c, bool follow, uint since, CancellationToken t)
    {
        if (!follow)
        {
            var log = await c.CallAsync(AgentMethods.ReadLog, new ReadLogRequest { FromSequence = since }, ReadLogResponse.Parser, t);
            var events = log.Events;
            int first = since == 0 ? Math.Max(0, events.Count - 20) : 0;
            for (int i = first; i < events.Count; i++)
            {
                Write(c, events[i]);
            }

            return ExitCodes.Ok;
        }

        await foreach (var r in c.StreamAsync(AgentMethods.WatchEvents, new WatchEventsRequest { FromSequence = since }, WatchEventsResponse.Parser, t))
        {
            Write(c, r.Event);
            c.Out.Flush();
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> LogAsync(CliContext c, uint since, uint max, CancellationToken t)
    {
        var response = await c.CallAsync(AgentMethods.ReadLog, new ReadLogRequest { FromSequence = since, MaxRecords = max }, ReadLogResponse.Parser, t);
        return c.Show(response, r =>
        {
            foreach (var e in r.Events)
            {
                c.Out.WriteLine(e.Sequence.ToString(CultureInfo.InvariantCulture));
            }
        }, r =>
        {
            var table = new Table("SEQ", "BOOT", "TIME (s)", "TYPE", "SUBJECT", "VALUE", "DETAIL");
            foreach (var e in r.Events)
            {
                table.Add(e.Sequence, e.BootCount, (e.TimestampUs / 1_000_000.0).ToString("0.000000", CultureInfo.InvariantCulture), Names.Of(e.Type),
                    e.Subject.Length > 0 ? e.Subject : e.SubjectId.ToString(CultureInfo.InvariantCulture), e.Value, e.Detail);
            }

            table.Write(c.Out, c.Colour);
            c.Out.WriteLine($"{r.Events.Count} records; oldest stored #{r.FirstAvailable}, next #{r.NextSequence}");
        });
    }

    private static void Write(CliContext c, Event e)
    {
        if (c.Format == OutputFormat.Json)
        {
            c.WriteJson(e);
        }
        else
        {
            c.Out.WriteLine(c.Quiet ? e.Sequence.ToString(CultureInfo.InvariantCulture) : Format(e));
        }
    }
}
