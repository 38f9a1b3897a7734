using System;
using System.Globalization;

namespace Stratos.Island.Agent.Vmm;

/// <summary>Kinds of line the heartbeat guest prints (hil-tests/guest/README.md).</summary>
public enum GuestMessageKind
{
    /// <summary>`HB seq`: alive indication.</summary>
    Heartbeat,
    /// <summary>`CP id seq`: checkpoint reached.</summary>
    Checkpoint,
    /// <summary>`READY key=value...`: printed once at boot.</summary>
    Ready,
    /// <summary>`ACK command`: a command was accepted.</summary>
    Ack,
    /// <summary>`ERR reason`: a command was rejected.</summary>
    Error,
    /// <summary>`PANIC reason`: the guest is about to crash.</summary>
    Panic,
    /// <summary>`SHUTDOWN reboot|poweroff|stop`: the guest is going down on purpose (docs/guests.md).</summary>
    Shutdown,
}

/// <summary>One parsed guest line. Sequence and CheckpointId are set for HB/CP; Text holds the rest.</summary>
public readonly record struct GuestMessage(GuestMessageKind Kind, uint Sequence, uint CheckpointId, string Text);

/// <summary>
/// Strict parser of the heartbeat guest's line protocol (guest -> host):
/// <c>HB &lt;seq&gt;</c>, <c>CP &lt;id&gt; &lt;seq&gt;</c>, <c>READY[ k=v ...]</c>, <c>ACK &lt;cmd&gt;</c>,
/// <c>ERR &lt;reason&gt;</c>, <c>PANIC &lt;reason&gt;</c>, <c>SHUTDOWN reboot|poweroff|stop</c>. Numbers are unsigned decimal u32 without sign
/// or leading '+'; fields are separated by exactly one space; anything else is malformed.
/// The host -> guest commands are validated by <see cref="ValidateCommand"/>.
/// </summary>
public static class GuestProtocol
{
    /// <summary>Longest line either side sends (the guest's buffer is 120 characters).</summary>
    public const int MaxLineChars = 120;

    /// <summary>Parses one line (without its terminator). Returns false for a malformed line.</summary>
    public static bool TryParse(string line, out GuestMessage message)
    {
        message = default;
        if (line.Length == 0 || line.Length > MaxLineChars)
            return false;
        foreach (char c in line)
            if (c < 0x20 || c > 0x7e)
                return false;
        int space = line.IndexOf(' ');
        string verb = space < 0 ? line : line[..space];
        string rest = space < 0 ? "" : line[(space + 1)..];
        switch (verb)
        {
            case "HB":
                if (!TryParseU32(rest, out uint seq))
                    return false;
                message = new GuestMessage(GuestMessageKind.Heartbeat, seq, 0, "");
                return true;
            case "CP":
                int split = rest.IndexOf(' ');
                if (split < 0 || !TryParseU32(rest[..split], out uint id) || !TryParseU32(rest[(split + 1)..], out uint cpSeq))
                    return false;
                message = new GuestMessage(GuestMessageKind.Checkpoint, cpSeq, id, "");
                return true;
            case "READY":
                if (space >= 0 && !IsKeyValueList(rest))
                    return false;
                message = new GuestMessage(GuestMessageKind.Ready, 0, 0, rest);
                return true;
            case "SHUTDOWN":
                if (rest is not ("reboot" or "poweroff" or "stop"))
                    return false;
                message = new GuestMessage(GuestMessageKind.Shutdown, 0, 0, rest);
                return true;
            case "ACK":
            case "ERR":
            case "PANIC":
                if (rest.Length == 0)
                    return false;
                var kind = verb == "ACK" ? GuestMessageKind.Ack : verb == "ERR" ? GuestMessageKind.Error : GuestMessageKind.Panic;
                message = new GuestMessage(kind, 0, 0, rest);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Reads a value from a READY line's text ("rate=100 cps=1,2 ..."); null when the key is absent.
    /// </summary>
    public static string? ReadyValue(string readyText, string key)
    {
        foreach (string pair in readyText.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq > 0 && pair.AsSpan(0, eq).SequenceEqual(key))
                return pair[(eq + 1)..];
        }
        return null;
    }

    /// <summary>Throws ArgumentException naming the problem when a host -> guest command line is not sendable.</summary>
    public static void ValidateCommand(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Length == 0)
            throw new ArgumentException("guest command is empty", nameof(command));
        if (command.Length > MaxLineChars)
            throw new ArgumentException($"guest command is {command.Length} characters, the limit is {MaxLineChars}", nameof(command));
        for (int i = 0; i < command.Length; i++)
            if (command[i] < 0x20 || command[i] > 0x7e)
                throw new ArgumentException($"guest command has a non-printable or non-ASCII character at offset {i}", nameof(command));
    }

    private static bool TryParseU32(string text, out uint value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 10)
            return false;
        foreach (char c in text)
            if (c < '0' || c > '9')
                return false;
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsKeyValueList(string text)
    {
        if (text.Length == 0)
            return false;
        foreach (string pair in text.Split(' '))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
                return false;
        }
        return true;
    }
}
