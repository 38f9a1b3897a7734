// Flashing through a debug probe with OpenOCD, or through nanoFramework's nanoff tool.
//
// OpenOCD: `openocd -f <cfg>... -c "program <image> [<address>] verify reset exit"` with the
// board's configs (board.yaml openocd.configs); the address is given for raw images only (an ELF
// carries its own). OpenOCD prints "** Verified OK **" on success; its error lines tell a missing
// probe ("open failed", "unable to find ... device", "No J-Link device found", "unable to open
// ftdi device", ...) from a failed write.
//
// nanoff: `nanoff --target <T> --serialport <port> --deploy --image <file> --address <A>`, found on
// PATH (a dotnet global tool); when missing the error says how to install it.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Stratos.Island.Boards.Flashing;

public static class ProbeFlasher
{
    private static readonly string[] NoProbePatterns =
    [
        "open failed",
        "unable to find a matching",
        "no j-link device found",
        "unable to open ftdi device",
        "no device found",
        "libusb_open() failed",
        "couldn't find a device",
        "error connecting dp: cannot read idr",
        "no valid jtag interface configured",
    ];

    /// <summary>The openocd arguments for <paramref name="imagePath"/> on <paramref name="board"/>.</summary>
    public static IReadOnlyList<string> OpenOcdArguments(BoardDescriptor board, string imagePath)
    {
        OpenOcdSpec spec = board.OpenOcd ?? throw new FlashException(board.SourcePath + ": openocd: missing; the board has no OpenOCD settings (flashing: " + string.Join(", ", board.Flashing) + ")", FlashFailure.Invalid);
        var args = new List<string>();
        foreach (string config in spec.Configs)
        {
            args.Add("-f");
            args.Add(config);
        }
        bool elf = IsElf(imagePath);
        string program = "program " + QuoteTcl(Path.GetFullPath(imagePath)) +
            (elf ? "" : " 0x" + spec.LoadAddress.ToString("x", CultureInfo.InvariantCulture)) + " verify reset exit";
        args.Add("-c");
        args.Add(program);
        return args;
    }

    private static string QuoteTcl(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '{' or '}' or '[' or ']' or '$' or '"') ? "{" + path + "}" : path;

    private static bool IsElf(string path)
    {
        if (!File.Exists(path))
        {
            return path.EndsWith(".elf", StringComparison.OrdinalIgnoreCase);
        }
        Span<byte> magic = stackalloc byte[4];
        using var f = File.OpenRead(path);
        return f.Read(magic) == 4 && magic[0] == 0x7f && magic[1] == (byte)'E' && magic[2] == (byte)'L' && magic[3] == (byte)'F';
    }

    /// <summary>Runs openocd; throws FlashException (NotFound for a missing probe) on failure.</summary>
    public static void FlashWithOpenOcd(BoardDescriptor board, string imagePath, IFlashOutput output, bool dryRun, string openocd = "openocd", int timeoutMs = 120_000)
    {
        if (!File.Exists(imagePath))
        {
            throw new FlashException(imagePath + ": image not found", FlashFailure.Invalid);
        }
        long size = new FileInfo(imagePath).Length;
        if ((ulong)size > board.ImageBudgetBytes)
        {
            throw new FlashException(imagePath + ": image is " + size + " bytes, too large for the island's region (0x" + board.ImageBudgetBytes.ToString("X", CultureInfo.InvariantCulture) + " bytes in board.yaml)", FlashFailure.TooLarge);
        }
        IReadOnlyList<string> args = OpenOcdArguments(board, imagePath);
        output.Step("run " + openocd + " " + string.Join(" ", args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? "\"" + a + "\"" : a)));
        if (dryRun)
        {
            return;
        }
        (int status, string log) = Run(openocd, args, timeoutMs, "openocd is not installed: install the openocd package (scripts/install-deps.sh)");
        string lower = log.ToLowerInvariant();
        if (status == 0 && lower.Contains("** verified ok **", StringComparison.Ordinal))
        {
            output.Step("openocd: programmed and verified");
            return;
        }
        string errors = string.Join(" | ", log.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Distinct().Take(3));
        string? probe = NoProbePatterns.FirstOrDefault(p => lower.Contains(p, StringComparison.Ordinal));
        if (probe != null)
        {
            throw new FlashException("no debug probe found for board '" + board.Id + "' (openocd: " + errors + "); connect the probe named in boards/" + board.Id +
                "/README.md, check its USB cable and udev permissions", FlashFailure.NotFound);
        }
        throw new FlashException("openocd failed with status " + status + ": " + (errors.Length > 0 ? errors : log.Trim().Split('\n').LastOrDefault() ?? ""), FlashFailure.ToolFailed);
    }

    /// <summary>Full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? FindOnPath(string tool, string? pathVariable)
    {
        foreach (string dir in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public const string NanoffInstallHint = "install it with 'dotnet tool install -g nanoff' and put ~/.dotnet/tools on PATH";

    public static IReadOnlyList<string> NanoffArguments(BoardDescriptor board, string imagePath, string serialPort)
    {
        NanoffSpec spec = board.Nanoff ?? throw new FlashException(board.SourcePath + ": nanoff: missing; the board has no nanoff settings (flashing: " + string.Join(", ", board.Flashing) + ")", FlashFailure.Invalid);
        return ["--target", spec.Target, "--serialport", serialPort, "--deploy", "--image", Path.GetFullPath(imagePath), "--address", "0x" + spec.Address.ToString("X8", CultureInfo.InvariantCulture)];
    }

    public static void FlashWithNanoff(BoardDescriptor board, string imagePath, string serialPort, IFlashOutput output, bool dryRun, string? pathVariable, int timeoutMs = 300_000)
    {
        if (!File.Exists(imagePath))
        {
            throw new FlashException(imagePath + ": image not found", FlashFailure.Invalid);
        }
        IReadOnlyList<string> args = NanoffArguments(board, imagePath, serialPort);
        string? nanoff = FindOnPath("nanoff", pathVariable);
        output.Step("run " + (nanoff ?? "nanoff") + " " + string.Join(" ", args));
        if (dryRun)
        {
            return;
        }
        if (nanoff == null)
        {
            throw new FlashException("nanoff (nanoFramework's firmware flasher) is not installed: " + NanoffInstallHint, FlashFailure.NotFound);
        }
        (int status, string log) = Run(nanoff, args, timeoutMs, "nanoff could not be started: " + NanoffInstallHint);
        if (status != 0)
        {
            throw new FlashException("nanoff failed with status " + status + ": " + log.Trim().Split('\n').LastOrDefault(), FlashFailure.ToolFailed);
        }
        output.Step("nanoff: deployed");
    }

    private static (int Status, string Log) Run(string tool, IReadOnlyList<string> args, int timeoutMs, string missingMessage)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            throw new FlashException(missingMessage, FlashFailure.NotFound);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                throw new FlashException(tool + " did not finish within " + (timeoutMs / 1000) + " s", FlashFailure.ToolFailed);
            }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
