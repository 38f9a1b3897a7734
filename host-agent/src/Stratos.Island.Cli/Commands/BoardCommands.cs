using System;
using System.Collections;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Stratos.Island.Boards;
using Stratos.Island.Cli.Output;
using static Stratos.Island.Cli.Commands.CommandBuilder;

namespace Stratos.Island.Cli.Commands;

/// <summary>
/// `island board list|show|validate`: local commands on the board descriptors (no agent needed, so
/// they run on a workstation before flashing). The boards directory is `--boards-dir`, else
/// `$ISLAND_BOARDS_DIR`, else the repository's boards/ above the current directory, else
/// /usr/share/stratos-island/boards.
/// </summary>
public static class BoardCommands
{
    public const string InstalledBoardsDir = BoardsFolder.InstalledDirectory;

    public static readonly Option<string?> BoardsDirOption = new("--boards-dir")
    {
        Description = "Board descriptors directory (default: $ISLAND_BOARDS_DIR, the repository's boards/, " + InstalledBoardsDir + ")",
        Recursive = true,
    };

    public static Command Create()
    {
        var name = NameArgument("Board id (directory name under the boards directory)");
        var optionalName = new Argument<string?>("name") { Description = "Board id", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Validate every board" };
        var command = Noun("board", "Board descriptors (local: no agent needed)",
            Verb("list", "List the boards and whether their descriptors load", (c, p, t) => Task.FromResult(List(c, p))),
            Verb("show", "Show one board: cores, memory map, link, flashing", (c, p, t) => Task.FromResult(Show(c, p, p.GetValue(name)!)), name),
            Verb("validate", "Check board.yaml, vms.yaml and the devicetree fragments against the upstream trees (needs dtc, fdtoverlay, cpp and the pinned linux-source packages)",
                (c, p, t) => Task.FromResult(Validate(c, p, p.GetValue(optionalName), p.GetValue(all))), optionalName, all));
        command.Options.Add(BoardsDirOption);
        return command;
    }

    /// <summary>Where the board descriptors are (BoardsFolder's order, from the current directory);
    /// the installed folder when nothing is found, so the error names it.</summary>
    public static string ResolveBoardsDir(string? option, IDictionary environment, string currentDirectory) =>
        BoardsFolder.Find(option, environment, currentDirectory) ?? InstalledBoardsDir;

    internal static string BoardsDir(CliContext c, ParseResult p) => ResolveBoardsDir(p.GetValue(BoardsDirOption), c.Environment, Directory.GetCurrentDirectory());

    private static int List(CliContext c, ParseResult p)
    {
        string dir = BoardsDir(c, p);
        var ids = BoardValidator.ListBoardIds(dir);
        if (ids.Count == 0)
        {
            c.Error.WriteLine("island: no boards in " + dir + " (set --boards-dir or ISLAND_BOARDS_DIR)");
            return ExitCodes.NotFound;
        }
        var rows = ids.Select(id =>
        {
            try
            {
                return (Id: id, Board: BoardLoader.LoadById(dir, id), Problem: (string?)null);
            }
            catch (BoardDescriptorException e)
            {
                return (Id: id, Board: (BoardDescriptor?)null, Problem: e.Errors.Count + " error(s); run 'island board validate " + id + "'");
            }
        }).ToList();
        if (c.Format == OutputFormat.Json)
        {
            WriteJson(c, json =>
            {
                json.WriteStartObject();
                json.WriteString("boards_dir", dir);
                json.WriteStartArray("boards");
                foreach (var r in rows)
                {
                    json.WriteStartObject();
                    json.WriteString("id", r.Id);
                    json.WriteBoolean("loads", r.Board != null);
                    if (r.Board != null)
                    {
                        json.WriteString("name", r.Board.Name);
                        json.WriteString("soc", r.Board.Soc);
                        json.WriteString("application_core", r.Board.ApplicationCore ?? "");
                        json.WriteNumber("application_cores", r.Board.ApplicationCores);
                        json.WriteString("island_core", r.Board.Island.Core);
                        json.WriteStartArray("flashing");
                        foreach (string m in r.Board.Flashing)
                        {
                            json.WriteStringValue(m);
                        }
                        json.WriteEndArray();
                    }
                    else
                    {
                        json.WriteString("problem", r.Problem);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            });
            return ExitCodes.Ok;
        }
        if (c.Quiet)
        {
            foreach (var r in rows)
            {
                c.Out.WriteLine(r.Id);
            }
            return ExitCodes.Ok;
        }
        var table = new Table("ID", "SOC", "A-SIDE", "ISLAND", "FLASHING", "STATUS");
        foreach (var r in rows)
        {
            table.Add(r.Id, r.Board?.Soc ?? "-", r.Board == null ? "-" : r.Board.ApplicationCores + "x " + (r.Board.ApplicationCore ?? "?"),
                r.Board?.Island.Core ?? "-", r.Board == null ? "-" : string.Join(",", r.Board.Flashing),
                r.Board != null ? new Table.Cell("ok", Table.Colour.Green) : new Table.Cell(r.Problem!, Table.Colour.Red));
        }
        table.Write(c.Out, c.Colour);
        return ExitCodes.Ok;
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static int Show(CliContext c, ParseResult p, string id)
    {
        string dir = BoardsDir(c, p);
        BoardDescriptor board;
        try
        {
            board = BoardLoader.LoadById(dir, id);
        }
        catch (BoardDescriptorException e)
        {
            bool missing = !File.Exists(Path.Combine(dir, id, BoardLoader.DescriptorFileName));
            foreach (string line in e.Errors)
            {
                c.Error.WriteLine("island: " + line);
            }
            return missing ? ExitCodes.NotFound : ExitCodes.Invalid;
        }
        SharedMemorySpec? shm = board.Link.SharedMemory;
        if (c.Format == OutputFormat.Json)
        {
            WriteJson(c, json =>
            {
                json.WriteStartObject();
                json.WriteString("id", board.Id);
                json.WriteString("name", board.Name);
                json.WriteString("soc", board.Soc);
                json.WriteString("application_core", board.ApplicationCore ?? "");
                json.WriteNumber("application_cores", board.ApplicationCores);
                json.WriteString("island_core", board.Island.Core);
                json.WriteNumber("island_clock_hz", board.Island.ClockHz);
                json.WriteNumber("image_budget_bytes", board.ImageBudgetBytes);
                json.WriteString("transport", board.Link.Transport.ToString());
                json.WriteString("channel_name", board.Link.ChannelName);
                json.WriteString("remoteproc", board.Remoteproc?.Name ?? "");
                json.WriteString("doorbell", board.Doorbell == null ? "" : board.Doorbell.Kind + ":" + board.Doorbell.Device);
                json.WriteStartArray("carveouts");
                foreach (CarveoutSpec co in board.Memory?.Carveouts ?? [])
                {
                    json.WriteStartObject();
                    json.WriteString("name", co.Name);
                    json.WriteString("base", Hex(co.Base));
                    json.WriteString("size", Hex(co.Size));
                    json.WriteString("use", co.Use.ToString());
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteStartArray("flashing");
                foreach (string m in board.Flashing)
                {
                    json.WriteStringValue(m);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            });
            return ExitCodes.Ok;
        }
        var table = new Table("FIELD", "VALUE");
        table.Add("board", board.Id + " (" + board.Name + ")");
        table.Add("soc", board.Soc);
        table.Add("a-side", board.ApplicationCores + "x " + (board.ApplicationCore ?? "?"));
        table.Add("island", board.Island.Core + " @ " + (board.Island.ClockHz / 1_000_000) + " MHz, RAM " + Hex(board.Island.RamBytes) + ", image budget " + Hex(board.ImageBudgetBytes));
        table.Add("watchdog", (board.Island.HardwareWatchdog.Device != null ? board.Island.HardwareWatchdog.Device + ", " : "") + board.Island.HardwareWatchdog.TimeoutMs + " ms, supervision cycle " + board.Island.SupervisionCycleMs + " ms");
        table.Add("link", board.Link.Transport + ", channel " + board.Link.ChannelName);
        if (shm != null)
        {
            table.Add("shared window", (shm.PhysBase != null ? Hex(shm.PhysBase.Value) + "+" : shm.Path + " +") + Hex(shm.Size) +
                ", vrings " + string.Join(" ", shm.Vrings.Select(v => Hex(shm.Physical(v.Da)) + "/" + v.Num)) + ", buffers " + shm.Buffers.Count + "x" + shm.Buffers.Size + " at " + Hex(shm.Physical(shm.Buffers.Base)) +
                ", resource table " + (shm.ResourceTableInImage ? "in the image" : Hex(shm.Physical(shm.ResourceTable))));
        }
        if (board.Doorbell != null)
        {
            table.Add("doorbell", board.Doorbell.Kind + " " + board.Doorbell.Device + (board.Doorbell.Channels.Count > 0 ? " (" + string.Join(", ", board.Doorbell.Channels) + ")" : ""));
        }
        if (board.Remoteproc != null)
        {
            table.Add("remoteproc", board.Remoteproc.Name + (board.Remoteproc.Driver != null ? " (" + board.Remoteproc.Driver + ")" : ""));
        }
        foreach (CarveoutSpec co in board.Memory?.Carveouts ?? [])
        {
            table.Add("carve-out", co.Name + " " + Hex(co.Base) + "-" + Hex(co.End) + " " + co.Use);
        }
        foreach (PowerDomainSpec d in board.PowerDomains)
        {
            table.Add("power domain", d.Id + " " + d.Name + " scmi " + d.ScmiId + " " + d.Criticality + (d.ACluster ? " (A cluster)" : ""));
        }
        table.Add("safe state", board.SafeState.Output + ", keeps " + string.Join(", ", board.SafeState.DomainsKeptOn));
        table.Add("flashing", string.Join(", ", board.Flashing));
        table.Write(c.Out, c.Colour);
        return ExitCodes.Ok;
    }

    private static int Validate(CliContext c, ParseResult p, string? id, bool all)
    {
        string dir = BoardsDir(c, p);
        if ((id == null) == !all)
        {
            c.Error.WriteLine("island: give a board id or --all (see 'island board validate --help')");
            return ExitCodes.Usage;
        }
        var ids = all ? BoardValidator.ListBoardIds(dir) : [id!];
        if (ids.Count == 0)
        {
            c.Error.WriteLine("island: no boards in " + dir + " (set --boards-dir or ISLAND_BOARDS_DIR)");
            return ExitCodes.NotFound;
        }
        if (!all && !File.Exists(Path.Combine(dir, id!, BoardLoader.DescriptorFileName)))
        {
            c.Error.WriteLine("island: board '" + id + "' not found in " + dir + " (boards: " + string.Join(", ", BoardValidator.ListBoardIds(dir)) + ")");
            return ExitCodes.NotFound;
        }
        var results = ids.Select(b => BoardValidator.Validate(dir, b)).ToList();
        if (c.Format == OutputFormat.Json)
        {
            WriteJson(c, json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("boards");
                foreach (BoardValidation r in results)
                {
                    json.WriteStartObject();
                    json.WriteString("id", r.BoardId);
                    json.WriteBoolean("ok", r.Ok);
                    json.WriteStartArray("checked");
                    foreach (string f in r.Checked)
                    {
                        json.WriteStringValue(f);
                    }
                    json.WriteEndArray();
                    json.WriteStartArray("errors");
                    foreach (string e in r.Errors)
                    {
                        json.WriteStringValue(e);
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            });
        }
        else
        {
            foreach (BoardValidation r in results)
            {
                if (r.Ok)
                {
                    if (!c.Quiet)
                    {
                        c.Out.WriteLine("ok    " + r.BoardId + " (" + string.Join(", ", r.Checked) + ")");
                    }
                }
                else
                {
                    c.Out.WriteLine("FAIL  " + r.BoardId + " (" + r.Errors.Count + " error(s))");
                    foreach (string e in r.Errors)
                    {
                        c.Error.WriteLine("island: " + e);
                    }
                }
            }
        }
        return results.All(r => r.Ok) ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    internal static void WriteJson(CliContext c, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            body(json);
        }
        c.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
