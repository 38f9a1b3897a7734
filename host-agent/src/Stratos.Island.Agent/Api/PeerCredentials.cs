using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Stratos.Island.Agent.Api;

/// <summary>
/// Who is on the other end of a UNIX-socket call: the kernel's SO_PEERCRED (pid, uid, gid at connect
/// time; unix(7)) and the supplementary groups of that pid (/proc/PID/status, "Groups:").
/// Null for callers on TCP: they have no local credentials.
/// </summary>
public sealed record PeerCredentials(int Pid, int Uid, int Gid, IReadOnlyList<int> Groups)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>True when the caller's primary or a supplementary group is <paramref name="gid"/>.</summary>
    public bool IsInGroup(int gid) => Gid == gid || Groups.Contains(gid);

    /// <summary>The credentials of the connection carrying <paramref name="http"/>, or null off a UNIX socket.</summary>
    public static PeerCredentials? Of(HttpContext http)
    {
        Socket? socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }

        Span<byte> ucred = stackalloc byte[12];   // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != ucred.Length)
        {
            return null;
        }

        int pid = BitConverter.ToInt32(ucred[..4]);
        return new PeerCredentials(pid, BitConverter.ToInt32(ucred[4..8]), BitConverter.ToInt32(ucred[8..12]), SupplementaryGroups(pid));
    }

    private static IReadOnlyList<int> SupplementaryGroups(int pid)
    {
        var groups = new List<int>();
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("Groups:", StringComparison.Ordinal))
                {
                    foreach (string field in line["Groups:".Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                    {
                        groups.Add(int.Parse(field, CultureInfo.InvariantCulture));
                    }
                }
            }
        }
        catch (IOException)
        {
            // The caller exited after connecting: its primary group still counts.
        }

        return groups;
    }
}
