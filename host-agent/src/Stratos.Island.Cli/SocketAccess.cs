// Why this user cannot reach the agent's API socket, when the reason is a permission (issue 15,
// docs/security.md "Least privilege"). A connect refused with EACCES, or a socket hidden behind a
// directory this user may not search (which otherwise looks like "no socket: the agent is not
// running"), becomes one line naming the socket or directory, its owner, group and mode, this user
// and what would grant access: membership of the group the agent was given with --api-group (the
// reader role; operators are root, the agent's user or --api-admin-group members).
//
// Ownership comes from statx(2), whose struct layout is the same on every architecture (unlike
// struct stat); names from /etc/passwd and /etc/group (a name the files do not hold is shown as its
// number). Runs only after a call failed, so it may read files and allocate freely.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Stratos.Island.Cli;

public static partial class SocketAccess
{
    private const int AT_FDCWD = -100;
    private const int STATX_BASIC_STATS = 0x7FF;
    private const int StatxBufferBytes = 256;
    private const int StatxUidOffset = 20;
    private const int StatxGidOffset = 24;
    private const int StatxModeOffset = 28;
    private const int X_OK = 1;
    private const int W_OK = 2;
    private const int EACCES = 13;

    /// <summary>The reason when <paramref name="socketPath"/> is out of this user's reach for lack of permission, else null.</summary>
    public static string? ExplainDenied(string socketPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string full = Path.GetFullPath(socketPath);
        // Every directory on the way must be searchable; the first that is not hides the socket.
        string? directory = Path.GetDirectoryName(full);
        var ancestors = new List<string>();
        for (string? d = directory; d is not null; d = Path.GetDirectoryName(d))
        {
            ancestors.Insert(0, d);
        }

        foreach (string d in ancestors)
        {
            if (access(d, X_OK) != 0)
            {
                if (Marshal.GetLastPInvokeError() != EACCES || Describe(d) is not Owner owner)
                {
                    return null;
                }

                return $"permission denied: {CurrentUser()} cannot reach the agent's socket {full}: directory {d} ({owner}) is not searchable by this user. {Grant(owner, "directory")}";
            }
        }

        if (Describe(full) is not Owner socket || access(full, W_OK) == 0 || Marshal.GetLastPInvokeError() != EACCES)
        {
            return null;
        }

        return $"permission denied: {CurrentUser()} may not connect to the agent's socket {full} ({socket}). {Grant(socket, "socket")}";
    }

    /// <summary>What would let this user in, given the path's owner, group and mode.</summary>
    private static string Grant(Owner owner, string what)
    {
        bool groupMayUse = what == "socket" ? (owner.Mode & 0x30) == 0x30 : (owner.Mode & 0x08) != 0;
        if (!groupMayUse)
        {
            return $"The {what} is its owner's alone: the agent was started without --api-group, so only root and user '{owner.UserName}' may call it. "
                + "Run the command as one of them, or start the agent with --api-group GROUP and have this user join GROUP.";
        }

        string need = $"Members of group '{owner.GroupName}' (the agent's --api-group) may call the read-only methods; root, the agent's user and members of its --api-admin-group may call every method.";
        if (MembersOf(owner.GroupName).Contains(Environment.UserName, StringComparer.Ordinal))
        {
            return need + $" User '{Environment.UserName}' is listed in group '{owner.GroupName}' but this session does not have it yet: log in again (or run 'newgrp {owner.GroupName}').";
        }

        return need + $" Ask an administrator to add this user to it: usermod -aG {owner.GroupName} {Environment.UserName} (then log in again).";
    }

    private static string CurrentUser() =>
        $"user '{Environment.UserName}' (uid {geteuid().ToString(CultureInfo.InvariantCulture)}, groups {string.Join(",", SessionGroups())})";

    private sealed record Owner(string UserName, string GroupName, int Mode)
    {
        public override string ToString() => $"owner {UserName}, group '{GroupName}', mode {Convert.ToString(Mode & 0xFFF, 8).PadLeft(4, '0')}";
    }

    private static unsafe Owner? Describe(string path)
    {
        byte* buffer = stackalloc byte[StatxBufferBytes];
        if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buffer) != 0)
        {
            return null;
        }

        uint uid = *(uint*)(buffer + StatxUidOffset);
        uint gid = *(uint*)(buffer + StatxGidOffset);
        int mode = *(ushort*)(buffer + StatxModeOffset);
        return new Owner(NameOf("/etc/passwd", uid), NameOf("/etc/group", gid), mode);
    }

    // Field 0 of the line of /etc/passwd or /etc/group whose field 2 is the id; the number when none is.
    private static string NameOf(string file, uint id)
    {
        string number = id.ToString(CultureInfo.InvariantCulture);
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 3 && fields[2] == number)
                {
                    return fields[0];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Fall back to the number.
        }

        return number;
    }

    private static IEnumerable<string> MembersOf(string group)
    {
        try
        {
            string? line = File.ReadLines("/etc/group").FirstOrDefault(l => l.StartsWith(group + ":", StringComparison.Ordinal));
            string[] fields = line?.Split(':') ?? Array.Empty<string>();
            return fields.Length >= 4 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    // The supplementary groups of this process (the kernel's view, what access(2) used), by name.
    private static IEnumerable<string> SessionGroups()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Groups:", StringComparison.Ordinal));
            string[] ids = line?.Substring("Groups:".Length).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? Array.Empty<string>();
            return ids.Length == 0 ? new[] { "none" } : ids.Select(id => uint.TryParse(id, CultureInfo.InvariantCulture, out uint gid) ? NameOf("/etc/group", gid) : id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new[] { "unknown" };
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, int mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int access(string path, int mode);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
